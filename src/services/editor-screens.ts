// The view model of each staff screen about one article, built by one named
// function per screen, so routes only parse, call one of these, and render.
import type { Db } from "../db/database.js";
import type { User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { can } from "../workflow/permissions.js";
import { displayState, states } from "../workflow/states.js";
import { referenceTypeLabels, referenceTypes } from "../content/revision-content.js";
import { articleView, articleSchedules, articlePreviewLinks } from "./publishing/index.js";
import { articleWorkspace } from "./dashboard.js";
import { deletedImagesOf, mediaOf, findRevision, toContent, type RevisionWithContent, checkCitations, compareRevisions, defaultComparisonBase, type RevisionComparison, formatEvent, historyKinds, type HistoryKind, audienceList, listAudiences, readabilityFigure, revisionReadability, type ReadabilityFigure } from "./editorial/index.js";
import { listThreads, signatureMeanings, verifySignature, workflowOptions, activeAssignments } from "./review/index.js";
import { parseStoredPayload } from "../audit/events.js";
import { renderRevision } from "../content/render.js";
import { positiveInt, uuid } from "../schemas.js";
import { revisionStates } from "../workflow/states.js";
import type { RevisionState } from "../generated/prisma/client.js";
import { z } from "zod";
import { transitions } from "../workflow/transitions.js";
import { listBoardMembers } from "./people/index.js";
import { lookupTable } from "../lookup.js";

/** Staff pages fetch images through the signed-in route: drafts' images are not public. */
export const STAFF_MEDIA_BASE = "/editor/media";

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
  const compareFrom = defaultComparisonBase(article.revisions, current.number);
  const baseline = compareFrom ? await revisionByNumber(db, articleId, compareFrom) : null;
  const live = article.revisions.find((r) => r.id === article.publishedRevisionId) ?? null;
  return {
    title: current.title, article, current, offers, unavailable,
    stateLabel: displayState(current, article.publishedRevisionId),
    liveNumber: live?.number ?? null,
    issues: checkCitations(content, deletedImagesOf(current)),
    readability: revisionReadability(content, (await audienceList(db)).all),
    // `audiences`: versions one may comment on now; `allAudiences`: names for older threads (archived ones too).
    audiences: (await audienceList(db)).others,
    allAudiences: (await audienceList(db)).all,
    threads: await listThreads(db, articleId, current, user),
    signatures: current.approvals.map((a) => ({ ...a, valid: verifySignature(a, current) })),
    meanings: signatureMeanings,
    compareFrom,
    comparison: baseline ? await withAudienceNames(db, compareRevisions(toContent(baseline), content, { media: mediaOf(baseline, current), mediaBase: STAFF_MEDIA_BASE })) : null,
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
    now: new Date(),
  };
}

/**
 * The editor, opened on the newest revision; while that revision is in review, what is
 * true instead (submitted: its author may withdraw it; under review: by whom) and the
 * step this person may take, as the workflow offers it (through the verb's guard).
 */
export async function openEditorScreen(db: Db, user: User, articleId: string) {
  const { current } = await newestRevisionOf(db, articleId);
  if (!states[current.state].lockedForEditing) {
    return { locked: null, editable: current };
  }
  const article = (await articleWorkspace(db, articleId))!;
  const { offers, unavailable } = await workflowOptions(db, user, article);
  const withdraw = offers.find((o) => o.transition.name === "withdraw" && !o.blockedBy) ?? null;
  const reviewers = (await activeAssignments(db, current.id)).map((a) => a.reviewer.name);
  const started = current.state === "UNDER_REVIEW"
    ? await db.auditEvent.findFirst({ where: { revisionId: current.id, action: transitions.start_review.event }, orderBy: { id: "desc" }, select: { actorName: true, createdAt: true } })
    : null;
  const r = `r${current.number}`;
  let explanation: string;
  if (current.state === "SUBMITTED") {
    const waiting = reviewers.length ? `for ${reviewers.join(" and ")} to start the review` : "for a reviewer of the board to start the review";
    explanation = withdraw
      ? `${r} is submitted for review, so it cannot be edited now. Withdraw it to edit it (it goes back to a draft, and the board no longer sees it as waiting), or wait ${waiting}.`
      : `${r} is submitted for review, so it cannot be edited now. Its author${can(user, "workflow.withdraw") ? "" : " or an admin"} can withdraw it before a reviewer starts; otherwise wait ${waiting}.`;
  } else {
    const by = started?.actorName ?? (reviewers.length ? reviewers.join(" and ") : "a reviewer of the board");
    explanation = `${r} is under review by ${by}, so it cannot be edited now. Wait for the review (approval, or a request for changes that opens it for editing again), or ask ${started?.actorName ?? "the reviewer"} to request changes if it must change now.`;
  }
  return {
    locked: {
      title: `Edit: ${current.title}`, article, current, stateLabel: states[current.state].label, explanation, withdraw,
      withdrawRefusal: withdraw ? null : unavailable.find((u) => u.label === transitions.withdraw.label)?.reason ?? null,
    },
    editable: null,
  };
}

