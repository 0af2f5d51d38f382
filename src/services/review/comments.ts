// Review comments on a revision or one of its sections, with threaded replies,
// resolve and reopen. A section comment follows the section (by key) into later
// revisions and is marked when the section's text has changed since.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { can } from "../../workflow/permissions.js";
import { findRevision } from "../editorial/index.js";
import { uuid } from "../../schemas.js";
import { notify } from "../people/index.js";

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * Tells the staff a comment mentions. A mention is "@" and the part of a person's
 * e-mail address before the "@" (e.g. @priya.reviewer), which is unique and has no spaces.
 */
async function notifyMentions(tx: Tx, author: User, articleId: string, title: string, body: string) {
  const handles = [...new Set([...body.matchAll(/(?:^|[^\w.])@([a-z0-9][a-z0-9._-]{0,63})/gi)].map((m) => m[1]!.toLowerCase().replace(/\.+$/, "")))];
  if (!handles.length) return;
  const users = await tx.user.findMany({ where: { active: true, OR: handles.map((h) => ({ email: { startsWith: `${h}@`, mode: "insensitive" as const } })) }, select: { id: true } });
  await notify(tx, {
    kind: "comment.mention", userIds: users.map((u) => u.id), actorId: author.id, articleId, link: `/editor/articles/${articleId}#comments`,
    message: `${author.name} mentioned you in a comment on "${title}": ${body.slice(0, 300)}`,
  });
}

export const newCommentSchema = z.object({
  revisionId: uuid("unknown revision"),
  sectionKey: z.string().trim().max(80).optional().transform((v) => v || null),
  /** An audience's version of that section (or of the summary) instead of the text as written. */
  audience: z.string().trim().max(40).regex(/^[a-z0-9-]*$/, "unknown version").optional().transform((v) => v || null),
  quote: z.string().trim().max(1000, "quote at most 1,000 characters").optional().transform((v) => v || null),
  body: z.string().trim().min(1, "write a comment").max(5000, "must be at most 5,000 characters"),
});
export const replySchema = z.object({ body: z.string().trim().min(1, "write a reply").max(5000, "must be at most 5,000 characters") });

export function sectionHash(heading: string, body: string): string {
  return createHash("sha256").update(`${heading}\n${body}`).digest("hex");
}

/**
 * A thread is closed by whoever opened it or by a reviewer, never by the editor it is
 * addressed to (resubmitting closes change requests; see workflow/verbs/submit.ts).
 * The workspace offers Resolve only where this holds. Anyone who may comment may reopen.
 */
export function mayResolveComment(user: User, thread: { authorId: string }): boolean {
  return can(user, "comment.write") && (thread.authorId === user.id || can(user, "workflow.review"));
}

function assertMayComment(user: User) {
  if (!can(user, "comment.write")) throw new AppError("FORBIDDEN", "Your role does not allow commenting.");
}

export async function addComment(db: Db, ctx: RequestContext, user: User, articleId: string, input: z.infer<typeof newCommentSchema>) {
  assertMayComment(user);
  const revision = await findRevision(db, input.revisionId);
  if (!revision || revision.articleId !== articleId) throw new AppError("NOT_FOUND", "That revision does not exist.");
  const section = input.sectionKey ? revision.sections.find((s) => s.key === input.sectionKey) : null;
  if (input.sectionKey && !section) throw new AppError("BAD_REQUEST", "That section is not part of this revision.", { fieldErrors: { sectionKey: "unknown section" } });
  const variant = input.audience ? revision.variants.find((v) => v.audienceSlug === input.audience && v.sectionKey === (section?.key ?? null)) : null;
  if (input.audience && !variant) {
    throw new AppError("BAD_REQUEST", `${section ? "That section" : "The summary"} has no version for the audience "${input.audience}" in this revision.`, { fieldErrors: { audience: "no such version" } });
  }
  if (input.quote) {
    // A quote must be text the commenter actually saw: from the section (or the version
    // commented on), or for a comment on the revision as a whole, from anywhere in the revision.
    const texts = variant
      ? [section?.heading ?? revision.summaryHeading, variant.body]
      : section
      ? [section.heading, section.body]
      : [revision.title, revision.summaryHeading, revision.summary, ...revision.sections.flatMap((s) => [s.heading, s.body]), revision.disclaimerHeading, revision.disclaimer];
    if (!texts.some((text) => text.includes(input.quote!))) {
      throw section
        ? new AppError("BAD_REQUEST", "The quoted passage does not appear in that section.", { fieldErrors: { quote: "quote text from the section" } })
        : new AppError("BAD_REQUEST", "The quoted passage does not appear in this revision.", { fieldErrors: { quote: "quote text from the revision" } });
    }
  }
  return db.$transaction(async (tx) => {
    const comment = await tx.comment.create({
      data: {
        articleId, revisionId: revision.id, sectionKey: section?.key ?? null, audienceSlug: variant?.audienceSlug ?? null,
        sectionHash: section ? sectionHash(section.heading, variant?.body ?? section.body) : null,
        authorId: user.id, quote: input.quote, body: input.body,
      },
    });
    await recordEvent(tx, ctx, {
      action: "comment.created", entityType: "comment", entityId: comment.id, articleId, revisionId: revision.id, articleTitle: revision.title,
      payload: {
        commentId: comment.id, sectionKey: comment.sectionKey, quote: comment.quote, body: comment.body, kind: comment.kind,
        ...(comment.audienceSlug ? { audience: comment.audienceSlug } : {}),
      },
    });
    await notifyMentions(tx, user, articleId, revision.title, input.body);
    return comment;
  });
}

