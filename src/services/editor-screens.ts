// The view model of each staff screen about one article, built by one named
// function per screen, so routes only parse, call one of these, and render.
import type { Db } from "../db/database.js";
import type { User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { can } from "../workflow/permissions.js";
import { displayState, states } from "../workflow/states.js";
import { referenceTypeLabels, referenceTypes } from "../content/revision-content.js";
import { articleView } from "../web/article-view.js";
import { formFromContent, withBlankRows, type ArticleForm } from "../web/article-form.js";
import { articleWorkspace } from "./dashboard.js";
import { findRevision, toContent, type RevisionWithContent } from "./revisions.js";
import { checkCitations } from "./citation-checks.js";
import { compareRevisions, type RevisionComparison } from "./compare.js";
import { listThreads } from "./comments.js";
import { articleHistory } from "./audit-queries.js";
import { signatureMeanings, verifySignature } from "./signatures.js";
import { workflowOptions } from "./workflow.js";
import { articleSchedules } from "./schedules.js";
import { articlePreviewLinks } from "./preview-links.js";
import { activeAssignments } from "./assignments.js";
import { listBoardMembers } from "./users.js";
import { audienceList, listAudiences, readabilityFigure, revisionReadability } from "./audiences.js";

/** Names the audience of each variant change (the comparison itself knows only slugs). */
async function withAudienceNames(db: Db, comparison: RevisionComparison) {
  if (comparison.variants.length === 0) return comparison;
  const names = new Map((await listAudiences(db)).map((a) => [a.slug, a.name]));
  return { ...comparison, variants: comparison.variants.map((v) => ({ ...v, audienceName: names.get(v.audience) ?? v.audience })) };
}

export async function revisionByNumber(db: Db, articleId: string, number: number): Promise<RevisionWithContent> {
  const row = await db.revision.findUnique({ where: { articleId_number: { articleId, number } }, select: { id: true } });
  const revision = row ? await findRevision(db, row.id) : null;
  if (!revision) throw new AppError("NOT_FOUND", "That revision does not exist.");
  return revision;
}

async function newestRevisionOf(db: Db, articleId: string) {
  const article = await db.article.findUnique({ where: { id: articleId }, select: { id: true, slug: true, currentRevisionId: true } });
  const current = article?.currentRevisionId ? await findRevision(db, article.currentRevisionId) : null;
  if (!article || !current) throw new AppError("NOT_FOUND", "That article does not exist.");
  return { article, current };
}

/** The article workspace: state, the workflow steps this user may take (and why others are missing), review material. */
export async function workspaceScreen(db: Db, user: User, articleId: string) {
  const article = await articleWorkspace(db, articleId);
  if (!article || !article.currentRevisionId) throw new AppError("NOT_FOUND", "That article does not exist.");
  const current = (await findRevision(db, article.currentRevisionId))!;
  const content = toContent(current);
  const { offers, unavailable } = await workflowOptions(db, user, article);
  // Reviewers see, by default, what changed since the last approved revision (or the previous one).
  const lastApproved = article.revisions.find((r) => r.number < current.number && r.state === "APPROVED");
  const compareFrom = lastApproved?.number ?? (current.number > 1 ? current.number - 1 : null);
  const baseline = compareFrom ? await revisionByNumber(db, articleId, compareFrom) : null;
  const live = article.revisions.find((r) => r.id === article.publishedRevisionId) ?? null;
  return {
    title: current.title, article, current, offers, unavailable,
    stateLabel: displayState(current, article.publishedRevisionId),
    liveNumber: live?.number ?? null,
    issues: checkCitations(content),
    readability: revisionReadability(content, (await audienceList(db)).all),
    audiences: (await audienceList(db)).others,
    threads: await listThreads(db, articleId, current),
    signatures: current.approvals.map((a) => ({ ...a, valid: verifySignature(a, current) })),
    meanings: signatureMeanings,
    compareFrom,
    comparison: baseline ? await withAudienceNames(db, compareRevisions(toContent(baseline), content)) : null,
    canEdit: can(user, "article.edit") && !states[current.state].lockedForEditing,
    canComment: can(user, "comment.write"),
    canChangeSettings: can(user, "article.settings"),
    canSchedule: can(user, "workflow.publish"),
    schedules: await articleSchedules(db, articleId),
    assignments: await activeAssignments(db, current.id),
    canAssign: can(user, "review.assign"),
    board: can(user, "review.assign") ? await listBoardMembers(db) : [],
    today: new Date().toISOString().slice(0, 10),
    canPreviewLink: can(user, "preview.create"),
    previewLinks: can(user, "preview.create") ? await articlePreviewLinks(db, articleId) : [],
  };
}

/** The editor, opened on the newest revision (refused while it is locked for review). */
export async function openEditorScreen(db: Db, articleId: string) {
  const { current } = await newestRevisionOf(db, articleId);
  if (states[current.state].lockedForEditing) {
    throw new AppError("CONFLICT", `Revision ${current.number} is in review and cannot be edited now. Withdraw it first, or wait for the review.`);
  }
  return editorScreen(db, articleId, formFromContent(toContent(current), current.id));
}

/** The editor showing `form` (the user's own text after a refused save). */
export async function editorScreen(db: Db, articleId: string, form: ArticleForm, extra: Record<string, unknown> = {}) {
  const { article, current } = await newestRevisionOf(db, articleId);
  const { defaultAudience, others } = await audienceList(db);
  // Figures for the text on screen (the user's own after a refused save), as written and per audience.
  const figuresOf = (asWritten: string, variants: Record<string, string>) => ({
    asWritten: readabilityFigure(asWritten, null),
    ...Object.fromEntries(others.map((a) => [a.slug, readabilityFigure(variants[a.slug], a)])),
  });
  const shown = withBlankRows(form);
  return {
    title: `Edit: ${current.title}`, article, current, form: shown,
    defaultAudience, audiences: others,
    readability: { summary: figuresOf(shown.summary, shown.summaryVariants), sections: shown.sections.map((s) => figuresOf(s.body, s.variants)) },
    referenceTypes, referenceTypeLabels, fieldErrors: {}, error: null, conflict: null,
    issues: checkCitations(toContent(current)), ...extra,
  };
}

/** What another person changed since the user's base revision, for a stale save. */
export async function staleSaveConflict(db: Db, baseRevisionId: string, currentRevisionId: string) {
  const base = await findRevision(db, baseRevisionId);
  const theirs = await findRevision(db, currentRevisionId);
  return base && theirs ? { number: theirs.number, author: theirs.author?.name ?? "someone", comparison: await withAudienceNames(db, compareRevisions(toContent(base), toContent(theirs))) } : null;
}

/** One revision exactly as the public would see it. */
export async function revisionScreen(db: Db, user: User | undefined, articleId: string, number: number, audienceSlug: string | null = null) {
  const revision = await revisionByNumber(db, articleId, number);
  const article = await db.article.findUniqueOrThrow({ where: { id: articleId }, include: { currentRevision: { select: { state: true } } } });
  const audiences = await audienceList(db);
  const audience = audienceSlug === null ? audiences.defaultAudience : audiences.all.find((a) => a.slug === audienceSlug);
  if (!audience) throw new AppError("NOT_FOUND", "There is no such version of this revision.");
  const view = articleView(revision, {
    audience: audience.isDefault ? null : { slug: audience.slug, name: audience.name },
    pendingReview: revision.id !== article.publishedRevisionId, newestState: revision.state, nextReviewDue: article.nextReviewDue,
    liveNumber: revision.id === article.publishedRevisionId ? revision.number : null,
  });
  return {
    title: `Revision ${number}: ${revision.title}`, article, revision, ...view,
    versions: audiences.all.map((a) => ({ slug: a.isDefault ? null : a.slug, name: a.name, current: a.id === audience.id })),
    canRestore: can(user, "article.edit") && article.currentRevisionId !== revision.id };
}

export async function compareScreen(db: Db, articleId: string, fromNumber: number, toNumber: number) {
  const [from, to] = await Promise.all([revisionByNumber(db, articleId, fromNumber), revisionByNumber(db, articleId, toNumber)]);
  const revisions = await db.revision.findMany({ where: { articleId }, orderBy: { number: "desc" }, select: { number: true, state: true } });
  return { title: `Compare revisions ${from.number} and ${to.number}`, articleId, from, to, revisions, comparison: await withAudienceNames(db, compareRevisions(toContent(from), toContent(to))) };
}

export async function historyScreen(db: Db, articleId: string) {
  const article = await db.article.findUnique({ where: { id: articleId }, include: { currentRevision: { select: { title: true } }, publishedRevision: { select: { number: true } } } });
  if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
  return { title: `History: ${article.currentRevision?.title ?? article.slug}`, article, liveNumber: article.publishedRevision?.number ?? null, events: await articleHistory(db, articleId) };
}
