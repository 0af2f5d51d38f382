// Reading and writing revision content. Revisions are immutable: a save always
// inserts a new revision with all its sections, references and citations.
import type { Prisma, RevisionState } from "../../generated/prisma/client.js";
import type { Db } from "../../db/database.js";
import { numberCitations } from "../../content/citations.js";
import { contentHash, contentOfReference, contentOfSection, sortedVariants, type FigureContent, type RevisionContent, type VariantContent } from "../../content/revision-content.js";
import { textWithCaptions, type MediaInfo } from "../../content/figures.js";
import type { ImageFormat } from "../../content/images.js";
import type { ContentChanges } from "../../audit/events.js";

type Client = Db | Prisma.TransactionClient;

const revisionInclude = {
  sections: { orderBy: { position: "asc" } },
  references: { orderBy: { position: "asc" } },
  author: { select: { id: true, name: true, email: true } },
  approvals: { orderBy: { signedAt: "asc" } },
  variants: true,
  figures: {
    orderBy: { position: "asc" },
    include: { variants: true, media: { select: { hash: true, width: true, height: true, format: true, hasAlpha: true, deletedAt: true } } },
  },
} as const satisfies Prisma.RevisionInclude;

export type RevisionWithContent = Prisma.RevisionGetPayload<{ include: typeof revisionInclude }>;

export async function findRevision(db: Client, revisionId: string): Promise<RevisionWithContent | null> {
  return db.revision.findUnique({ where: { id: revisionId }, include: revisionInclude });
}

export function toContent(revision: RevisionWithContent): RevisionContent {
  return {
    title: revision.title,
    summaryHeading: revision.summaryHeading,
    summary: revision.summary,
    lastUpdated: revision.lastUpdated.toISOString().slice(0, 10),
    disclaimerHeading: revision.disclaimerHeading,
    disclaimer: revision.disclaimer,
    sections: revision.sections.map(contentOfSection),
    references: revision.references.map(contentOfReference),
    variants: sortedVariants({
      sections: revision.sections,
      variants: revision.variants.map((v) => ({ audience: v.audienceSlug, sectionKey: v.sectionKey, body: v.body })),
    }),
    figures: revision.figures.map((f) => ({
      key: f.key, sectionKey: f.sectionKey, image: f.mediaHash, decorative: f.decorative, alt: f.alt, caption: f.caption,
      credit: f.credit, licence: f.licence, referenceKey: f.referenceKey,
      variants: f.variants.map((v) => ({ audience: v.audienceSlug, alt: v.alt, caption: v.caption })).sort((a, b) => (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0)),
    })),
  };
}

/** The stored images a revision's figures show (size, format; deleted or not), for rendering them. */
export function mediaOf(...revisions: (RevisionWithContent | null | undefined)[]): Map<string, MediaInfo> {
  const out = new Map<string, MediaInfo>();
  for (const revision of revisions) {
    for (const f of revision?.figures ?? []) {
      out.set(f.mediaHash, { width: f.media.width, height: f.media.height, format: f.media.format as ImageFormat, hasAlpha: f.media.hasAlpha, deleted: f.media.deletedAt !== null });
    }
  }
  return out;
}

/** Hashes of the images a revision's figures show whose bytes were deleted. */
export function deletedImagesOf(revision: RevisionWithContent): Set<string> {
  return new Set(revision.figures.filter((f) => f.media.deletedAt !== null).map((f) => f.mediaHash));
}

/** Texts that cite, in reading order: the summary, then each section with its figures' captions where they stand. */
export function citableTexts(content: Pick<RevisionContent, "summary" | "sections" | "figures">) {
  return [{ sectionKey: null, markdown: content.summary }, ...content.sections.map((s) => ({ sectionKey: s.key, markdown: textWithCaptions(s.body, s.key, content.figures) }))];
}

export interface NewRevision {
  articleId: string;
  number: number;
  state: RevisionState;
  content: RevisionContent;
  authorId: string | null;
  basedOnId: string | null;
  changeNote: string | null;
}

