// The one error type services throw. Services never know HTTP; the error
// handler in src/web/error-handler.ts maps each code to a status and a page.

export type ErrorCode =
  | "BAD_REQUEST" // input failed validation
  | "UNAUTHENTICATED" // sign-in required
  | "FORBIDDEN" // signed in but not permitted
  | "NOT_FOUND"
  | "CONFLICT" // the state changed since the user looked (stale or wrong state)
  | "TOO_MANY_REQUESTS";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Per-field messages for forms, and anything a page needs to explain the error. */
    readonly details: { fieldErrors?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const httpStatusOf: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
};

/** Thrown at start-up for a setting that cannot work; printed as one sentence. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
