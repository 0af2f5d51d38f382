// What a template needs to show one form after a refusal: the value typed (or the
// stored one), the message beside each field, and the aria attributes that tie them.
import type { FormRefusal } from "./refusal.js";

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/**
 * `formState(formRefused, "schedule", "schedule")`: helpers for the form named "schedule";
 * `idPrefix` keeps the ids of its messages unique on a page with several forms.
 */
export function formState(refused: FormRefusal | null | undefined, form: string, idPrefix = form) {
  const mine = !!refused && refused.form === form;
  const errors = mine ? refused.fieldErrors : {};
  const values = mine ? refused.values : {};
  const errorId = (field: string) => `${idPrefix}-${field.replace(/[^A-Za-z0-9_-]/g, "-")}-error`;
  return {
    mine,
    message: mine ? refused.message : "",
    error: (field: string) => errors[field] ?? "",
    /** The value typed when this form was refused, else `stored`. */
    value: (field: string, stored: unknown = ""): string => {
      const typed = values[field];
      if (mine && typeof typed === "string") return typed;
      return stored === null || stored === undefined ? "" : String(stored);
    },
    /** Whether a checkbox or option was chosen: as submitted when refused, else `stored`. */
    chosen: (field: string, option: string, stored: boolean): boolean => {
      if (!mine) return stored;
      const typed = values[field];
      return Array.isArray(typed) ? typed.includes(option) : typed === option;
    },
    /** aria-invalid and aria-describedby for a field that has a message (raw HTML attributes). */
    invalid: (field: string) => (errors[field] ? `aria-invalid="true" aria-describedby="${errorId(field)}"` : ""),
    /** The message shown beside the field (raw HTML, escaped here). */
    errorHtml: (field: string) => (errors[field] ? `<p class="field-error" id="${errorId(field)}">${escapeHtml(errors[field])}</p>` : ""),
    /** The reason for the whole form, announced (raw HTML, escaped here). */
    messageHtml: () => (mine ? `<p class="field-error refusal" role="alert" id="${idPrefix}-refusal">${escapeHtml(refused.message)}</p>` : ""),
  };
}
