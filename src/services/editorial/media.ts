// Images of figures (decision 0037): stored once in the database by the SHA-256 of their stored
// bytes, uploaded from the editor or the API (each upload audited), listed for staff with where
// they are used, and deleted only when no live, approved or publicly shown revision uses them.
// Which images the public may fetch follows findPublicArticle(): an image is public exactly while
// a revision the public may see shows it.
import { Prisma, type User } from "../../generated/prisma/client.js";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { ImageRefused, processUpload, renderRendition, renditionHeight, renditionWidths, renditionFormats, type ImageFormat, type ProcessedImage } from "../../content/images.js";
import type { RevisionContent } from "../../content/revision-content.js";
import { can } from "../../workflow/permissions.js";
import { statesWhere } from "../../workflow/states.js";
import { lookupTable } from "../../lookup.js";

type Client = Db | Prisma.TransactionClient;

export type UploadVia = "editor" | "api" | "import" | "seed";

/** Checks and normalizes an upload; a refusal is a BAD_REQUEST naming `field` (nothing is stored). */
export async function prepareUpload(bytes: Uint8Array, name: string, maxBytes: number, field = "image"): Promise<ProcessedImage> {
  try {
    return await processUpload(bytes, { name, maxBytes });
  } catch (error) {
    if (error instanceof ImageRefused) throw new AppError("BAD_REQUEST", error.message, { fieldErrors: { [field]: error.message } });
    throw error;
  }
}

/**
 * Stores a processed image in the caller's transaction, with its audit event; an image already
 * stored is kept as it is (the same bytes have the same address), a deleted one gets its bytes back.
 */
export async function storeImage(
  tx: Prisma.TransactionClient, ctx: RequestContext, user: User | null, image: Omit<ProcessedImage, "strippedMetadata"> & { strippedMetadata?: string[] },
  options: { originalName: string | null; via: UploadVia; articleId?: string | null; articleTitle?: string | null },
): Promise<{ hash: string; stored: boolean }> {
  const existing = await tx.media.findUnique({ where: { hash: image.hash }, select: { deletedAt: true } });
  if (existing && existing.deletedAt === null) return { hash: image.hash, stored: false };
  const originalName = options.originalName ? options.originalName.slice(0, 200) : null;
  const data = {
    format: image.format, width: image.width, height: image.height, hasAlpha: image.hasAlpha, byteSize: image.bytes.length,
    bytes: new Uint8Array(image.bytes), originalName, uploadedById: user?.id ?? null, deletedAt: null, deletedReason: null,
  };
  if (existing) await tx.media.update({ where: { hash: image.hash }, data });
  else await tx.media.create({ data: { hash: image.hash, ...data } });
  await recordEvent(tx, ctx, {
    action: "media.uploaded", entityType: "media", entityId: image.hash, articleId: options.articleId ?? null, articleTitle: options.articleTitle ?? null,
    payload: {
      hash: image.hash, format: image.format, width: image.width, height: image.height, byteSize: image.bytes.length,
      originalName, via: options.via, strippedMetadata: image.strippedMetadata ?? [],
    },
  });
  return { hash: image.hash, stored: true };
}

/** Which of these images are stored (and not deleted). */
export async function storedImageHashes(db: Client, hashes: string[]): Promise<Set<string>> {
  if (!hashes.length) return new Set();
  return new Set((await db.media.findMany({ where: { hash: { in: hashes }, deletedAt: null }, select: { hash: true } })).map((m) => m.hash));
}

/** "Upload and keep editing": the editor's checked images stored together, each audited against the article. */
export async function storeEditorImages(db: Db, ctx: RequestContext, user: User, articleId: string, images: { image: ProcessedImage; name: string }[]) {
  const article = await db.article.findUnique({ where: { id: articleId }, select: { currentRevision: { select: { title: true } } } });
  await db.$transaction(async (tx) => {
    for (const c of images) {
      await storeImage(tx, ctx, user, c.image, { originalName: c.name || null, via: "editor", articleId, articleTitle: article?.currentRevision?.title ?? null });
    }
  });
}

/** An upload through the API: checked, stored and audited, or refused with nothing stored. */
export async function uploadImage(db: Db, ctx: RequestContext, user: User, bytes: Uint8Array, options: { name: string; maxBytes: number; via: UploadVia }) {
  if (!can(user, "article.edit")) throw new AppError("FORBIDDEN", "Your role does not allow uploading images.");
  const image = await prepareUpload(bytes, options.name, options.maxBytes, "body");
  const { stored } = await db.$transaction((tx) => storeImage(tx, ctx, user, image, { originalName: options.name || null, via: options.via }));
  return { hash: image.hash, format: image.format, width: image.width, height: image.height, byteSize: image.bytes.length, stored, strippedMetadata: image.strippedMetadata };
}

