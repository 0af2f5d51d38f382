// Refusals a person can put right on the page they were on (a wrong signature password,
// a stale page, a missing comment, a state that changed meanwhile). Routes re-render that
// page with the person's input kept and the reason beside the field or button, instead of
// an error page whose only way on is "back to the articles".
import { AppError } from "../errors.js";

export function correctableRefusal(error: unknown): AppError | null {
  if (!(error instanceof AppError)) return null;
  if (error.code === "BAD_REQUEST" || error.code === "CONFLICT" || error.code === "TOO_MANY_REQUESTS") return error;
  // A wrong signature password (already recorded as a security event by the service);
  // a refusal by role stays a 403 page and is recorded by the error handler.
  if (error.code === "FORBIDDEN" && error.details.recorded && error.details.fieldErrors) return error;
  return null;
}
