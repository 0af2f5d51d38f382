// Every API error is one JSON shape: RFC 9457 problem details, served as
// application/problem+json. Codes map to statuses exactly as on the pages.
import type { NextFunction, Request, Response } from "express";
import { AppError, httpStatusOf, type ErrorCode } from "../errors.js";

/** The documented kinds of problem; `type` points at their description on /api/docs. */
export const problemTypes: Record<ErrorCode | "INTERNAL", { title: string; description: string }> = {
  BAD_REQUEST: { title: "The request is not valid", description: "A parameter or the body failed validation; `errors` names each field. Nothing was changed." },
  UNAUTHENTICATED: { title: "An API token is required", description: "Send `Authorization: Bearer <token>` with a token that is neither revoked nor owned by a deactivated account." },
  FORBIDDEN: { title: "Not allowed", description: "The token lacks the scope, or its owner's role does not allow this step (the same rules as on the pages)." },
  NOT_FOUND: { title: "Not found", description: "There is nothing at this address that the caller may see." },
  CONFLICT: { title: "Someone else changed this", description: "The state changed since the caller looked (for example a stale base revision). Read it again and retry." },
  TOO_MANY_REQUESTS: { title: "Too many requests", description: "The token (or address) made too many requests; wait the number of seconds in `Retry-After`." },
  INTERNAL: { title: "Something went wrong on our side", description: "The error was logged with the request id." },
};

export function problemType(code: ErrorCode | "INTERNAL"): string {
  return `/api/docs#problem-${code.toLowerCase().replace(/_/g, "-")}`;
}

function send(res: Response, req: Request, code: ErrorCode | "INTERNAL", status: number, detail: string, fieldErrors?: Record<string, string>) {
  const body = {
    type: problemType(code),
    title: problemTypes[code].title,
    status,
    detail,
    instance: req.originalUrl.split("?")[0]!.slice(0, 300),
    requestId: req.id,
    ...(fieldErrors && Object.keys(fieldErrors).length ? { errors: Object.entries(fieldErrors).map(([field, message]) => ({ field, message })) } : {}),
  };
  res.status(status).type("application/problem+json").set("Cache-Control", "no-store").send(JSON.stringify(body));
}

function isClientError(error: unknown): error is Error & { status: number; type?: string } {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}

export function apiErrorHandler(log: (message: string) => void, onForbidden?: (req: Request, error: AppError) => Promise<void>) {
  return async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error instanceof AppError) {
      // A refusal the service already recorded (a wrong signature password) is not recorded twice.
      if (error.code === "FORBIDDEN" && onForbidden && !error.details.recorded) {
        await onForbidden(req, error).catch((e) => log(`[${req.id}] could not record forbidden attempt: ${(e as Error).message}`));
      }
      if (error.code === "UNAUTHENTICATED") res.set("WWW-Authenticate", 'Bearer realm="api"');
      if (error.code === "TOO_MANY_REQUESTS" && typeof error.details.retryAfterSeconds === "number") res.set("Retry-After", String(error.details.retryAfterSeconds));
      return send(res, req, error.code, httpStatusOf[error.code], error.message, error.details.fieldErrors);
    }
    if (isClientError(error)) {
      // Malformed or oversized JSON, undecodable URLs: the request's fault, never a 500.
      const detail = error.status === 413
        ? "The request body is too large."
        : error.type === "entity.parse.failed"
          ? "The request body is not valid JSON."
          : "The request could not be read.";
      return send(res, req, "BAD_REQUEST", 400, detail);
    }
    if ((error as { code?: unknown } | null)?.code === "P2002") {
      return send(res, req, "CONFLICT", 409, "Someone else just created the same thing (an address that must be unique). Choose another.");
    }
    log(`[${req.id}] ${req.method} ${req.originalUrl} failed: ${(error as Error)?.stack ?? String(error)}`);
    send(res, req, "INTERNAL", 500, "Something went wrong on our side. The problem has been logged.");
  };
}
