// Saving and restoring revisions. Every save inserts a new immutable revision.
// A save names the revision it started from; if another save landed meanwhile,
// it is refused with CONFLICT so nobody silently overwrites anybody.
import type { Db } from "../../db/database.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import type { RevisionContent } from "../../content/revision-content.js";
import { can } from "../../workflow/permissions.js";
import { IN_REVIEW } from "../../workflow/transitions.js";
import { stateLabels } from "../../workflow/states.js";
import { checkVariantAudiences, withoutArchivedVariants } from "./audiences.js";
import { checkFigureImages, storeImage, type UploadVia } from "./media.js";
import type { ProcessedImage } from "../../content/images.js";
import { contentChanges, findRevision, hasChanges, insertRevision, referencesChanged, toContent } from "./revisions.js";

export interface SaveInput {
  baseRevisionId: string;
  content: RevisionContent;
  changeNote: string | null;
  /** Where the content sits in the request, to name refused fields (e.g. "content." in the API). */
  contentField?: string;
  /** Images chosen with this save: stored (and audited) in its transaction, or not at all. */
  images?: { image: ProcessedImage; name: string; via?: UploadVia }[];
}

/** Locks the article and checks that `baseRevisionId` is still its newest revision. */
async function lockCurrent(tx: Prisma.TransactionClient, articleId: string, baseRevisionId: string) {
  const rows = await tx.$queryRaw<{ current_revision_id: string | null }[]>`
    SELECT current_revision_id FROM article WHERE id = ${articleId}::uuid FOR UPDATE`;
  if (!rows[0]) throw new AppError("NOT_FOUND", "That article does not exist.");
  const current = await findRevision(tx, rows[0].current_revision_id!);
  if (!current) throw new AppError("NOT_FOUND", "That article has no revisions.");
  if (current.id !== baseRevisionId) {
    throw new AppError("CONFLICT", `Someone else saved revision ${current.number} while you were editing. Your text has not been saved; compare the changes below and save again.`, {
      staleConflict: true,
      currentRevisionId: current.id,
    });
  }
  if (IN_REVIEW.includes(current.state)) {
    throw new AppError("CONFLICT", `Revision ${current.number} is "${stateLabels[current.state]}": it cannot be edited while reviewers look at it. Withdraw it first, or wait for the review.`);
  }
  return current;
}

async function writeRevision(
  db: Db, ctx: RequestContext, user: User, articleId: string, baseRevisionId: string,
  content: RevisionContent, changeNote: string | null, restoredFromNumber: number | null, contentField = "", images: SaveInput["images"] = [],
) {
  if (!can(user, "article.edit")) throw new AppError("FORBIDDEN", "Your role does not allow editing articles.");
  return db.$transaction(async (tx) => {
    const base = await lockCurrent(tx, articleId, baseRevisionId);
    await checkVariantAudiences(tx, content, (i) => `${contentField}variants.${i}.audience`);
    const changes = contentChanges(toContent(base), content);
    if (!hasChanges(changes)) {
      throw new AppError("BAD_REQUEST", `Nothing has changed since revision ${base.number}, so no new revision was saved.`);
    }
    for (const { image, name, via } of images) {
      if (content.figures.some((f) => f.image === image.hash)) {
        await storeImage(tx, ctx, user, image, { originalName: name || null, via: via ?? "editor", articleId, articleTitle: content.title });
      }
    }
    await checkFigureImages(tx, content, (i) => `${contentField}figures.${i}.image`);
    const last = await tx.revision.aggregate({ where: { articleId }, _max: { number: true } });
    const number = (last._max.number ?? 0) + 1;
    const revision = await insertRevision(tx, { articleId, number, state: "DRAFT", content, authorId: user.id, basedOnId: base.id, changeNote });
    await tx.article.update({ where: { id: articleId }, data: { currentRevisionId: revision.id, version: { increment: 1 } } });
    const event = { entityType: "revision" as const, entityId: revision.id, articleId, revisionId: revision.id, articleTitle: content.title };
    if (restoredFromNumber !== null) {
      await recordEvent(tx, ctx, { ...event, action: "article.revision.restored", comment: changeNote, payload: { revisionNumber: number, restoredFromNumber, contentHash: revision.contentHash, changes } });
    } else {
      await recordEvent(tx, ctx, { ...event, action: "article.revision.created", comment: changeNote, payload: { revisionNumber: number, basedOnNumber: base.number, changeNote, contentHash: revision.contentHash, changes } });
    }
    if (referencesChanged(changes)) {
      await recordEvent(tx, ctx, { ...event, action: "article.references.changed", payload: { revisionNumber: number, references: changes.references } });
    }
    return revision;
  });
}

export function saveRevision(db: Db, ctx: RequestContext, user: User, articleId: string, input: SaveInput) {
  return writeRevision(db, ctx, user, articleId, input.baseRevisionId, input.content, input.changeNote, null, input.contentField, input.images);
}

/** Restores an earlier revision's content as a new draft on top of the current one. */
export async function restoreRevision(db: Db, ctx: RequestContext, user: User, articleId: string, fromRevisionId: string, baseRevisionId: string) {
  const from = await findRevision(db, fromRevisionId);
  if (!from || from.articleId !== articleId) throw new AppError("NOT_FOUND", "That revision does not exist.");
  // Versions for audiences archived since are not brought back (they stay in the old revision).
  const content = await withoutArchivedVariants(db, toContent(from));
  return writeRevision(db, ctx, user, articleId, baseRevisionId, content, `Restored from revision ${from.number}`, from.number);
}

/** Restores revision `number` of the article as a new draft. */
export async function restoreRevisionByNumber(db: Db, ctx: RequestContext, user: User, articleId: string, number: number, baseRevisionId: string) {
  const from = await db.revision.findUnique({ where: { articleId_number: { articleId, number } }, select: { id: true } });
  if (!from) throw new AppError("NOT_FOUND", "That revision does not exist.");
  return restoreRevision(db, ctx, user, articleId, from.id, baseRevisionId);
}
