// Reader audiences: who a public page can be written for. Admins manage the list; the
// default audience reads the article as written, every other audience reads the
// variants editors wrote for it (and the professional text, marked, where there are none).
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Audience, Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { audienceSlugPattern, type RevisionContent } from "../../content/revision-content.js";
import { can } from "../../workflow/permissions.js";
import { readability } from "../../content/readability.js";
import { lookupTable } from "../../lookup.js";

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

/**
 * Address names an audience may not take: names every JavaScript object answers to (a
 * lookup by name must never find them), and words the site's addresses and query
 * parameters already use, so `?for=<name>` can never be mistaken for something else.
 */
export const reservedAudienceSlugs: ReadonlySet<string> = new Set([
  "constructor", "prototype", "__proto__", "hasownproperty", "isprototypeof", "propertyisenumerable", "tostring", "tolocalestring", "valueof",
  "__definegetter__", "__definesetter__", "__lookupgetter__", "__lookupsetter__",
  "null", "undefined", "nan", "true", "false", "default", "all", "none",
  "for", "after", "view", "from", "to", "articles", "article", "reader-choice", "editor", "admin", "api", "static", "login", "logout",
  "account", "preview", "search", "sitemap", "feed", "robots", "healthz", "editorial-policy", "advisory-board",
]);

export const newAudienceSchema = z.object({
  slug: z
    .string()
    .trim()
    .regex(audienceSlugPattern, "use lowercase letters, digits and hyphens (at most 40)")
    .refine((slug) => !reservedAudienceSlugs.has(slug), "is a reserved word: choose another address name"),
  ...audienceFields,
});
export const audienceChangesSchema = z.object(audienceFields);

export function listAudiences(db: Client): Promise<Audience[]> {
  return db.audience.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
}

/**
 * The audiences: `all` (archived ones too, for history), the default (the article as
 * written), `others` (the audiences editors write versions for now: neither the default
 * nor archived) and `offered` (what the reader selector lists: the default and `others`).
 */
export async function audienceList(db: Client) {
  const all = await listAudiences(db);
  const byDefault = all.find((a) => a.isDefault);
  if (!byDefault) throw new Error("No default audience: the audiences migration seeds one.");
  const others = all.filter((a) => !a.isDefault && !a.archivedAt);
  return { all, defaultAudience: byDefault, others, offered: [byDefault, ...others] };
}

/**
 * The one rule for the audiences of variants, on every path that writes content (the
 * editor page, API save and create, import): each variant names an existing audience that
 * is neither the default (it reads the article as written) nor archived. `field(i)` names
 * the i-th variant's audience as the request spelled it (e.g. `content.variants.0.audience`).
 */
export async function checkVariantAudiences(db: Client, content: RevisionContent, field: (index: number) => string = (i) => `variants.${i}.audience`) {
  const figureVariants = content.figures.flatMap((f, i) => f.variants.map((v, j) => ({ audience: v.audience, field: field(i).replace(/variants\.\d+\.audience$/, `figures.${i}.variants.${j}.audience`) })));
  if (content.variants.length === 0 && figureVariants.length === 0) return;
  const bySlug = new Map((await listAudiences(db)).map((a) => [a.slug, a]));
  const fieldErrors = lookupTable<string>();
  const reasons: string[] = [];
  [...content.variants.map((v, i) => ({ audience: v.audience, field: field(i) })), ...figureVariants].forEach((variant) => {
    const audience = bySlug.get(variant.audience);
    const reason = !audience
      ? `There is no audience "${variant.audience}" to write a version for`
      : audience.isDefault
        ? `"${variant.audience}" is the default audience, which reads the article as written: put that text in the article itself, not in a version`
        : audience.archivedAt
          ? `The audience "${variant.audience}" is archived and takes no new versions`
          : null;
    if (reason === null) return;
    fieldErrors[variant.field] ??= reason;
    if (!reasons.includes(reason)) reasons.push(reason);
  });
  if (reasons.length) throw new AppError("BAD_REQUEST", `${reasons.slice(0, 3).join(". ")}.`, { fieldErrors });
}