/** Every figure's image must be stored and not deleted (checked in the save's transaction). */
export async function checkFigureImages(db: Client, content: RevisionContent, field: (index: number) => string = (i) => `figures.${i}.image`) {
  if (content.figures.length === 0) return;
  const hashes = [...new Set(content.figures.map((f) => f.image))];
  const rows = await db.media.findMany({ where: { hash: { in: hashes } }, select: { hash: true, deletedAt: true } });
  const byHash = new Map(rows.map((r) => [r.hash, r]));
  const fieldErrors = lookupTable<string>();
  const reasons: string[] = [];
  content.figures.forEach((f, i) => {
    const row = byHash.get(f.image);
    const reason = !row
      ? `Figure “${f.key}” names an image that was never uploaded (${f.image.slice(0, 12)}…): upload it first`
      : row.deletedAt
        ? `The image of figure “${f.key}” was deleted: choose another image`
        : null;
    if (!reason) return;
    fieldErrors[field(i)] ??= reason;
    if (!reasons.includes(reason)) reasons.push(reason);
  });
  if (reasons.length) throw new AppError("BAD_REQUEST", `${reasons.slice(0, 3).join(". ")}.`, { fieldErrors });
}

const PENDING_VISIBLE = statesWhere("visibleWhilePending");

/**
 * The articles whose public revision (findPublicArticle's rule: the published revision, or while
 * nothing is published and the article is visible while pending, its newest revision in review)
 * shows the image. Empty: the public may not fetch it.
 */
export async function publicArticlesShowing(db: Client, hash: string): Promise<{ id: string; slug: string }[]> {
  return db.$queryRaw<{ id: string; slug: string }[]>`
    SELECT DISTINCT a.id::text AS id, a.slug FROM figure f
    JOIN revision r ON r.id = f.revision_id
    JOIN article a ON a.id = r.article_id
    WHERE f.media_hash = ${hash} AND a.current_revision_id IS NOT NULL AND (
      a.published_revision_id = r.id
      OR (a.published_revision_id IS NULL AND a.visible_while_pending AND r.id = (
        SELECT p.id FROM revision p WHERE p.article_id = a.id AND p.state::text IN (${Prisma.join(PENDING_VISIBLE)})
        ORDER BY p.number DESC LIMIT 1)))`;
}

/** Every image some public revision shows (for the static export). */
export async function publicImageHashes(db: Client): Promise<string[]> {
  const rows = await db.$queryRaw<{ hash: string }[]>`
    SELECT DISTINCT f.media_hash AS hash FROM figure f
    JOIN revision r ON r.id = f.revision_id
    JOIN article a ON a.id = r.article_id
    WHERE a.current_revision_id IS NOT NULL AND (
      a.published_revision_id = r.id
      OR (a.published_revision_id IS NULL AND a.visible_while_pending AND r.id = (
        SELECT p.id FROM revision p WHERE p.article_id = a.id AND p.state::text IN (${Prisma.join(PENDING_VISIBLE)})
        ORDER BY p.number DESC LIMIT 1)))`;
  return rows.map((r) => r.hash);
}

export interface StoredImage {
  hash: string;
  format: ImageFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  createdAt: Date;
}

export async function findImage(db: Client, hash: string): Promise<StoredImage | null> {
  const row = await db.media.findUnique({ where: { hash }, select: { hash: true, format: true, width: true, height: true, hasAlpha: true, createdAt: true, deletedAt: true } });
  return row && !row.deletedAt ? { ...row, format: row.format as ImageFormat } : null;
}

/**
 * One rendition's bytes: stored ones are read, others computed once and stored (by whichever
 * process asks first; the same bytes either way). Null when the image or that rendition does not exist.
 */
export async function imageRendition(db: Db, hash: string, requestedWidth: number, format: ImageFormat, options: { nearest?: boolean } = {}): Promise<{ bytes: Buffer; image: StoredImage } | null> {
  const image = await findImage(db, hash);
  if (!image) return null;
  const widths = renditionWidths(image.width);
  // Staff thumbnails ask for a width without knowing the image's: the nearest one not wider.
  const width = options.nearest ? ([...widths].reverse().find((w) => w <= requestedWidth) ?? widths[0]!) : requestedWidth;
  const formats = options.nearest ? [...renditionFormats(image), "webp" as const] : renditionFormats(image);
  if (!widths.includes(width) || !formats.includes(format)) return null;
  const stored = await db.mediaRendition.findUnique({ where: { mediaHash_width_format: { mediaHash: hash, width, format } }, select: { bytes: true } });
  if (stored) return { bytes: Buffer.from(stored.bytes), image };
  const source = await db.media.findUnique({ where: { hash }, select: { bytes: true } });
  if (!source?.bytes) return null;
  const made = await renderRendition(Buffer.from(source.bytes), width, format);
  await db.mediaRendition.createMany({
    data: [{ mediaHash: hash, width, format, height: made.height || renditionHeight(image, width), bytes: new Uint8Array(made.bytes) }],
    skipDuplicates: true,
  });
  return { bytes: made.bytes, image };
}

export interface MediaUse {
  articleId: string;
  articleTitle: string;
  revisionNumber: number;
  state: string;
  live: boolean;
  figureKey: string;
  alt: string;
  caption: string;
}

