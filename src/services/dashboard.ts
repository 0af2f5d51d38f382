// Queries behind the editorial dashboard and an article's workspace page.
import type { Db } from "../db/database.js";
import type { Prisma, RevisionState, User } from "../generated/prisma/client.js";
import { can } from "../workflow/permissions.js";
import { displayState } from "../workflow/states.js";
import { dashboardSchedules } from "./publishing/index.js";
import { openAssignments } from "./review/index.js";

export interface DashboardFilter {
  state?: RevisionState;
  waitingForMe?: boolean;
  /** Keyset cursor: the last row of the previous page (see dashboardCursor). */
  after?: string;
}

export const DASHBOARD_PAGE_SIZE = 50;

/** Which current-revision states need this user's action. */
function waitingStates(user: User): RevisionState[] {
  const states: RevisionState[] = [];
  if (can(user, "workflow.submit")) states.push("DRAFT", "CHANGES_REQUESTED");
  if (can(user, "workflow.review")) states.push("SUBMITTED", "UNDER_REVIEW");
  if (can(user, "workflow.publish")) states.push("APPROVED");
  return states;
}

const EDITING_STATES: RevisionState[] = ["DRAFT", "CHANGES_REQUESTED"];

const IN_REVIEW: RevisionState[] = ["SUBMITTED", "UNDER_REVIEW"];

/**
 * What waits for this user, as a database filter: editors wait on their own (or
 * unattributed) drafts; reviewers on others' submissions (the assigned ones when reviewers
 * were assigned, otherwise the whole board); admins on approved revisions not yet live.
 */
function waitingWhere(user: User): Prisma.ArticleWhereInput {
  const states = waitingStates(user);
  const editing = states.filter((s) => EDITING_STATES.includes(s));
  const others = states.filter((s) => !EDITING_STATES.includes(s));
  const revision: Prisma.RevisionWhereInput = {
    OR: [
      ...(editing.length ? [{ state: { in: editing }, OR: [{ authorId: user.id }, { authorId: null }] }] : []),
      ...(others.length ? [{ state: { in: others }, OR: [{ authorId: { not: user.id } }, { authorId: null }] }] : []),
    ],
    ...(can(user, "workflow.review")
      ? {
          AND: [
            {
              OR: [
                { state: { notIn: IN_REVIEW } },
                { assignments: { none: { endedAt: null } } },
                { assignments: { some: { endedAt: null, reviewerId: user.id } } },
              ],
            },
          ],
        }
      : {}),
  };
  // The live revision waits for nobody.
  return { currentRevision: { is: { ...revision, publishedOf: { is: null } } } };
}

function isWaiting(user: User, states: RevisionState[], rev: { state: RevisionState; authorId: string | null }, live: boolean, assigned: string[]) {
  if (!states.includes(rev.state) || live) return false;
  const ownWork = EDITING_STATES.includes(rev.state) ? rev.authorId === user.id || rev.authorId === null : rev.authorId !== user.id;
  return ownWork && (!IN_REVIEW.includes(rev.state) || !can(user, "workflow.review") || assigned.length === 0 || assigned.includes(user.id));
}

/** A row's position in the dashboard's order (creation time, then id), as an opaque cursor. */
export function dashboardCursor(row: { createdAt: Date; id: string }) {
  return `${row.createdAt.toISOString()}_${row.id}`;
}

function parseCursor(cursor: string | undefined): Prisma.ArticleWhereInput | undefined {
  const match = cursor ? /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_([0-9a-f-]{36})$/.exec(cursor) : null;
  if (!match) return undefined;
  const createdAt = new Date(match[1]!);
  return { OR: [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: match[2]! } }] };
}

/** The dashboard screen: articles, reviews due, upcoming and failed schedules. */
export async function dashboardScreen(db: Db, user: User, filter: DashboardFilter) {
  return {
    title: "Dashboard",
    ...(await listDashboard(db, user, filter)),
    reviewsDue: await listReviewsDue(db),
    schedules: can(user, "workflow.publish") ? await dashboardSchedules(db) : null,
    // Reviewers see their own assignments; editors and admins see every open one (overdue first matters to them).
    assignments: can(user, "workflow.review") && !can(user, "review.assign") ? await openAssignments(db, { reviewerId: user.id }) : await openAssignments(db),
    filter: { state: filter.state, mine: filter.waitingForMe ? "1" : undefined, after: filter.after },
    canCreate: can(user, "article.create"),
  };
}

/** One page of the dashboard, filtered in the database (keyset paging: never loads every article). */
export async function listDashboard(db: Db, user: User, filter: DashboardFilter) {
  const articles = await db.article.findMany({
    where: {
      AND: [
        { currentRevision: { is: filter.state ? { state: filter.state } : {} } },
        filter.waitingForMe ? waitingWhere(user) : {},
        parseCursor(filter.after) ?? {},
      ],
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: DASHBOARD_PAGE_SIZE + 1,
    include: {
      currentRevision: { select: { id: true, number: true, state: true, title: true, authorId: true, createdAt: true, stateChangedAt: true, author: { select: { name: true } }, assignments: { where: { endedAt: null }, select: { reviewerId: true } } } },
      publishedRevision: { select: { number: true } },
    },
  });
  const states = waitingStates(user);
  const page = articles.slice(0, DASHBOARD_PAGE_SIZE);
  const rows = page.map((a) => {
    const rev = a.currentRevision!;
    const live = rev.id === a.publishedRevisionId;
    const assigned = rev.assignments.map((x) => x.reviewerId);
    return {
      id: a.id, slug: a.slug, revision: rev, stateLabel: displayState(rev, a.publishedRevisionId), publishedNumber: a.publishedRevision?.number ?? null,
      nextReviewDue: a.nextReviewDue, waitingForMe: isWaiting(user, states, rev, live, assigned),
    };
  });
  const last = page[page.length - 1];
  // The database filter and isWaiting() apply the same rule; the second is a safety net.
  return { rows: filter.waitingForMe ? rows.filter((r) => r.waitingForMe) : rows, nextAfter: articles.length > DASHBOARD_PAGE_SIZE && last ? dashboardCursor(last) : null };
}

/** Published articles whose scheduled review is overdue or due within `days`. */
export async function listReviewsDue(db: Db, days = 60, limit = 50) {
  const horizon = new Date(Date.now() + days * 86_400_000);
  const rows = await db.article.findMany({
    where: { publishedRevisionId: { not: null }, nextReviewDue: { not: null, lte: horizon } },
    orderBy: [{ nextReviewDue: "asc" }, { id: "asc" }],
    take: limit,
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
        select: { id: true, number: true, state: true, createdAt: true, publishedAt: true, changeNote: true, authorId: true, author: { select: { name: true } }, approvals: true },
      },
    },
  });
}
