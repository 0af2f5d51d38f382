// Reader audiences: who a public page can be written for. Admins manage the list; the
// default audience reads the article as written, every other audience reads the
// variants editors wrote for it (and the professional text, marked, where there are none).
import { z } from "zod";
import type { Db } from "../db/database.js";
import type { Audience, Prisma, User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { recordEvent, type RequestContext } from "../audit/audit-log.js";
import { audienceSlugPattern, type RevisionContent } from "../content/revision-content.js";
import { can } from "../workflow/permissions.js";
import { readability } from "../content/readability.js";

type Client = Db | Prisma.TransactionClient;

/** schema.org MedicalAudienceType values an audience can map to. */
export const schemaAudienceTypes = ["Clinician", "Patient", "MedicalResearcher"] as const;

const maxGrade = z
  .string({ message: "must be a number" })
  .trim()
  .default("")
  .transform((v) => (v === "" ? null : Number(v)))
  .pipe(z.number({ message: "must be a number" }).min(1, "must be between 1 and 30").max(30, "must be between 1 and 30").nullable());

const audienceFields = {
  name: z.string().trim().min(2, "a name is required").max(80, "must be at most 80 characters"),
  description: z.string().trim().min(2, "a short description is required").max(300, "must be at most 300 characters"),
  schemaAudienceType: z.enum(schemaAudienceTypes, { message: "choose a schema.org audience" }),
  maxGrade,
};

export const newAudienceSchema = z.object({
  slug: z.string().trim().regex(audienceSlugPattern, "use lowercase letters, digits and hyphens (at most 40)"),
  ...audienceFields,
});
export const audienceChangesSchema = z.object(audienceFields);

export function listAudiences(db: Client): Promise<Audience[]> {
  return db.audience.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
}

/** The audiences and which one is the default (the article as written). */
export async function audienceList(db: Client) {
  const all = await listAudiences(db);
  const byDefault = all.find((a) => a.isDefault);
  if (!byDefault) throw new Error("No default audience: the audiences migration seeds one.");
  return { all, defaultAudience: byDefault, others: all.filter((a) => !a.isDefault) };
}

/** Refuses variants written for an audience that does not exist or reads the article as written. */
export async function checkVariantAudiences(db: Client, content: RevisionContent) {
  if (content.variants.length === 0) return;
  const { others } = await audienceList(db);
  const allowed = new Set(others.map((a) => a.slug));
  const wrong = content.variants.find((v) => !allowed.has(v.audience));
  if (wrong) throw new AppError("BAD_REQUEST", `There is no audience "${wrong.audience}" that variants can be written for. Reload the editor and try again.`);
}

function requireAdmin(user: User) {
  if (!can(user, "user.manage")) throw new AppError("FORBIDDEN", "Only administrators can manage audiences.");
}

export async function createAudience(db: Db, ctx: RequestContext, user: User, input: z.output<typeof newAudienceSchema>) {
  requireAdmin(user);
  return db.$transaction(async (tx) => {
    if (await tx.audience.findUnique({ where: { slug: input.slug } })) {
      throw new AppError("CONFLICT", `An audience with the address name "${input.slug}" already exists.`, { fieldErrors: { slug: "already used" } });
    }
    const last = await tx.audience.aggregate({ _max: { position: true } });
    const audience = await tx.audience.create({ data: { ...input, position: (last._max.position ?? 0) + 1 } });
    await recordEvent(tx, ctx, {
      action: "audience.created", entityType: "audience", entityId: audience.id,
      payload: { slug: audience.slug, name: audience.name, schemaAudienceType: audience.schemaAudienceType, maxGrade: audience.maxGrade },
    });
    return audience;
  });
}

export async function updateAudience(db: Db, ctx: RequestContext, user: User, id: string, input: z.output<typeof audienceChangesSchema>) {
  requireAdmin(user);
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM audience WHERE id = ${id}::uuid FOR UPDATE`;
    if (!rows[0]) throw new AppError("NOT_FOUND", "That audience does not exist.");
    const before = (await tx.audience.findUnique({ where: { id } }))!;
    const changes: Record<string, { old: unknown; new: unknown }> = {};
    for (const field of ["name", "description", "schemaAudienceType", "maxGrade"] as const) {
      if (before[field] !== input[field]) changes[field] = { old: before[field], new: input[field] };
    }
    if (Object.keys(changes).length === 0) return before;
    const audience = await tx.audience.update({ where: { id }, data: input });
    await recordEvent(tx, ctx, { action: "audience.changed", entityType: "audience", entityId: id, payload: { slug: audience.slug, changes } });
    return audience;
  });
}

export interface ReadabilityFigure {
  grade: number;
  ease: number;
  /** Above the audience's maximum grade. */
  tooHard: boolean;
  maxGrade: number | null;
}

/** The readability of one text for one audience (null: nothing to measure). */
export function readabilityFigure(markdown: string | undefined, audience: Pick<Audience, "maxGrade"> | null): ReadabilityFigure | null {
  const figures = markdown ? readability(markdown) : null;
  if (!figures) return null;
  const maxGrade = audience?.maxGrade ?? null;
  return { grade: figures.grade, ease: figures.ease, tooHard: maxGrade !== null && figures.grade > maxGrade, maxGrade };
}

/** Figures for the summary and every section of `content`, as written and per audience version. */
export function revisionReadability(content: RevisionContent, audiences: Audience[]) {
  const others = audiences.filter((a) => !a.isDefault);
  const variantOf = (slug: string, sectionKey: string | null) => content.variants.find((v) => v.audience === slug && v.sectionKey === sectionKey)?.body;
  const parts = [
    { label: content.summaryHeading, sectionKey: null as string | null, body: content.summary },
    ...content.sections.map((s) => ({ label: s.heading, sectionKey: s.key as string | null, body: s.body })),
  ];
  return parts.map((part) => ({
    label: part.label,
    sectionKey: part.sectionKey,
    asWritten: readabilityFigure(part.body, null),
    versions: others.map((a) => ({ audience: a.name, slug: a.slug, figure: readabilityFigure(variantOf(a.slug, part.sectionKey), a) })),
  }));
}

export const readerChoiceSchema = z.object({
  article: z.string({ message: "choose an article" }).regex(/^[a-z0-9-]{1,120}$/, "is not an article address"),
  for: z.string({ message: "choose who you are" }).regex(audienceSlugPattern, "is not one of the choices"),
});

/** A reader's choice of audience: the audience and the address of that version of the article. */
export async function readerChoice(db: Client, input: z.output<typeof readerChoiceSchema>) {
  const audience = await db.audience.findUnique({ where: { slug: input.for } });
  if (!audience) throw new AppError("BAD_REQUEST", "That is not one of the choices: pick one of the versions listed on the article.");
  const path = audience.isDefault ? `/articles/${input.article}` : `/articles/${input.article}?for=${audience.slug}`;
  return { audience, path };
}

/** `?for=` on a page that shows one revision to an outside reader (the preview link). */
export const previewAudienceSchema = z.object({
  for: z.string().regex(audienceSlugPattern, "is not one of the versions").optional(),
});

/**
 * The audience a preview shows: the default (the article as written) without `?for=`, else the
 * named one; an audience that does not exist is a 404, as on the public page.
 */
export async function previewAudience(db: Client, input: z.output<typeof previewAudienceSchema>) {
  const audiences = await audienceList(db);
  const audience = input.for === undefined ? audiences.defaultAudience : audiences.all.find((a) => a.slug === input.for);
  if (!audience) throw new AppError("NOT_FOUND", "This preview has no such version: choose one of the versions listed on the page.");
  return {
    audience,
    reading: audience.isDefault ? null : { slug: audience.slug, name: audience.name, schemaAudienceType: audience.schemaAudienceType },
    choices: audiences.all.map((a) => ({ slug: a.slug, name: a.name, description: a.description })),
  };
}
