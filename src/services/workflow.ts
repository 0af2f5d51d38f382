// Takes a named transition on a revision: permission, state, separation of duties,
// the change itself and its audit event, in one transaction. The revision row is
// locked and its state re-checked inside the transaction, so two people acting at
// once cannot both succeed; the loser gets CONFLICT.
import { z } from "zod";
import type { Db } from "../db/database.js";
import type { Prisma, RevisionState, User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { recordEvent, type RequestContext } from "../audit/audit-log.js";
import { can } from "../workflow/permissions.js";
import { transitions, type Transition, type TransitionName } from "../workflow/transitions.js";
import { stateLabels } from "../web/format.js";
import { findRevision, toContent } from "./revisions.js";
import { citationErrors } from "./citation-checks.js";
import { passwordMatches } from "./users.js";
import { checkPasswordThrottled, signaturePassword, waitText } from "./throttle.js";
import { signatureMeanings } from "./signatures.js";
import { contentHash } from "../content/revision-content.js";
import { uuid } from "../schemas.js";

export const REVIEW_INTERVAL_MONTHS = 12;

export const transitionInputSchema = z.object({
  revisionId: uuid("unknown revision"),
  expectedState: z.enum(["DRAFT", "SUBMITTED", "UNDER_REVIEW", "CHANGES_REQUESTED", "APPROVED", "PUBLISHED"], { message: "unknown state" }),
  comment: z.string().trim().max(5000, "must be at most 5,000 characters").optional().default(""),
  password: z.string().max(200).optional().default(""),
  meaning: z.string().optional().default(""),
  overrideReason: z.string().trim().max(2000).optional().default(""),
});
export type TransitionInput = z.infer<typeof transitionInputSchema>;

type Tx = Prisma.TransactionClient;

/** Everyone who wrote or edited this revision: authors of it and of the unapproved drafts it grew from. */
export async function contributorsOf(db: Db | Tx, revision: { articleId: string; number: number }): Promise<Set<string>> {
  const earlier = await db.revision.findMany({
    where: { articleId: revision.articleId, number: { lte: revision.number } },
    orderBy: { number: "desc" },
    select: { number: true, authorId: true, state: true, publishedAt: true },
  });
  const ids = new Set<string>();
  for (const r of earlier) {
    const approvedBefore = r.number < revision.number && (r.state === "APPROVED" || r.state === "PUBLISHED" || r.publishedAt !== null);
    if (approvedBefore) break;
    if (r.authorId) ids.add(r.authorId);
  }
  return ids;
}

export interface TransitionOffer {
  transition: Transition;
  /** The revision the form acts on, and the state the user sees it in. */
  revisionId: string;
  expectedState: RevisionState;
  revisionNumber: number;
  /** Why it is shown but cannot be taken yet (e.g. citation errors); null when it can. */
  blockedBy: string | null;
}

/** The transitions this user may take from this revision's state, for the UI. */
export function offeredTransitions(
  user: User,
  revision: { id: string; number: number; state: RevisionState; authorId: string | null },
  context: { contributors: Set<string>; citationErrorCount: number; alreadySigned: boolean; published?: { id: string; number: number } | null },
): TransitionOffer[] {
  const offers: TransitionOffer[] = Object.values(transitions)
    .filter((t) => t.from.includes(revision.state) && can(user, t.permission))
    .filter((t) => !t.authorOnly || revision.authorId === null || revision.authorId === user.id)
    .filter((t) => !t.notByContributors || !context.contributors.has(user.id))
    .map((t) => ({
      transition: t,
      revisionId: revision.id,
      expectedState: revision.state,
      revisionNumber: revision.number,
      blockedBy:
        t.blockedByCitationErrors && context.citationErrorCount > 0
          ? `${context.citationErrorCount} citation error(s) must be fixed first.`
          : t.name === "approve" && context.alreadySigned
            ? "You have already signed this revision."
            : null,
    }));
  // The live revision can be taken down even while a newer one is being written.
  const live = context.published;
  if (live && live.id !== revision.id && can(user, transitions.unpublish.permission)) {
    offers.push({ transition: transitions.unpublish, revisionId: live.id, expectedState: "PUBLISHED", revisionNumber: live.number, blockedBy: null });
  }
  return offers;
}

export async function applyTransition(db: Db, ctx: RequestContext, user: User, articleId: string, name: TransitionName, input: TransitionInput) {
  const t = transitions[name];
  if (!can(user, t.permission)) throw new AppError("FORBIDDEN", `Your role does not allow "${t.label}".`);
  if (t.requires === "comment" && !input.comment) throw new AppError("BAD_REQUEST", "A comment is required to request changes.", { fieldErrors: { comment: "explain what needs to change" } });
  if (t.requires === "reason" && !input.comment) throw new AppError("BAD_REQUEST", "A reason is required to unpublish.", { fieldErrors: { comment: "give the reason" } });
  if (t.requires === "signature") {
    if (!(signatureMeanings as readonly string[]).includes(input.meaning)) {
      throw new AppError("BAD_REQUEST", "Choose the meaning of your signature.", { fieldErrors: { meaning: "choose one" } });
    }
    // Re-authentication for the signature (21 CFR 11.200): checked before the revision is
    // locked, and throttled like sign-in so a session cannot be used to guess the password.
    // A wrong password is a security event of a signed-in user: it goes into the audit
    // trail, recorded here together with the failure it counts.
    const checked = await checkPasswordThrottled(db, `signature:${user.id}`, signaturePassword, () => passwordMatches(user.passwordHash, input.password), (tx) =>
      recordEvent(tx, ctx, { action: "auth.forbidden", entityType: "session", entityId: user.id, payload: { method: "sign", path: `article ${articleId}, revision ${input.revisionId}`, reason: "signature password incorrect" } }),
    );
    if (checked.outcome === "blocked") {
      throw new AppError("TOO_MANY_REQUESTS", `Too many wrong signature passwords. Try again in ${waitText(checked.retryAfterSeconds)}.`, { retryAfterSeconds: checked.retryAfterSeconds });
    }
    if (checked.outcome === "wrong") {
      throw new AppError("FORBIDDEN", "The password is not correct, so the revision was not signed.", { recorded: true });
    }
  }

  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string; state: RevisionState; number: number; current_revision_id: string | null; published_revision_id: string | null }[]>`
      SELECT r.id, r.state::text AS state, r.number, a.current_revision_id, a.published_revision_id
      FROM revision r JOIN article a ON a.id = r.article_id
      WHERE r.id = ${input.revisionId}::uuid AND r.article_id = ${articleId}::uuid
      FOR UPDATE OF r, a`;
    const row = locked[0];
    if (!row) throw new AppError("NOT_FOUND", "That revision does not exist.");
    // Transitions act on the newest revision; unpublishing acts on the live one, which may be older.
    const target = t.name === "unpublish" ? row.published_revision_id : row.current_revision_id;
    if (target !== row.id) {
      throw new AppError("CONFLICT", `Revision ${row.number} is no longer the newest revision of this article; reload the page to see the current one.`);
    }
    if (row.state !== input.expectedState) {
      throw new AppError("CONFLICT", `Someone else acted first: revision ${row.number} is now "${stateLabels[row.state]}", not "${stateLabels[input.expectedState]}". Reload the page to see what changed.`);
    }
    if (!t.from.includes(row.state)) {
      throw new AppError("CONFLICT", `"${t.label}" is not possible while the revision is "${stateLabels[row.state]}".`);
    }
    const revision = (await findRevision(tx, row.id))!;
    if (t.authorOnly && revision.authorId !== null && revision.authorId !== user.id) {
      throw new AppError("FORBIDDEN", `Only the revision's author can "${t.label}".`);
    }
    if (t.notByContributors && (await contributorsOf(tx, revision)).has(user.id)) {
      throw new AppError("FORBIDDEN", "You cannot approve a revision you wrote or edited (separation of duties).");
    }
    const content = toContent(revision);
    if (t.blockedByCitationErrors) {
      const errors = citationErrors(content);
      if (errors.length) {
        throw new AppError("CONFLICT", `"${t.label}" is blocked by ${errors.length} citation error(s): ${errors.map((e) => `${e.where}: ${e.message}`).join(" ")}`);
      }
    }
    const article = await tx.article.findUniqueOrThrow({ where: { id: articleId } });
    const base = { transition: t.name, revisionNumber: revision.number, from: row.state };
    const eventBase = { entityType: "revision" as const, entityId: revision.id, articleId, revisionId: revision.id, articleTitle: revision.title };
    const now = new Date();

    const moveTo = async (to: RevisionState, extra: Prisma.RevisionUpdateManyMutationInput = {}) => {
      const updated = await tx.revision.updateMany({ where: { id: revision.id, state: row.state }, data: { state: to, stateChangedAt: now, ...extra } });
      if (updated.count !== 1) throw new AppError("CONFLICT", "Someone else changed this revision at the same moment; reload and try again.");
    };

    switch (t.name) {
      case "approve": {
        const openComments = await tx.comment.count({ where: { articleId, parentId: null, resolvedAt: null } });
        if (openComments > 0 && !input.overrideReason) {
          throw new AppError("CONFLICT", `${openComments} review comment(s) are unresolved. Resolve them, or approve with an override reason.`, { fieldErrors: { overrideReason: "required while comments are open" } });
        }
        if (revision.approvals.some((a) => a.reviewerId === user.id)) throw new AppError("CONFLICT", "You have already signed this revision.");
        const hash = contentHash(content);
        await tx.approval.create({
          data: { revisionId: revision.id, reviewerId: user.id, signerName: user.name, signerCredentials: user.credentials, meaning: input.meaning, contentHash: hash },
        });
        const count = revision.approvals.length + 1;
        const signature = { signerName: user.name, signerCredentials: user.credentials, meaning: input.meaning, contentHash: hash, signaturesCount: count, signaturesRequired: article.approvalsRequired };
        const overriding = openComments > 0 && input.overrideReason !== "";
        const comment = overriding ? `Signed with ${openComments} open comment(s): ${input.overrideReason}` : input.comment || null;
        const override = overriding ? { overriddenComments: openComments } : {};
        if (count >= article.approvalsRequired) {
          await moveTo("APPROVED");
          await recordEvent(tx, ctx, { ...eventBase, action: "workflow.approved", comment, payload: { ...base, to: "APPROVED", signature, ...override } });
        } else {
          await recordEvent(tx, ctx, { ...eventBase, action: "workflow.signed", comment, payload: { ...base, to: row.state, signature, ...override } });
        }
        break;
      }
      case "publish": {
        const previous = article.publishedRevisionId ? await tx.revision.findUnique({ where: { id: article.publishedRevisionId } }) : null;
        if (previous && previous.id !== revision.id) {
          await tx.revision.update({ where: { id: previous.id }, data: { state: "APPROVED", stateChangedAt: now } });
        }
        await moveTo("PUBLISHED", { publishedAt: now });
        const due = new Date(now);
        due.setUTCMonth(due.getUTCMonth() + REVIEW_INTERVAL_MONTHS);
        const nextReviewDue = due.toISOString().slice(0, 10);
        await tx.article.update({ where: { id: articleId }, data: { publishedRevisionId: revision.id, nextReviewDue: new Date(nextReviewDue), version: { increment: 1 } } });
        await recordEvent(tx, ctx, { ...eventBase, action: "workflow.published", payload: { ...base, to: "PUBLISHED", previousPublishedNumber: previous?.number ?? null, nextReviewDue } });
        break;
      }
      case "unpublish": {
        await moveTo("APPROVED");
        await tx.article.update({ where: { id: articleId }, data: { publishedRevisionId: null, version: { increment: 1 } } });
        await recordEvent(tx, ctx, { ...eventBase, action: "workflow.unpublished", comment: input.comment, payload: { ...base, to: "APPROVED" } });
        break;
      }
      case "request_changes": {
        await moveTo("CHANGES_REQUESTED");
        const note = await tx.comment.create({
          data: { articleId, revisionId: revision.id, kind: "CHANGE_REQUEST", authorId: user.id, body: input.comment },
        });
        await recordEvent(tx, ctx, { ...eventBase, action: "workflow.changes_requested", comment: input.comment, payload: { ...base, to: "CHANGES_REQUESTED" } });
        await recordEvent(tx, ctx, {
          ...eventBase, entityType: "comment", entityId: note.id, action: "comment.created",
          payload: { commentId: note.id, sectionKey: null, quote: null, body: input.comment, kind: "CHANGE_REQUEST" },
        });
        break;
      }
      case "submit": {
        await moveTo("SUBMITTED");
        // Submitting a new revision answers the change requests made on earlier ones: their threads
        // close, recorded as such. Resubmitting the very revision that was sent back answers nothing.
        // (Rows are locked before the chain lock, the same order as everywhere else.)
        const answered = await tx.comment.findMany({
          where: { articleId, kind: "CHANGE_REQUEST", parentId: null, resolvedAt: null, revisionId: { not: revision.id } },
          select: { id: true },
        });
        await tx.comment.updateMany({ where: { id: { in: answered.map((c) => c.id) } }, data: { resolvedAt: now, resolvedById: user.id } });
        await recordEvent(tx, ctx, { ...eventBase, action: t.event, comment: input.comment || null, payload: { ...base, to: t.to } });
        for (const { id } of answered) {
          await recordEvent(tx, ctx, { ...eventBase, entityType: "comment", entityId: id, action: "comment.resolved", payload: { commentId: id, old: "open", new: "resolved" } });
        }
        break;
      }
      default: {
        await moveTo(t.to);
        await recordEvent(tx, ctx, { ...eventBase, action: t.event, comment: input.comment || null, payload: { ...base, to: t.to } });
      }
    }
    return { revisionNumber: revision.number, label: t.label };
  });
}
