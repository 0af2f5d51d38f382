// Queries behind the editorial dashboard and an article's workspace page.
import type { Db } from "../db/database.js";
import { Prisma, type RevisionState, type ScheduleAction, type ScheduleStatus, type User } from "../generated/prisma/client.js";
import { can } from "../workflow/permissions.js";
import { displayState, statesWhere } from "../workflow/states.js";

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

const IN_REVIEW: RevisionState[] = statesWhere("lockedForEditing");

/**
 * What waits for this user, as SQL over the current revision `r` of article `a`: editors
 * wait on their own (or unattributed) drafts; reviewers on others' submissions (the
 * assigned ones when reviewers were assigned, otherwise the whole board); admins on
 * approved revisions not yet live. isWaiting() below is the same rule for one row.
 */
function waitingSql(user: User): Prisma.Sql {
  const states = waitingStates(user);
  const editing = states.filter((s) => EDITING_STATES.includes(s));
  const others = states.filter((s) => !EDITING_STATES.includes(s));
  const inStates = (list: RevisionState[]) => Prisma.sql`r.state = ANY(ARRAY[${Prisma.join(list)}]::"RevisionState"[])`;
  const ownWork = [
    ...(editing.length ? [Prisma.sql`(${inStates(editing)} AND (r.author_id = ${user.id}::uuid OR r.author_id IS NULL))`] : []),
    ...(others.length ? [Prisma.sql`(${inStates(others)} AND r.author_id IS DISTINCT FROM ${user.id}::uuid)`] : []),
  ];
  const assigned = can(user, "workflow.review")
    ? Prisma.sql` AND (NOT ${inStates(IN_REVIEW)}
        OR NOT EXISTS (SELECT 1 FROM review_assignment x WHERE x.revision_id = r.id AND x.ended_at IS NULL)
        OR EXISTS (SELECT 1 FROM review_assignment x WHERE x.revision_id = r.id AND x.ended_at IS NULL AND x.reviewer_id = ${user.id}::uuid))`
    : Prisma.empty;
  // The live revision waits for nobody.
  return Prisma.sql`(${ownWork.length ? Prisma.join(ownWork, " OR ") : Prisma.sql`false`})${assigned} AND r.id IS DISTINCT FROM a.published_revision_id`;
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

function cursorSql(cursor: string | undefined): Prisma.Sql {
  const match = cursor ? /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_([0-9a-f-]{36})$/.exec(cursor) : null;
  if (!match || Number.isNaN(Date.parse(match[1]!))) return Prisma.sql`true`;
  // A row comparison the (created_at, id) index answers directly, at any depth.
  return Prisma.sql`(a.created_at, a.id) > (${match[1]!}::timestamptz, ${match[2]!}::uuid)`;
}

/** Days ahead that the "Reviews due" list looks. */
const REVIEWS_DUE_DAYS = 60;
const LIST_LIMIT = 50;

interface DashboardRow {
  id: string;
  slug: string;
  createdAt: string;
  nextReviewDue: string | null;
  publishedRevisionId: string | null;
  publishedNumber: number | null;
  revision: { id: string; number: number; state: RevisionState; title: string; authorId: string | null; createdAt: string; stateChangedAt: string; author: { name: string } | null };
  assigned: string[];
}
interface ReviewDueRow { id: string; slug: string; nextReviewDue: string; publishedRevision: { title: string; number: number } }
interface ScheduleRow { id: string; articleId: string; action: ScheduleAction; status: ScheduleStatus; runAt: string; failureReason: string | null; revision: { number: number; title: string } }
interface AssignmentRow { id: string; articleId: string; reviewerId: string; dueOn: string; reviewer: { name: string }; revision: { number: number; title: string } }

/**
 * Everything the dashboard shows, in one statement: one page of articles (filtered and
 * paged by keyset in the database), reviews due, open review assignments, upcoming and
 * failed schedules, and the header's unread count. The embedded database answers one
 * statement at a time, so each round trip saved is time a person waits less.
 */
async function dashboardData(db: Db, user: User, filter: DashboardFilter) {
  const today = new Date().toISOString().slice(0, 10);
  const horizon = new Date(Date.now() + REVIEWS_DUE_DAYS * 86_400_000).toISOString().slice(0, 10);
  const failedSince = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const publisher = can(user, "workflow.publish");
  // Reviewers see their own assignments; editors and admins see every open one (overdue first matters to them).
  const ownAssignments = can(user, "workflow.review") && !can(user, "review.assign");
  const [data] = await db.$queryRaw<{ articles: DashboardRow[]; reviewsDue: ReviewDueRow[]; upcoming: ScheduleRow[] | null; failed: ScheduleRow[] | null; assignments: AssignmentRow[]; unread: number }[]>`
    WITH page AS (
      SELECT a.id, a.slug, a.created_at AS "createdAt", a.next_review_due AS "nextReviewDue", a.published_revision_id AS "publishedRevisionId",
             p.number AS "publishedNumber",
             json_build_object('id', r.id, 'number', r.number, 'state', r.state, 'title', r.title, 'authorId', r.author_id, 'createdAt', r.created_at,
                               'stateChangedAt', r.state_changed_at, 'author', CASE WHEN u.id IS NULL THEN NULL ELSE json_build_object('name', u.name) END) AS revision,
             ARRAY(SELECT x.reviewer_id FROM review_assignment x WHERE x.revision_id = r.id AND x.ended_at IS NULL) AS assigned
      FROM article a
      JOIN revision r ON r.id = a.current_revision_id
      LEFT JOIN app_user u ON u.id = r.author_id
      LEFT JOIN revision p ON p.id = a.published_revision_id
      WHERE ${filter.state ? Prisma.sql`r.state = ${filter.state}::"RevisionState"` : Prisma.sql`true`}
        AND ${filter.waitingForMe ? waitingSql(user) : Prisma.sql`true`}
        AND ${cursorSql(filter.after)}
      ORDER BY a.created_at, a.id
      LIMIT ${DASHBOARD_PAGE_SIZE + 1}
    ),
    due AS (
      SELECT a.id, a.slug, a.next_review_due AS "nextReviewDue", json_build_object('title', p.title, 'number', p.number) AS "publishedRevision"
      FROM article a JOIN revision p ON p.id = a.published_revision_id
      WHERE a.next_review_due <= ${horizon}::date
      ORDER BY a.next_review_due, a.id
      LIMIT ${LIST_LIMIT}
    ),
    upcoming AS (
      SELECT s.id, s.article_id AS "articleId", s.action, s.status, s.run_at AS "runAt", s.failure_reason AS "failureReason",
             json_build_object('number', v.number, 'title', v.title) AS revision
      FROM publication_schedule s JOIN revision v ON v.id = s.revision_id
      WHERE ${publisher ? Prisma.sql`true` : Prisma.sql`false`} AND s.status = 'SCHEDULED'
      ORDER BY s.run_at
      LIMIT ${LIST_LIMIT}
    ),
    failed AS (
      SELECT s.id, s.article_id AS "articleId", s.action, s.status, s.run_at AS "runAt", s.failure_reason AS "failureReason", s.finished_at,
             json_build_object('number', v.number, 'title', v.title) AS revision
      FROM publication_schedule s JOIN revision v ON v.id = s.revision_id
      WHERE ${publisher ? Prisma.sql`true` : Prisma.sql`false`} AND s.status = 'FAILED' AND s.finished_at >= ${failedSince}::timestamptz
      ORDER BY s.finished_at DESC
      LIMIT ${LIST_LIMIT}
    ),
    assignment AS (
      SELECT x.id, x.article_id AS "articleId", x.reviewer_id AS "reviewerId", x.due_on AS "dueOn", x.created_at,
             json_build_object('name', u.name) AS reviewer, json_build_object('number', v.number, 'title', v.title) AS revision
      FROM review_assignment x JOIN revision v ON v.id = x.revision_id JOIN app_user u ON u.id = x.reviewer_id
      WHERE x.ended_at IS NULL AND v.state = ANY(ARRAY[${Prisma.join(IN_REVIEW)}]::"RevisionState"[])
        AND EXISTS (SELECT 1 FROM article c WHERE c.current_revision_id = v.id)
        ${ownAssignments ? Prisma.sql`AND x.reviewer_id = ${user.id}::uuid` : Prisma.empty}
    )
    SELECT
      (SELECT coalesce(json_agg(page ORDER BY page."createdAt", page.id), '[]') FROM page) AS articles,
      (SELECT coalesce(json_agg(due ORDER BY due."nextReviewDue", due.id), '[]') FROM due) AS "reviewsDue",
      (SELECT coalesce(json_agg(upcoming ORDER BY upcoming."runAt", upcoming.id), '[]') FROM upcoming) AS upcoming,
      (SELECT coalesce(json_agg(failed ORDER BY failed.finished_at DESC), '[]') FROM failed) AS failed,
      (SELECT coalesce(json_agg(assignment ORDER BY assignment."dueOn", assignment.created_at, assignment.id), '[]') FROM assignment) AS assignments,
      (SELECT count(*)::int FROM notification WHERE user_id = ${user.id}::uuid AND read_at IS NULL) AS unread`;
  const schedule = (s: ScheduleRow) => ({ ...s, runAt: new Date(s.runAt) });
  return {
    articles: data!.articles,
    reviewsDue: data!.reviewsDue.map((r) => ({ ...r, nextReviewDue: new Date(r.nextReviewDue), overdue: r.nextReviewDue.slice(0, 10) < today })),
    schedules: publisher ? { upcoming: data!.upcoming!.map(schedule), failed: data!.failed!.map(schedule) } : null,
    assignments: data!.assignments.map((a) => ({ ...a, dueOn: new Date(a.dueOn), overdue: a.dueOn.slice(0, 10) < today })),
    unreadCount: data!.unread,
  };
}

/** The dashboard screen: articles, reviews due, assigned reviews, upcoming and failed schedules, and the unread count. */
export async function dashboardScreen(db: Db, user: User, filter: DashboardFilter) {
  const data = await dashboardData(db, user, filter);
  const states = waitingStates(user);
  const page = data.articles.slice(0, DASHBOARD_PAGE_SIZE);
  const rows = page.map((a) => {
    const rev = { ...a.revision, createdAt: new Date(a.revision.createdAt), stateChangedAt: new Date(a.revision.stateChangedAt) };
    const live = rev.id === a.publishedRevisionId;
    return {
      id: a.id, slug: a.slug, revision: rev, stateLabel: displayState(rev, a.publishedRevisionId), publishedNumber: a.publishedNumber,
      nextReviewDue: a.nextReviewDue === null ? null : new Date(a.nextReviewDue), waitingForMe: isWaiting(user, states, rev, live, a.assigned),
    };
  });
  const last = page[page.length - 1];
  return {
    title: "Dashboard",
    // The database filter and isWaiting() apply the same rule; the second is a safety net.
    rows: filter.waitingForMe ? rows.filter((r) => r.waitingForMe) : rows,
    nextAfter: data.articles.length > DASHBOARD_PAGE_SIZE && last ? dashboardCursor({ createdAt: new Date(last.createdAt), id: last.id }) : null,
    reviewsDue: data.reviewsDue,
    schedules: data.schedules,
    assignments: data.assignments,
    filter: { state: filter.state, mine: filter.waitingForMe ? "1" : undefined, after: filter.after },
    canCreate: can(user, "article.create"),
    unreadCount: data.unreadCount,
  };
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
