// Moving an article between systems: export to, and import from, one documented
// JSON format (docs/article-format.md).
//
// LONG-LIVED FORMAT: files written by one version are read by later ones. Add
// optional fields or a new formatVersion; never change the meaning of a field.
//
// An export carries the newest revision's content and, as metadata only, the
// history of its revisions (numbers, states, dates, signatures). An import takes
// the content alone: it creates a new article, or a new Draft revision of an
// existing one, attributed to the importing person. Approvals, signatures and
// states are never imported: a signature means a person reviewed this exact text
// here, which no file can vouch for. The import is audited by the services it
// calls (article.created / article.revision.created, with the importing person).
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import type { RequestContext } from "../../audit/audit-log.js";
import { contentHash, revisionContentSchema } from "../../content/revision-content.js";
import { can } from "../../workflow/permissions.js";
import { createArticle } from "./articles.js";
import { assertMayChooseSettings } from "./article-settings.js";
import { saveRevision } from "./editing.js";
import { findRevision, toContent } from "./revisions.js";
import { checkStoredImage, ImageRefused, type ProcessedImage } from "../../content/images.js";

export const EXPORT_FORMAT = "clinical-answers.article";
export const EXPORT_FORMAT_VERSION = 1;

const historyEntry = z.object({
  number: z.number().int(),
  state: z.string(),
  author: z.string().nullable(),
  createdAt: z.string(),
  changeNote: z.string().nullable(),
  contentHash: z.string(),
  publishedAt: z.string().nullable(),
  approvals: z.array(z.object({ signerName: z.string(), signerCredentials: z.string().nullable(), meaning: z.string(), signedAt: z.string() })),
});

export const exportDocumentSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT, { message: `must be "${EXPORT_FORMAT}"` }),
    formatVersion: z.literal(EXPORT_FORMAT_VERSION, { message: `only version ${EXPORT_FORMAT_VERSION} can be read` }),
    exportedAt: z.string().max(40).nullable().optional(),
    // Loose: a field this version does not know is reported back as ignored, not silently dropped.
    article: z.looseObject({
      slug: z.string().trim().regex(/^[a-z0-9-]{1,120}$/, "use lowercase letters, digits and hyphens"),
      /** Admin-only setting (as on the settings page); used only when the import creates the article. */
      visibleWhilePending: z.boolean().optional(),
      /** Admin-only setting, likewise. */
      approvalsRequired: z.number().int().min(1).max(5).optional(),
    }),
    /** SHA-256 of `content` when exported; checked on import so a damaged file is refused. */
    contentHash: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex").optional(),
    content: revisionContentSchema,
    /** Audience versions (e.g. for patients) will travel here; none exist yet, so none are accepted. */
    variants: z.array(z.unknown()).max(0, "audience versions cannot be imported yet").optional().default([]),
    /** Export only; ignored on import (approvals and signatures are never imported). */
    history: z.array(historyEntry).max(10_000).optional(),
    /**
     * The images the content's figures show, each checked on import against its hash (a damaged
     * or altered image is refused) and stored only with the imported revision.
     */
    media: z
      .array(z.object({
        hash: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex"),
        format: z.enum(["jpeg", "png", "webp", "avif"]),
        name: z.string().max(200).nullable().optional(),
        base64: z.string().max(20_000_000, "an image in an export is at most 15 MB").regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64"),
      }))
      .max(200)
      .optional()
      .default([]),
  })
  .meta({ id: "ArticleExport" });

export type ExportDocument = z.output<typeof exportDocumentSchema>;

export async function exportArticle(db: Db, by: { slug?: string; articleId?: string }) {
  const article = await db.article.findUnique({
    where: by.articleId ? { id: by.articleId } : { slug: by.slug ?? "" },
    include: {
      revisions: {
        orderBy: { number: "asc" },
        include: { author: { select: { name: true } }, approvals: { orderBy: { signedAt: "asc" } } },
      },
    },
  });
  const current = article?.currentRevisionId ? await findRevision(db, article.currentRevisionId) : null;
  if (!article || !current) throw new AppError("NOT_FOUND", "That article does not exist.");
  const content = toContent(current);
  const hashes = [...new Set(content.figures.map((f) => f.image))];
  const media = hashes.length ? await db.media.findMany({ where: { hash: { in: hashes }, deletedAt: null }, select: { hash: true, format: true, originalName: true, bytes: true } }) : [];
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    article: { slug: article.slug, visibleWhilePending: article.visibleWhilePending, approvalsRequired: article.approvalsRequired },
    contentHash: contentHash(content),
    content,
    variants: [],
    media: media.map((m) => ({ hash: m.hash, format: m.format as "jpeg", name: m.originalName, base64: Buffer.from(m.bytes!).toString("base64") })),
    history: article.revisions.map((r) => ({
      number: r.number,
      state: r.state,
      author: r.author?.name ?? null,
      createdAt: r.createdAt.toISOString(),
      changeNote: r.changeNote,
      contentHash: r.contentHash,
      publishedAt: r.publishedAt?.toISOString() ?? null,
      approvals: r.approvals.map((a) => ({ signerName: a.signerName, signerCredentials: a.signerCredentials, meaning: a.meaning, signedAt: a.signedAt.toISOString() })),
    })),
  } satisfies z.input<typeof exportDocumentSchema>;
}