/** The text boxes the editor shows; the web layer turns content and posted forms into these. */
interface EditorFormText {
  summary: string;
  summaryVariants: Record<string, string>;
  sections: { body: string; variants: Record<string, string> }[];
}

/** The editor showing `shown` (the user's own text after a refused save, with its blank rows). */
export async function editorScreen<F extends EditorFormText>(db: Db, articleId: string, shown: F, extra: Record<string, unknown> = {}) {
  const { article, current } = await newestRevisionOf(db, articleId);
  const { defaultAudience, others } = await audienceList(db);
  // Figures for the text on screen (the user's own after a refused save), as written and per audience.
  const figuresOf = (asWritten: string, variants: Record<string, string>) =>
    lookupTable<ReadabilityFigure | null>([
      ["asWritten", readabilityFigure(asWritten, null)],
      ...others.map((a) => [a.slug, readabilityFigure(Object.hasOwn(variants, a.slug) ? variants[a.slug] : undefined, a)] as const),
    ]);
  return {
    title: `Edit: ${current.title}`, article, current, form: shown,
    defaultAudience, audiences: others,
    readability: { summary: figuresOf(shown.summary, shown.summaryVariants), sections: shown.sections.map((s) => figuresOf(s.body, s.variants)) },
    referenceTypes, referenceTypeLabels, fieldErrors: lookupTable<string>(), error: null, conflict: null,
    // References are labelled by the number readers see (in the revision being edited).
    referenceNumbers: lookupTable(renderRevision(toContent(current)).references.filter((r) => r.number).map((r) => [r.key, r.number] as const)),
    issues: checkCitations(toContent(current), deletedImagesOf(current)), ...extra,
  };
}

/** What another person changed since the user's base revision, for a stale save. */
export async function staleSaveConflict(db: Db, baseRevisionId: string, currentRevisionId: string) {
  const base = await findRevision(db, baseRevisionId);
  const theirs = await findRevision(db, currentRevisionId);
  return base && theirs ? { number: theirs.number, author: theirs.author?.name ?? "someone", comparison: await withAudienceNames(db, compareRevisions(toContent(base), toContent(theirs), { media: mediaOf(base, theirs), mediaBase: STAFF_MEDIA_BASE })) } : null;
}

/** One revision exactly as the public would see it. */
export async function revisionScreen(db: Db, user: User | undefined, articleId: string, number: number, audienceSlug: string | null = null) {
  const revision = await revisionByNumber(db, articleId, number);
  const article = await db.article.findUniqueOrThrow({ where: { id: articleId }, include: { currentRevision: { select: { state: true } } } });
  const audiences = await audienceList(db);
  const audience = audienceSlug === null ? audiences.defaultAudience : audiences.all.find((a) => a.slug === audienceSlug);
  if (!audience) throw new AppError("NOT_FOUND", "There is no such version of this revision.");
  const view = articleView(revision, {
    audience: audience.isDefault ? null : { slug: audience.slug, name: audience.name, schemaAudienceType: audience.schemaAudienceType },
    pendingReview: revision.id !== article.publishedRevisionId, newestState: revision.state, nextReviewDue: article.nextReviewDue,
    liveNumber: revision.id === article.publishedRevisionId ? revision.number : null, mediaBase: STAFF_MEDIA_BASE,
  });
  return {
    title: `Revision ${number}: ${revision.title}`, article, revision, ...view,
    // Archived audiences are listed only for revisions that have their versions.
    versions: audiences.all
      .filter((a) => !a.archivedAt || a.id === audience.id || revision.variants.some((v) => v.audienceSlug === a.slug))
      .map((a) => ({ slug: a.isDefault ? null : a.slug, name: a.name, current: a.id === audience.id })),
    canRestore: can(user, "article.edit") && article.currentRevisionId !== revision.id };
}

export async function compareScreen(db: Db, articleId: string, fromNumber: number, toNumber: number) {
  const [from, to] = await Promise.all([revisionByNumber(db, articleId, fromNumber), revisionByNumber(db, articleId, toNumber)]);
  const revisions = await db.revision.findMany({ where: { articleId }, orderBy: { number: "desc" }, select: { number: true, state: true } });
  return { title: `Compare revisions ${from.number} and ${to.number}`, articleId, from, to, revisions, comparison: await withAudienceNames(db, compareRevisions(toContent(from), toContent(to), { media: mediaOf(from, to), mediaBase: STAFF_MEDIA_BASE })) };
}

export const historyFilterSchema = z.object({
  // "Everyone" and "All kinds" submit an empty value.
  person: z.preprocess((v) => (v === "" ? undefined : v), uuid("choose a person from the list").optional()),
  kind: z.preprocess((v) => (v === "" ? undefined : v), z.enum(Object.keys(historyKinds) as [HistoryKind, ...HistoryKind[]], { message: "choose a kind of event from the list" }).optional()),
  page: positiveInt().optional().default(1),
});
export type HistoryFilter = z.output<typeof historyFilterSchema>;
export const HISTORY_PAGE_SIZE = 20;

