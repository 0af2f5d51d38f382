// The instant-answer vocabulary: lay words readers write ("sleepy", "botox") and the
// professional terms articles use for them ("sedation", "botulinum toxin"). Admins edit
// it at /admin/vocabulary; every change is audited.
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";

const term = (what: string) =>
  z.string().trim().min(1, `${what} is required`).max(80, `${what} must be at most 80 characters`)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}' -]*$/u, `${what} may contain only letters, digits, spaces, hyphens and apostrophes`);

export const vocabularyTermSchema = z.object({
  layTerm: term("The reader's word"),
  professionalTerm: term("The article's term"),
});

export async function listVocabulary(db: Db) {
  return db.askVocabulary.findMany({ orderBy: [{ layTerm: "asc" }, { professionalTerm: "asc" }] });
}

/** True when full-text search keeps at least one word of the term (not only stop words like "the"). */
async function searchable(db: Db, text: string) {
  const [row] = await db.$queryRaw<{ n: number }[]>`SELECT numnode(phraseto_tsquery('english', ${text}))::int AS n`;
  return (row?.n ?? 0) > 0;
}

export async function addVocabularyTerm(db: Db, ctx: RequestContext, input: z.output<typeof vocabularyTermSchema>) {
  const fieldErrors: Record<string, string> = {};
  if (!(await searchable(db, input.layTerm))) fieldErrors.layTerm = "has only common words (like “the”) that questions are never matched on";
  if (!(await searchable(db, input.professionalTerm))) fieldErrors.professionalTerm = "has only common words (like “the”) that articles are never matched on";
  if (Object.keys(fieldErrors).length) throw new AppError("BAD_REQUEST", "This pair cannot help answer questions: use a more specific word.", { fieldErrors });
  return db.$transaction(async (tx) => {
    const existing = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM ask_vocabulary WHERE lower(lay_term) = lower(${input.layTerm}) AND lower(professional_term) = lower(${input.professionalTerm})`;
    if (existing.length) {
      throw new AppError("CONFLICT", `“${input.layTerm}” → “${input.professionalTerm}” is already in the vocabulary.`, { fieldErrors: { layTerm: "this pair exists already" } });
    }
    const row = await tx.askVocabulary.create({ data: input });
    await recordEvent(tx, ctx, { action: "vocabulary.term.added", entityType: "vocabulary", entityId: row.id, payload: { termId: row.id, ...input } });
    return row;
  });
}

export async function removeVocabularyTerm(db: Db, ctx: RequestContext, id: string) {
  return db.$transaction(async (tx) => {
    const row = await tx.askVocabulary.findUnique({ where: { id } });
    if (!row) throw new AppError("NOT_FOUND", "That vocabulary entry does not exist (any more).");
    await tx.askVocabulary.delete({ where: { id } });
    await recordEvent(tx, ctx, {
      action: "vocabulary.term.removed", entityType: "vocabulary", entityId: id,
      payload: { termId: id, layTerm: row.layTerm, professionalTerm: row.professionalTerm },
    });
  });
}
