// Queries behind the editorial dashboard and an article's workspace page.
import type { Db } from "../db/database.js";
import type { RevisionState, User } from "../generated/prisma/client.js";
import { can } from "../workflow/permissions.js";
import { displayState } from "../workflow/states.js";
import { dashboardSchedules } from "./schedules.js";
import { openAssignments } from "./assignments.js";

export interface DashboardFilter {
  state?: RevisionState;
  waitingForMe?: boolean;
}

/** Which current-revision states need this user's action. */
function waitingStates(user: User): RevisionState[] {
  const states: RevisionState[] = [];
  if (can(user, "workflow.submit")) states.push("DRAFT", "CHANGES_REQUESTED");
  if (can(user, "workflow.review")) states.push("SUBMITTED", "UNDER_REVIEW");
  if (can(user, "workflow.publish")) states.push("APPROVED");
  return states;
}

/** The dashboard screen: articles, reviews due, upcoming and failed schedules. */
export async function dashboardScreen(db: Db, user: User, filter: DashboardFilter) {
  return {
    title: "Dashboard",
    rows: await listDashboard(db, user, filter),
    reviewsDue: await listReviewsDue(db),
    schedules: can(user, "workflow.publish") ? await dashboardSchedules(db) : null,
    // Reviewers see their own assignments; editors and admins see every open one (overdue first matters to them).
    assignments: can(user, "workflow.review") && !can(user, "review.assign") ? await openAssignments(db, { reviewerId: user.id }) : await openAssignments(db),
    filter: { state: filter.state, mine: filter.waitingForMe ? "1" : undefined },
    canCreate: can(user, "article.create"),
  };
}

export async function listDashboard(db: Db, user: User, filter: DashboardFilter) {
  const articles = await db.article.findMany({
    where: { currentRevision: filter.state ? { state: filter.state } : undefined },
    orderBy: { createdAt: "asc" },
    include: {
      currentRevision: { select: { id: true, number: true, state: true, title: true, authorId: true, createdAt: true, stateChangedAt: true, author: { select: { name: true } }, assignments: { where: { endedAt: null }, select: { reviewerId: true } } } },
      publishedRevision: { select: { number: true } },
    },
  });
  const states = waitingStates(user);
  const rows = articles
    .filter((a) => a.currentRevision)
    .map((a) => {
      const rev = a.currentRevision!;
      // Editors wait on their own drafts; reviewers on others' submissions: the assigned ones
      // when reviewers were assigned, otherwise the whole board.
      const live = rev.id === a.publishedRevisionId;
      const assigned = rev.assignments.map((x) => x.reviewerId);
      const inReview = rev.state === "SUBMITTED" || rev.state === "UNDER_REVIEW";
      const waiting =
        states.includes(rev.state) && !live &&
        (rev.state === "DRAFT" || rev.state === "CHANGES_REQUESTED" ? rev.authorId === user.id || rev.authorId === null : rev.authorId !== user.id) &&
        (!inReview || !can(user, "workflow.review") || assigned.length === 0 || assigned.includes(user.id));
      return { id: a.id, slug: a.slug, revision: rev, stateLabel: displayState(rev, a.publishedRevisionId), publishedNumber: a.publishedRevision?.number ?? null, nextReviewDue: a.nextReviewDue, waitingForMe: waiting };
    });
  return filter.waitingForMe ? rows.filter((r) => r.waitingForMe) : rows;
}

/** Published articles whose scheduled review is overdue or due within `days`. */
export async function listReviewsDue(db: Db, days = 60) {
  const horizon = new Date(Date.now() + days * 86_400_000);
  const rows = await db.article.findMany({
    where: { publishedRevisionId: { not: null }, nextReviewDue: { not: null, lte: horizon } },
    orderBy: { nextReviewDue: "asc" },
    select: { id: true, slug: true, nextReviewDue: true, publishedRevision: { select: { title: true, number: true } } },
  });
  const today = new Date().toISOString().slice(0, 10);
  return rows.map((r) => ({ ...r, overdue: r.nextReviewDue!.toISOString().slice(0, 10) < today }));
}

export async function articleWorkspace(db: Db, articleId: string) {
  return db.article.findUnique({
    where: { id: articleId },
    include: {
      revisions: {
        orderBy: { number: "desc" },
        select: { id: true, number: true, state: true, createdAt: true, changeNote: true, authorId: true, author: { select: { name: true } }, approvals: true },
      },
    },
  });
}