const knownArticleFields = new Set(["slug", "visibleWhilePending", "approvalsRequired"]);

/**
 * Imports a validated export: a new article (as a Draft) when the address is free,
 * otherwise a new Draft revision on top of the article's newest revision (refused
 * while that revision is in review, as in the editor). Article settings are admin-only
 * (decision 0025); what the import ignored is returned in `warnings`.
 */

/** The file's images the content needs and this system lacks, each checked against its hash. */
async function importedImages(db: Db, doc: ExportDocument) {
  const needed = new Set(doc.content.figures.map((f) => f.image));
  const present = new Set((await db.media.findMany({ where: { hash: { in: [...needed] }, deletedAt: null }, select: { hash: true } })).map((m) => m.hash));
  const out: { image: ProcessedImage; name: string; via: "import" }[] = [];
  for (const [i, m] of doc.media.entries()) {
    if (!needed.has(m.hash) || present.has(m.hash)) continue;
    const bytes = Buffer.from(m.base64, "base64");
    try {
      const info = await checkStoredImage(bytes, m.hash, { maxBytes: 15 * 1024 * 1024 });
      out.push({ image: { ...info, hash: m.hash, bytes, strippedMetadata: [] }, name: m.name ?? "", via: "import" });
      present.add(m.hash);
    } catch (error) {
      if (error instanceof ImageRefused) throw new AppError("BAD_REQUEST", error.message, { fieldErrors: { [`media.${i}.base64`]: error.message } });
      throw error;
    }
  }
  return out;
}

export async function importArticle(db: Db, ctx: RequestContext, user: User, doc: ExportDocument) {
  if (!can(user, "article.create") || !can(user, "article.edit")) throw new AppError("FORBIDDEN", "Your role does not allow importing articles.");
  const requested = { visibleWhilePending: doc.article.visibleWhilePending, approvalsRequired: doc.article.approvalsRequired };
  const warnings = Object.keys(doc.article)
    .filter((field) => !knownArticleFields.has(field))
    .slice(0, 20)
    .map((field) => `article.${field.slice(0, 60)} is not part of the export format and was ignored.`);
  const hash = contentHash(doc.content);
  if (doc.contentHash && doc.contentHash !== hash) {
    throw new AppError("BAD_REQUEST", "The file's content does not match its contentHash: it was changed or damaged after export. Export it again.", {
      fieldErrors: { contentHash: "does not match the content" },
    });
  }
  const images = await importedImages(db, doc);
  const existing = await db.article.findUnique({
    where: { slug: doc.article.slug }, select: { id: true, currentRevisionId: true, visibleWhilePending: true, approvalsRequired: true },
  });
  const existingSettings = (a: NonNullable<typeof existing>) => ({ visibleWhilePending: a.visibleWhilePending, approvalsRequired: a.approvalsRequired });
  let articleId: string;
  let revisionNumber: number;
  if (!existing) {
    // The settings page's rule: only admins choose these (403 naming the field otherwise).
    assertMayChooseSettings(user, requested, (name) => `article.${name}`);
    const { article, revision } = await createArticle(db, ctx, {
      slug: doc.article.slug, content: doc.content, authorId: user.id, contentField: "content.", ...requested, images,
    });
    articleId = article.id;
    revisionNumber = revision.number;
  } else {
    const revision = await saveRevision(db, ctx, user, existing.id, {
      baseRevisionId: existing.currentRevisionId!, content: doc.content, changeNote: `Imported from a file${doc.exportedAt ? ` exported ${doc.exportedAt}` : ""}`,
      contentField: "content.", images,
    });
    // Settings are never changed by an import onto an existing article, whoever imports.
    for (const [name, value] of Object.entries(requested)) {
      if (value !== undefined && value !== existingSettings(existing)[name as keyof typeof requested]) {
        warnings.push(`article.${name} was not applied: the article already exists and keeps its settings (an administrator changes them on its settings page).`);
      }
    }
    articleId = existing.id;
    revisionNumber = revision.number;
  }
  return { articleId, slug: doc.article.slug, revisionNumber, newArticle: !existing, contentHash: hash, warnings };
}
