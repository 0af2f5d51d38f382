// Read-only preview links for one revision, for an outside expert without an
// account. The link is /preview/<id>.<HMAC-SHA256(secret, id|expiry)>: it cannot be
// forged or extended, it stops working at its expiry or when revoked (a row the
// page checks on every use), every use is recorded in the audit trail, and it
// shows that one revision and nothing else.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { can } from "../../workflow/permissions.js";
import { findRevision, type RevisionWithContent } from "../editorial/index.js";
import { uuid } from "../../schemas.js";

export const MAX_PREVIEW_DAYS = 30;

export const newPreviewLinkSchema = z.object({
  revisionId: uuid("unknown revision"),
  days: z.coerce.number({ message: "must be a number" }).int("must be a whole number of days").min(1, "at least 1 day").max(MAX_PREVIEW_DAYS, `at most ${MAX_PREVIEW_DAYS} days`),
});

function signature(secret: string, id: string, expiresAt: Date): string {
  return createHmac("sha256", secret).update(`preview-link|${id}|${expiresAt.toISOString()}`).digest("base64url");
}

export function previewPath(secret: string, link: { id: string; expiresAt: Date }): string {
  return `/preview/${link.id}.${signature(secret, link.id, link.expiresAt)}`;
}

export async function createPreviewLink(db: Db, ctx: RequestContext, user: User, articleId: string, input: z.infer<typeof newPreviewLinkSchema>) {
  if (!can(user, "preview.create")) throw new AppError("FORBIDDEN", "Your role does not allow creating preview links.");
  return db.$transaction(async (tx) => {
    const revision = await tx.revision.findFirst({ where: { id: input.revisionId, articleId }, select: { id: true, number: true, title: true } });
    if (!revision) throw new AppError("NOT_FOUND", "That revision does not exist.");
    const expiresAt = new Date(Date.now() + input.days * 86_400_000);
    const link = await tx.previewLink.create({ data: { articleId, revisionId: revision.id, createdById: user.id, expiresAt } });
    await recordEvent(tx, ctx, {
      action: "preview.created", entityType: "revision", entityId: revision.id, articleId, revisionId: revision.id, articleTitle: revision.title,
      payload: { previewLinkId: link.id, revisionNumber: revision.number, expiresAt: expiresAt.toISOString() },
    });
    return { link, revisionNumber: revision.number };
  });
}

/** The preview link a revoke form names, checked as the revocation itself is (for the question asked first). */
export async function previewLinkToRevoke(db: Db, user: User, articleId: string, linkId: string) {
  if (!can(user, "preview.create")) throw new AppError("FORBIDDEN", "Your role does not allow revoking preview links.");
  const link = await db.previewLink.findFirst({ where: { id: linkId, articleId }, include: { revision: { select: { number: true } } } });
  if (!link) throw new AppError("NOT_FOUND", "That preview link does not exist.");
  return link;
}

export async function revokePreviewLink(db: Db, ctx: RequestContext, user: User, articleId: string, linkId: string) {
  if (!can(user, "preview.create")) throw new AppError("FORBIDDEN", "Your role does not allow revoking preview links.");
  return db.$transaction(async (tx) => {
    const link = await tx.previewLink.findFirst({ where: { id: linkId, articleId }, include: { revision: { select: { number: true, title: true } } } });
    if (!link) throw new AppError("NOT_FOUND", "That preview link does not exist.");
    const updated = await tx.previewLink.updateMany({ where: { id: linkId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (updated.count !== 1) throw new AppError("CONFLICT", "That preview link is already revoked.");
    await recordEvent(tx, ctx, {
      action: "preview.revoked", entityType: "revision", entityId: link.revisionId, articleId, revisionId: link.revisionId, articleTitle: link.revision.title,
      payload: { previewLinkId: linkId, revisionNumber: link.revision.number },
    });
  });
}

const tokenPattern = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

function validLink(secret: string, link: { id: string; expiresAt: Date; revokedAt: Date | null }, given: string): boolean {
  const expected = Buffer.from(signature(secret, link.id, link.expiresAt));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return false;
  return !link.revokedAt && link.expiresAt.getTime() > Date.now();
}

/**
 * True when a valid preview link's revision shows the image: its reader may fetch it (not recorded:
 * opening the page was). A wrong, expired or revoked link shows nothing.
 */
export async function previewShowsImage(db: Db, secret: string, token: string, hash: string): Promise<boolean> {
  const match = tokenPattern.exec(token);
  if (!match) return false;
  const link = await db.previewLink.findUnique({ where: { id: match[1]! }, select: { id: true, expiresAt: true, revokedAt: true, revisionId: true } });
  if (!link || !validLink(secret, link, match[2]!)) return false;
  return (await db.figure.count({ where: { revisionId: link.revisionId, mediaHash: hash } })) > 0;
}

/**
 * The revision a preview token opens, with the use recorded; NOT_FOUND for anything
 * else (a wrong, expired or revoked link looks the same to whoever holds it).
 */
export async function openPreview(db: Db, ctx: RequestContext, secret: string, token: string): Promise<{ revision: RevisionWithContent; expiresAt: Date; nextReviewDue: Date | null }> {
  const gone = new AppError("NOT_FOUND", "This preview link is not valid: it may have expired or been revoked. Ask the person who sent it for a new one.");
  const match = tokenPattern.exec(token);
  if (!match) throw gone;
  const [, id, given] = match as unknown as [string, string, string];
  return db.$transaction(async (tx) => {
    const link = await tx.previewLink.findUnique({ where: { id }, include: { article: { select: { nextReviewDue: true } } } });
    if (!link || !validLink(secret, link, given)) throw gone;
    const revision = (await findRevision(tx, link.revisionId))!;
    await recordEvent(tx, ctx, {
      action: "preview.viewed", entityType: "revision", entityId: revision.id, articleId: link.articleId, revisionId: revision.id, articleTitle: revision.title,
      payload: { previewLinkId: link.id, revisionNumber: revision.number },
    });
    return { revision, expiresAt: link.expiresAt, nextReviewDue: link.article.nextReviewDue };
  });
}

/** A preview link of the article, for the page that asks before revoking it. */
export async function findArticlePreviewLink(db: Db, articleId: string, linkId: string) {
  const link = await db.previewLink.findFirst({ where: { id: linkId, articleId }, include: { revision: { select: { number: true, title: true } } } });
  if (!link) throw new AppError("NOT_FOUND", "That preview link does not exist.");
  return link;
}

export async function articlePreviewLinks(db: Db, articleId: string) {
  return db.previewLink.findMany({
    where: { articleId }, orderBy: { createdAt: "desc" }, take: 20,
    include: { revision: { select: { number: true } }, createdBy: { select: { name: true } } },
  });
}
