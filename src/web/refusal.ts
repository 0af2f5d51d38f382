// Refusals a person can put right on the page they were on (a wrong signature password,
// a stale page, a missing comment, a state that changed meanwhile, a value out of range).
// Routes re-render that page with the person's input kept and the reason beside the field
// or button, instead of an error page whose only way on is "back to the articles".
import type { Response } from "express";
import { AppError, httpStatusOf } from "../errors.js";

export function correctableRefusal(error: unknown): AppError | null {
  if (!(error instanceof AppError)) return null;
  if (error.code === "BAD_REQUEST" || error.code === "CONFLICT" || error.code === "TOO_MANY_REQUESTS") return error;
  // A wrong signature password (already recorded as a security event by the service);
  // a refusal by role stays a 403 page and is recorded by the error handler.
  if (error.code === "FORBIDDEN" && error.details.recorded && error.details.fieldErrors) return error;
  return null;
}

/** A refused staff form, as its page shows it again. */
export interface FormRefusal {
  /** The form's name on its page (several forms share the article workspace). */
  form: string;
  /** The reason, in words, with the fields named by their labels. */
  message: string;
  fieldErrors: Record<string, string>;
  /** What the person typed or chose (never a password). */
  values: Record<string, string | string[]>;
}

export interface StaffForm {
  name: string;
  /** Each field the form shows again, with the label the page gives it. */
  labels: Record<string, string>;
}

/** The fields of `form` as submitted: text as text, repeated checkboxes as lists; passwords are left out. */
export function submittedValues(body: unknown, fields: readonly string[]): Record<string, string | string[]> {
  const source = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const values: Record<string, string | string[]> = {};
  for (const field of fields) {
    if (/password/i.test(field) || !Object.hasOwn(source, field)) continue;
    const value = source[field];
    if (typeof value === "string") values[field] = value;
    else if (Array.isArray(value)) values[field] = value.filter((v): v is string => typeof v === "string");
  }
  return values;
}

/** "When: must be in the future; Reason: give the reason" rather than the schema's field names. */
function messageWithLabels(refusal: AppError, labels: Record<string, string>): string {
  const fieldErrors = refusal.details.fieldErrors ?? {};
  const named = Object.entries(fieldErrors).filter(([field]) => labels[field]);
  if (!named.length) return refusal.message;
  return `Not saved. ${named.map(([field, message]) => `${labels[field]}: ${message}`).join("; ")}.`;
}

/**
 * Runs a staff form's action. A refusal the person can correct re-renders the form's own
 * page through `render`, with the refusal's status, the reason, each field's message and the
 * values typed; anything else (a refusal by role, a missing article) goes to the error page.
 */
export async function staysOnPage(
  res: Response,
  body: unknown,
  form: StaffForm,
  action: () => Promise<void>,
  render: (refused: FormRefusal) => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    const refusal = correctableRefusal(error);
    if (!refusal) throw error;
    res.status(httpStatusOf[refusal.code]);
    if (typeof refusal.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(refusal.details.retryAfterSeconds));
    await render({
      form: form.name,
      message: messageWithLabels(refusal, form.labels),
      fieldErrors: refusal.details.fieldErrors ?? {},
      values: submittedValues(body, Object.keys(form.labels)),
    });
  }
}
