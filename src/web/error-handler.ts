// Maps errors to responses in one place: AppError codes to statuses, anything
// else to a 500 page that shows no internals.
import type { NextFunction, Request, Response } from "express";
import { AppError, httpStatusOf } from "../errors.js";

function wantsJson(req: Request): boolean {
  return req.path.startsWith("/api/") || (req.accepts(["html", "json"]) === "json");
}

export function notFound(_req: Request, _res: Response, next: NextFunction) {
  next(new AppError("NOT_FOUND", "There is no page at this address."));
}

export function errorHandler(log: (message: string) => void, onForbidden?: (req: Request, error: AppError) => Promise<void>) {
  return async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    let appError: AppError;
    if (error instanceof AppError) {
      appError = error;
    } else if (isClientError(error)) {
      // Malformed bodies, oversized forms, undecodable URLs: the request's fault, not ours.
      appError = error.status === 413
        ? new AppError("BAD_REQUEST", "The form is too large to save. Split the article or shorten it, then try again.")
        : new AppError("BAD_REQUEST", "The request could not be read. Reload the page and try again.");
    } else if (isUniqueViolation(error)) {
      appError = new AppError("CONFLICT", "Someone else just created the same thing (an address or email that must be unique). Reload and choose another.");
    } else {
      log(`[${req.id}] ${req.method} ${req.originalUrl} failed: ${(error as Error)?.stack ?? String(error)}`);
      res.status(500);
      if (wantsJson(req)) return res.json({ error: "INTERNAL", message: "Something went wrong on our side.", requestId: req.id });
      return res.render("error", { status: 500, title: "Something went wrong", message: "Something went wrong on our side. The problem has been logged; please try again.", requestId: req.id });
    }
    const status = httpStatusOf[appError.code];
    // Refused requests change nothing, but a forbidden attempt is itself a security event.
    if (appError.code === "FORBIDDEN" && onForbidden) {
      await onForbidden(req, appError).catch((e) => log(`[${req.id}] could not record forbidden attempt: ${(e as Error).message}`));
    }
    if (appError.code === "UNAUTHENTICATED" && !wantsJson(req) && req.method === "GET") {
      return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    res.status(status);
    if (typeof appError.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(appError.details.retryAfterSeconds));
    if (wantsJson(req)) return res.json({ error: appError.code, message: appError.message, fieldErrors: appError.details.fieldErrors });
    res.render("error", { status, title: titles[status] ?? "Error", message: appError.message, requestId: req.id });
  };
}

const titles: Record<number, string> = {
  400: "Please check your input",
  401: "Please sign in",
  403: "Not allowed",
  404: "Page not found",
  409: "Someone else changed this",
  429: "Too many attempts",
};

function isClientError(error: unknown): error is Error & { status: number } {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}

/** Two requests racing past an existence check meet the unique index (Prisma P2002). */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "P2002";
}
