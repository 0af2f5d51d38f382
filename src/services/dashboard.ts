// Queries behind the editorial dashboard and an article's workspace page.
import type { Db } from "../db/database.js";
import type { Prisma, RevisionState, User } from "../generated/prisma/client.js";
import { can } from "../workflow/permissions.js";

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

/** Editors wait on their own (or unattributed) drafts; reviewers and admins on others' work. */
function waitingWhere(user: User): Prisma.RevisionWhereInput {
  const states = waitingStates(user);
  const editing = states.filter((s) => EDITING_STATES.includes(s));
  const others = states.filter((s) => !EDITING_STATES.includes(s));
  return {
    OR: [
      ...(editing.length ? [{ state: { in: editing }, OR: [{ authorId: user.id }, { authorId: null }] }] : []),
      ...(others.length ? [{ state: { in: others }, OR: [{ authorId: { not: user.id } }, { authorId: null }] }] : []),
    ],
  };
}

function isWaiting(user: User, states: RevisionState[], rev: { state: RevisionState; authorId: string | null }) {
  if (!states.includes(rev.state)) return false;
  return EDITING_STATES.includes(rev.state) ? rev.authorId === user.id || rev.authorId === null : rev.authorId !== user.id;
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

/** One page of the dashboard, filtered in the database (keyset paging: never loads every article). */
export async function listDashboard(db: Db, user: User, filter: DashboardFilter) {
  const revisionWhere: Prisma.RevisionWhereInput = {
    ...(filter.state ? { state: filter.state } : {}),
    ...(filter.waitingForMe ? waitingWhere(user) : {}),
  };
  const articles = await db.article.findMany({
    where: { AND: [{ currentRevision: { is: revisionWhere } }, parseCursor(filter.after) ?? {}] },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: DASHBOARD_PAGE_SIZE + 1,
    include: {
      currentRevision: { select: { id: true, number: true, state: true, title: true, authorId: true, createdAt: true, stateChangedAt: true, author: { select: { name: true } } } },
      publishedRevision: { select: { number: true } },
    },
  });
  const states = waitingStates(user);
  const page = articles.slice(0, DASHBOARD_PAGE_SIZE);
  const rows = page.map((a) => {
    const rev = a.currentRevision!;
    return { id: a.id, slug: a.slug, revision: rev, publishedNumber: a.publishedRevision?.number ?? null, nextReviewDue: a.nextReviewDue, waitingForMe: isWaiting(user, states, rev) };
  });
  const last = page[page.length - 1];
  return { rows, nextAfter: articles.length > DASHBOARD_PAGE_SIZE && last ? dashboardCursor(last) : null };
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
        select: { id: true, number: true, state: true, createdAt: true, changeNote: true, authorId: true, author: { select: { name: true } }, approvals: true },
      },
    },
  });
}