/** Inserts a revision with its sections, references and derived citations. */
export async function insertRevision(tx: Prisma.TransactionClient, input: NewRevision) {
  const { content } = input;
  const revision = await tx.revision.create({
    data: {
      articleId: input.articleId,
      number: input.number,
      state: input.state,
      title: content.title,
      summaryHeading: content.summaryHeading,
      summary: content.summary,
      disclaimerHeading: content.disclaimerHeading,
      disclaimer: content.disclaimer,
      lastUpdated: new Date(`${content.lastUpdated}T00:00:00Z`),
      authorId: input.authorId,
      basedOnId: input.basedOnId,
      changeNote: input.changeNote,
      contentHash: contentHash(content),
      sections: {
        create: content.sections.map((s, position) => ({ key: s.key, position, depth: s.depth, heading: s.heading, body: s.body })),
      },
      references: { create: content.references.map((r, position) => ({ ...r, position })) },
      variants: { create: content.variants.map((v) => ({ audienceSlug: v.audience, sectionKey: v.sectionKey, body: v.body })) },
      figures: {
        create: content.figures.map((f, position) => ({
          key: f.key, sectionKey: f.sectionKey, position, mediaHash: f.image, decorative: f.decorative, alt: f.alt, caption: f.caption,
          credit: f.credit, licence: f.licence, referenceKey: f.referenceKey,
          variants: { create: f.variants.map((v) => ({ audienceSlug: v.audience, alt: v.alt, caption: v.caption })) },
        })),
      },
    },
    include: { sections: true, references: true },
  });
  const numbering = numberCitations(citableTexts(content), content.references.map((r) => r.key));
  const sectionIdByKey = new Map(revision.sections.map((s) => [s.key, s.id]));
  const referenceIdByKey = new Map(revision.references.map((r) => [r.key, r.id]));
  const citations = numbering.occurrences
    .filter((o) => o.number !== undefined)
    .map((o) => ({
      revisionId: revision.id,
      sectionId: o.sectionKey === null ? null : sectionIdByKey.get(o.sectionKey)!,
      referenceId: referenceIdByKey.get(o.key)!,
      number: o.number!,
      ordinal: o.ordinal,
    }));
  if (citations.length) await tx.citation.createMany({ data: citations });
  return revision;
}

const contentFields = ["title", "summaryHeading", "summary", "lastUpdated", "disclaimerHeading", "disclaimer"] as const;

function keyedDiff<T extends { key: string }>(before: T[], after: T[], same: (a: T, b: T) => boolean) {
  const oldByKey = new Map(before.map((x) => [x.key, x]));
  const newByKey = new Map(after.map((x) => [x.key, x]));
  const oldOrder = before.map((x) => x.key);
  const newOrder = after.map((x) => x.key);
  const keptOld = oldOrder.filter((k) => newByKey.has(k));
  const keptNew = newOrder.filter((k) => oldByKey.has(k));
  return {
    added: after.filter((x) => !oldByKey.has(x.key)),
    removed: before.filter((x) => !newByKey.has(x.key)),
    changed: after.filter((x) => oldByKey.has(x.key) && !same(oldByKey.get(x.key)!, x)).map((x) => ({ key: x.key, old: oldByKey.get(x.key)!, new: x })),
    order: keptOld.join("\n") === keptNew.join("\n") ? null : { old: oldOrder, new: newOrder },
  };
}

/** Old and new values of everything that differs; `before` null = a first revision. */
export function contentChanges(before: RevisionContent | null, after: RevisionContent): ContentChanges {
  const empty: RevisionContent = { ...after, sections: [], references: [], variants: [], figures: [] };
  const base = before ?? empty;
  const fields: ContentChanges["fields"] = {};
  for (const field of contentFields) {
    if (before === null || before[field] !== after[field]) fields[field] = { old: before ? before[field] : null, new: after[field] };
  }
  return {
    fields,
    sections: keyedDiff(base.sections, after.sections, (a, b) => a.heading === b.heading && a.body === b.body && a.depth === b.depth),
    references: keyedDiff(base.references, after.references, (a, b) => JSON.stringify(a) === JSON.stringify(b)),
    variants: variantChanges(base.variants, after.variants),
    ...(base.figures.length || after.figures.length ? { figures: keyedDiff(base.figures, after.figures, sameFigure) } : {}),
  };
}

const sameFigure = (a: FigureContent, b: FigureContent) => JSON.stringify(a) === JSON.stringify(b);

/** Identity of a variant: its audience and the part it rewrites. */
export const variantPart = (v: Pick<VariantContent, "audience" | "sectionKey">) => `${v.audience}|${v.sectionKey ?? ""}`;

function variantChanges(before: VariantContent[], after: VariantContent[]): NonNullable<ContentChanges["variants"]> {
  const oldByPart = new Map(before.map((v) => [variantPart(v), v]));
  const newByPart = new Map(after.map((v) => [variantPart(v), v]));
  return {
    added: after.filter((v) => !oldByPart.has(variantPart(v))),
    removed: before.filter((v) => !newByPart.has(variantPart(v))),
    changed: after
      .filter((v) => oldByPart.has(variantPart(v)) && oldByPart.get(variantPart(v))!.body !== v.body)
      .map((v) => ({ audience: v.audience, sectionKey: v.sectionKey, old: oldByPart.get(variantPart(v))!.body, new: v.body })),
  };
}

export function hasChanges(changes: ContentChanges): boolean {
  const s = changes.sections;
  const r = changes.references;
  return (
    Object.keys(changes.fields).length > 0 ||
    s.added.length + s.removed.length + s.changed.length > 0 || s.order !== null ||
    r.added.length + r.removed.length + r.changed.length > 0 || r.order !== null ||
    (changes.variants ? changes.variants.added.length + changes.variants.removed.length + changes.variants.changed.length > 0 : false) ||
    (changes.figures ? changes.figures.added.length + changes.figures.removed.length + changes.figures.changed.length > 0 || changes.figures.order !== null : false)
  );
}

export function referencesChanged(changes: ContentChanges): boolean {
  const r = changes.references;
  return r.added.length + r.removed.length + r.changed.length > 0 || r.order !== null;
}
