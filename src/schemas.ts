// Small zod building blocks shared by every form and query schema.
import { z } from "zod";

/** A UUID, lower-cased: ids are compared, hashed and stored in one spelling. */
export const uuid = (message = "not a valid id") => z.string().uuid(message).transform((v) => v.toLowerCase());

/** A real calendar date yyyy-mm-dd (2025-02-31 is refused, not rolled over to March). */
export const isoDate = (message = "must be a real date (yyyy-mm-dd)") =>
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, message).refine((v) => {
    const year = Number(v.slice(0, 4));
    const date = new Date(`${v}T00:00:00Z`);
    return year >= 1900 && year <= 2999 && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === v;
  }, message);

/** Row numbers and counts that fit PostgreSQL's integer. */
export const positiveInt = () => z.coerce.number().int().positive().max(2_147_483_647);