/** Archived audiences' versions left out of `content` (restoring an old revision brings back only what may be written now). */
export async function withoutArchivedVariants(db: Client, content: RevisionContent): Promise<RevisionContent> {
  if (content.variants.length === 0 && !content.figures.some((f) => f.variants.length)) return content;
  const archived = new Set((await listAudiences(db)).filter((a) => a.archivedAt).map((a) => a.slug));
  return archived.size
    ? {
        ...content,
        variants: content.variants.filter((v) => !archived.has(v.audience)),
        figures: content.figures.map((f) => ({ ...f, variants: f.variants.filter((v) => !archived.has(v.audience)) })),
      }
    : content;
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

/**
 * Archives an audience (or brings it back). Archived: gone from the reader selector and
 * the editor, refused for new versions; revisions that carry its versions keep them (they
 * are part of their content hash and signatures) and still show them in history and
 * comparisons. Its public addresses (`?for=<slug>`) send readers to the article as written.
 * The audit event has no article, so every cached public page is replaced (their selector changes).
 */
export async function setAudienceArchived(db: Db, ctx: RequestContext, user: User, id: string, archived: boolean) {
  requireAdmin(user);
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM audience WHERE id = ${id}::uuid FOR UPDATE`;
    if (!rows[0]) throw new AppError("NOT_FOUND", "That audience does not exist.");
    const before = (await tx.audience.findUnique({ where: { id } }))!;
    if (before.isDefault) throw new AppError("CONFLICT", `“${before.name}” is the default audience (the article as written): it cannot be archived.`);
    if (!!before.archivedAt === archived) throw new AppError("CONFLICT", `“${before.name}” is ${archived ? "already archived" : "not archived"}.`);
    const audience = await tx.audience.update({ where: { id }, data: { archivedAt: archived ? new Date() : null } });
    const revisionsWithVersions = (await tx.$queryRaw<{ n: number }[]>`SELECT count(DISTINCT revision_id)::int AS n FROM content_variant WHERE audience_slug = ${audience.slug}`)[0]?.n ?? 0;
    await recordEvent(tx, ctx, {
      action: archived ? "audience.archived" : "audience.unarchived", entityType: "audience", entityId: id,
      payload: { slug: audience.slug, name: audience.name, revisionsWithVersions },
    });
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
  // An archived audience appears only where this content has a version for it (history).
  const others = audiences.filter((a) => !a.isDefault && (!a.archivedAt || content.variants.some((v) => v.audience === a.slug)));
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

/**
 * Where an article address for an archived audience (`/articles/<slug>?for=<archived>`)
 * sends the reader: the article as written. Null for any other address.
 */
export async function archivedAudienceRedirect(db: Client, path: string, query: Record<string, unknown>): Promise<string | null> {
  const match = /^\/articles\/([a-z0-9-]{1,120})$/.exec(path);
  if (!match || typeof query.for !== "string" || !audienceSlugPattern.test(query.for)) return null;
  const audience = await db.audience.findUnique({ where: { slug: query.for }, select: { archivedAt: true } });
  return audience?.archivedAt ? `/articles/${match[1]}` : null;
}

export const readerChoiceSchema = z.object({
  article: z.string({ message: "choose an article" }).regex(/^[a-z0-9-]{1,120}$/, "is not an article address"),
  for: z.string({ message: "choose who you are" }).regex(audienceSlugPattern, "is not one of the choices"),
});

/** A reader's choice of audience: the audience and the address of that version of the article. */
export async function readerChoice(db: Client, input: z.output<typeof readerChoiceSchema>) {
  const audience = await db.audience.findUnique({ where: { slug: input.for } });
  if (!audience || audience.archivedAt) throw new AppError("BAD_REQUEST", "That is not one of the choices: pick one of the versions listed on the article.");
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