export interface MediaListItem {
  hash: string;
  format: string;
  width: number;
  height: number;
  byteSize: number;
  originalName: string | null;
  uploadedBy: string | null;
  createdAt: Date;
  deletedAt: Date | null;
  deletedReason: string | null;
  uses: MediaUse[];
  /** Why it cannot be deleted (null: it can). */
  keptBecause: string | null;
}

/** Why an image cannot be deleted now: a live, approved or publicly shown revision uses it. */
function keptBecause(uses: MediaUse[], publicArticles: Set<string>): string | null {
  const live = uses.find((u) => u.live);
  if (live) return `it is live in “${live.articleTitle}” (r${live.revisionNumber})`;
  const approved = uses.find((u) => u.state === "APPROVED");
  if (approved) return `it is in the approved r${approved.revisionNumber} of “${approved.articleTitle}”`;
  const shown = uses.find((u) => publicArticles.has(u.articleId));
  if (shown) return `the public sees it in “${shown.articleTitle}” while it is pending review`;
  return null;
}

const PAGE_SIZE = 50;

/** Images, newest first, with their texts and where they are used; `q` searches alternative texts, captions and file names. */
export async function listMedia(db: Db, options: { q?: string }): Promise<MediaListItem[]> {
  const q = options.q?.trim() ?? "";
  const rows = await db.media.findMany({
    where: q
      ? { OR: [{ originalName: { contains: q, mode: "insensitive" } }, { figures: { some: { OR: [{ alt: { contains: q, mode: "insensitive" } }, { caption: { contains: q, mode: "insensitive" } }] } } }] }
      : {},
    orderBy: { createdAt: "desc" },
    take: PAGE_SIZE,
    select: {
      hash: true, format: true, width: true, height: true, byteSize: true, originalName: true, createdAt: true, deletedAt: true, deletedReason: true,
      uploadedBy: { select: { name: true } },
      figures: {
        orderBy: [{ revision: { createdAt: "desc" } }],
        select: {
          key: true, alt: true, caption: true,
          revision: { select: { id: true, number: true, state: true, title: true, articleId: true, publishedOf: { select: { id: true } } } },
        },
      },
    },
  });
  const items: MediaListItem[] = [];
  for (const row of rows) {
    const uses = row.figures.map((f) => ({
      articleId: f.revision.articleId, articleTitle: f.revision.title, revisionNumber: f.revision.number, state: f.revision.state,
      live: f.revision.publishedOf !== null, figureKey: f.key, alt: f.alt, caption: f.caption,
    }));
    const publicArticles = uses.length ? new Set((await publicArticlesShowing(db, row.hash)).map((a) => a.id)) : new Set<string>();
    items.push({
      hash: row.hash, format: row.format, width: row.width, height: row.height, byteSize: row.byteSize, originalName: row.originalName,
      uploadedBy: row.uploadedBy?.name ?? null, createdAt: row.createdAt, deletedAt: row.deletedAt, deletedReason: row.deletedReason,
      uses, keptBecause: keptBecause(uses, publicArticles),
    });
  }
  return items;
}

/**
 * Deletes an image's bytes (and its renditions). Refused while a live, approved or publicly shown
 * revision uses it. Drafts and older revisions that used it keep its hash (their signed content)
 * and show it as deleted; the citation checks then block submitting them until the figure gets
 * another image.
 */
export async function deleteMedia(db: Db, ctx: RequestContext, user: User, hash: string, reason: string) {
  if (!can(user, "article.edit")) throw new AppError("FORBIDDEN", "Your role does not allow deleting images.");
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ hash: string; deleted_at: Date | null; original_name: string | null }[]>`
      SELECT hash, deleted_at, original_name FROM media WHERE hash = ${hash} FOR UPDATE`;
    const row = rows[0];
    if (!row) throw new AppError("NOT_FOUND", "There is no such image.");
    if (row.deleted_at) throw new AppError("CONFLICT", "This image is already deleted.");
    const figures = await tx.figure.findMany({
      where: { mediaHash: hash },
      select: { key: true, alt: true, caption: true, revision: { select: { number: true, state: true, title: true, articleId: true, publishedOf: { select: { id: true } } } } },
    });
    const uses = figures.map((f) => ({
      articleId: f.revision.articleId, articleTitle: f.revision.title, revisionNumber: f.revision.number, state: f.revision.state,
      live: f.revision.publishedOf !== null, figureKey: f.key, alt: f.alt, caption: f.caption,
    }));
    const kept = keptBecause(uses, new Set((await publicArticlesShowing(tx, hash)).map((a) => a.id)));
    if (kept) throw new AppError("CONFLICT", `This image cannot be deleted: ${kept}. Replace it in a new revision and publish that first.`);
    await tx.mediaRendition.deleteMany({ where: { mediaHash: hash } });
    await tx.media.update({ where: { hash }, data: { bytes: null, deletedAt: new Date(), deletedReason: reason || null } });
    await recordEvent(tx, ctx, {
      action: "media.deleted", entityType: "media", entityId: hash, comment: reason || null,
      payload: { hash, originalName: row.original_name, reason, revisions: new Set(uses.map((u) => `${u.articleId}/${u.revisionNumber}`)).size },
    });
  });
}
