// Parses request input with zod; a failure becomes one AppError('BAD_REQUEST')
// carrying a message per field, which forms show beside their inputs.
import type { z } from "zod";
import { AppError } from "../errors.js";
import { lookupTable } from "../lookup.js";

export function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const fieldErrors = lookupTable<string>();
  for (const issue of error.issues) {
    const field = issue.path.map(String).join(".") || "form";
    fieldErrors[field] ??= issue.message;
  }
  return fieldErrors;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "The form"): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fieldErrors = fieldErrorsOf(result.error);
  const summary = Object.entries(fieldErrors)
    .slice(0, 3)
    .map(([field, message]) => `${field}: ${message}`)
    .join("; ");
  throw new AppError("BAD_REQUEST", `${what} has problems: ${summary}.`, { fieldErrors });
}

/**
 * The text a form re-displays after a refusal: only the named fields, only when
 * they are strings. Nothing else from a request ever reaches a template.
 */
export function textValues<K extends string>(input: unknown, fields: readonly K[]): Record<K, string> {
  const body = input && typeof input === "object" ? (input as Record<string, unknown>) : {};
  const values = {} as Record<K, string>;
  for (const field of fields) {
    const value = Object.hasOwn(body, field) ? body[field] : undefined;
    values[field] = typeof value === "string" ? value : "";
  }
  return values;
}