/** The article's audit trail as sentences, oldest first, a page at a time, filtered by person and kind. */
export async function historyScreen(db: Db, articleId: string, filter: HistoryFilter) {
  const article = await db.article.findUnique({ where: { id: articleId }, include: { currentRevision: { select: { title: true } }, publishedRevision: { select: { number: true } } } });
  if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
  const where = {
    articleId,
    ...(filter.person ? { actorId: filter.person } : {}),
    ...(filter.kind ? { OR: historyKinds[filter.kind].prefixes.map((prefix) => ({ action: { startsWith: prefix } })) } : {}),
  };
  const [total, rows, people, comments, current] = await Promise.all([
    db.auditEvent.count({ where }),
    db.auditEvent.findMany({ where, orderBy: { id: "asc" }, skip: (filter.page - 1) * HISTORY_PAGE_SIZE, take: HISTORY_PAGE_SIZE }),
    db.auditEvent.findMany({ where: { articleId, actorId: { not: null } }, distinct: ["actorId"], select: { actorId: true, actorName: true }, orderBy: { actorId: "asc" } }),
    db.comment.findMany({ where: { articleId }, select: { id: true, body: true, revision: { select: { number: true } }, resolvedInRevision: { select: { number: true } } } }),
    article.currentRevisionId ? findRevision(db, article.currentRevisionId) : null,
  ]);
  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  if (filter.page > pages) throw new AppError("NOT_FOUND", `There is no page ${filter.page} of this history; it has ${pages}.`);
  const numbers = new Map((current ? renderRevision(toContent(current)).references : []).map((r) => [r.key, r.number ?? undefined]));
  const headings = new Map((current?.sections ?? []).map((s) => [s.key, s.heading]));
  const commentsById = new Map(comments.map((c) => [c.id, { body: c.body, revisionNumber: c.revision.number, addressedInNumber: c.resolvedInRevision?.number ?? null }]));
  const events = rows.map((e) => {
    const parsed = parseStoredPayload(e.action, e.payload);
    const actor = e.actorName || e.actorEmail || "System";
    return {
      id: e.id, action: e.action, createdAt: e.createdAt, actor, apiTokenId: e.apiTokenId,
      entry: formatEvent(e.action, parsed.ok ? parsed.payload : e.payload, parsed.ok, {
        actor, comment: e.comment, comments: commentsById, referenceNumber: (key) => numbers.get(key), sectionHeading: (key) => headings.get(key),
      }),
      payloadError: parsed.ok ? null : parsed.error,
      // The stored event for auditors (ids as text: JSON has no 64-bit integers). The client
      // address and browser stay on the admins' site-wide log, not on a page every editor sees.
      raw: JSON.stringify({ ...e, id: e.id.toString(), ip: undefined, userAgent: undefined }, null, 2),
    };
  });
  return {
    title: `History: ${article.currentRevision?.title ?? article.slug}`, article, liveNumber: article.publishedRevision?.number ?? null,
    events, filter, total, page: filter.page, pages, pageSize: HISTORY_PAGE_SIZE,
    people: people.map((p) => ({ id: p.actorId!, name: p.actorName ?? "Unknown" })).sort((a, b) => a.name.localeCompare(b.name)),
    kinds: Object.entries(historyKinds).map(([value, k]) => ({ value, label: k.label })),
  };
}

export const confirmQuerySchema = z.object({
  revisionId: uuid("unknown revision"),
  expectedState: z.enum(revisionStates as [RevisionState, ...RevisionState[]], { message: "unknown state" }),
  comment: z.string().max(5000, "must be at most 5,000 characters").optional().default(""),
});

/** Publish or Unpublish, asked once more: what the public will see afterwards, and the button that does it. */
export async function confirmScreen(db: Db, articleId: string, name: "publish" | "unpublish", query: z.output<typeof confirmQuerySchema>) {
  const revision = await findRevision(db, query.revisionId);
  const article = await db.article.findUnique({ where: { id: articleId }, include: { publishedRevision: { select: { number: true } } } });
  if (!article || !revision || revision.articleId !== articleId) throw new AppError("NOT_FOUND", "That revision does not exist.");
  const live = article.publishedRevision?.number ?? null;
  const publicUrl = `/articles/${article.slug}`;
  const outcome =
    name === "publish"
      ? live
        ? `Readers of ${publicUrl} will see r${revision.number} instead of r${live}, with the reviewers below and the date they signed.`
        : `The article will appear at ${publicUrl} for the first time, as r${revision.number}, with the reviewers below and the date they signed.`
      : `Readers of ${publicUrl} will get “not found” until an approved revision is published again. Staff keep every revision and its history.`;
  return {
    title: `${name === "publish" ? "Publish" : "Unpublish"} r${revision.number}?`,
    name, article, revision, live, outcome, publicUrl, query,
    signers: revision.approvals.map((a) => `${a.signerName}${a.signerCredentials ? `, ${a.signerCredentials}` : ""}`),
  };
}