async function findThread(db: Db, articleId: string, commentId: string) {
  const comment = await db.comment.findUnique({ where: { id: commentId }, include: { revision: { select: { title: true } } } });
  if (!comment || comment.articleId !== articleId) throw new AppError("NOT_FOUND", "That comment does not exist.");
  if (comment.parentId) throw new AppError("BAD_REQUEST", "Reply to, resolve or reopen the first comment of a thread.");
  return comment;
}

export async function replyToComment(db: Db, ctx: RequestContext, user: User, articleId: string, commentId: string, body: string) {
  assertMayComment(user);
  const parent = await findThread(db, articleId, commentId);
  return db.$transaction(async (tx) => {
    const reply = await tx.comment.create({
      data: { articleId, revisionId: parent.revisionId, sectionKey: parent.sectionKey, audienceSlug: parent.audienceSlug, sectionHash: parent.sectionHash, parentId: parent.id, authorId: user.id, body },
    });
    await recordEvent(tx, ctx, {
      action: "comment.replied", entityType: "comment", entityId: reply.id, articleId, revisionId: parent.revisionId, articleTitle: parent.revision.title,
      payload: { commentId: reply.id, parentId: parent.id, body },
    });
    await notifyMentions(tx, user, articleId, parent.revision.title, body);
    return reply;
  });
}

export async function setCommentResolved(db: Db, ctx: RequestContext, user: User, articleId: string, commentId: string, resolved: boolean) {
  assertMayComment(user);
  const thread = await findThread(db, articleId, commentId);
  if (resolved && !mayResolveComment(user, thread)) {
    throw new AppError("FORBIDDEN", "Only the comment's author or a reviewer can resolve this comment.");
  }
  return db.$transaction(async (tx) => {
    // Conditional on the state the user saw: resolving twice is a conflict, not a second event.
    const updated = await tx.comment.updateMany({
      where: { id: thread.id, resolvedAt: resolved ? null : { not: null } },
      data: resolved ? { resolvedAt: new Date(), resolvedById: user.id } : { resolvedAt: null, resolvedById: null, resolvedInRevisionId: null },
    });
    if (updated.count !== 1) throw new AppError("CONFLICT", resolved ? "This comment is already resolved." : "This comment is already open.");
    const base = { entityType: "comment" as const, entityId: thread.id, articleId, revisionId: thread.revisionId, articleTitle: thread.revision.title };
    if (resolved) await recordEvent(tx, ctx, { ...base, action: "comment.resolved", payload: { commentId: thread.id, old: "open", new: "resolved" } });
    else await recordEvent(tx, ctx, { ...base, action: "comment.reopened", payload: { commentId: thread.id, old: "resolved", new: "open" } });
  });
}

/**
 * Threads for an article, each marked when its section (or the audience version it is on)
 * changed in `current`, with who closed it (and in which revision, for a change request
 * answered by a resubmission) and whether `viewer` may resolve it.
 */
export async function listThreads(
  db: Db, articleId: string,
  current: { sections: { key: string; heading: string; body: string }[]; variants?: { audienceSlug: string; sectionKey: string | null; body: string }[] } | null,
  viewer?: User,
) {
  const comments = await db.comment.findMany({
    where: { articleId },
    orderBy: { createdAt: "asc" },
    include: { author: { select: { name: true, role: true } }, revision: { select: { number: true } }, resolvedInRevision: { select: { number: true } } },
  });
  const resolverIds = [...new Set(comments.map((c) => c.resolvedById).filter((id): id is string => !!id))];
  const resolvers = new Map((await db.user.findMany({ where: { id: { in: resolverIds } }, select: { id: true, name: true } })).map((u) => [u.id, u.name]));
  const sections = new Map((current?.sections ?? []).map((s) => [s.key, s]));
  const threads = comments.filter((c) => !c.parentId);
  return threads.map((thread) => {
    const section = thread.sectionKey ? sections.get(thread.sectionKey) : undefined;
    // A comment on a version is compared with that version's text now (none left: changed).
    const body = thread.audienceSlug
      ? current?.variants?.find((v) => v.audienceSlug === thread.audienceSlug && v.sectionKey === thread.sectionKey)?.body ?? ""
      : section?.body;
    return {
      ...thread,
      replies: comments.filter((c) => c.parentId === thread.id),
      sectionHeading: section?.heading ?? null,
      sectionRemoved: !!thread.sectionKey && !section,
      sectionChanged: !!section && !!thread.sectionHash && sectionHash(section.heading, body ?? section.body) !== thread.sectionHash,
      resolvedByName: thread.resolvedById ? (resolvers.get(thread.resolvedById) ?? null) : null,
      addressedInNumber: thread.resolvedInRevision?.number ?? null,
      mayResolve: viewer ? mayResolveComment(viewer, thread) : false,
    };
  });
}
