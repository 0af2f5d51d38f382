// Reviewer assignment and due dates; in-app and e-mail notifications sent from the
// durable job queue after commit.
import { readdir, rm } from "node:fs/promises";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, type Agents, auditEventsSince, changeDosingLine, currentRevision, demo, lastAuditId, openSite, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, workflowActions } from "./support/index.js";
import { createJobHandlers } from "../src/job-handlers.js";
import { createMailer, type Mailer } from "../src/jobs/mailer.js";
import { runDueJobs, startJobRunner } from "../src/jobs/queue.js";
import { remindReviewers } from "../src/services/review/index.js";

let database: TestDatabase;
let outboxDir: string;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app, outboxDir } = await openSite({ outbox: true })));
afterAll(() => database?.close());
beforeEach(async () => {
  await database.pool.query("DELETE FROM job; DELETE FROM notification; DELETE FROM notification_preference");
  await rm(outboxDir, { recursive: true, force: true });
  await startAfresh(database, app, agents);
});

const { take, save, approve, requestChanges, dosingRevised } = workflowActions(() => database);
const outbox = () => createMailer({ outboxDir });
const userId = async (email: string) => (await database.prisma.user.findUniqueOrThrow({ where: { email } })).id;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const notificationsOf = async (email: string) =>
  database.prisma.notification.findMany({ where: { user: { email } }, orderBy: { createdAt: "asc" } });

/** Sends the seeded article back, fixes it, and leaves it ready to submit (r2, a draft by Alice). */
const readyToSubmit = () => dosingRevised(agents, "Please check the dosing.");

describe("reviewer assignment", () => {
  it("on submit the editor assigns a board member with a due date: recorded, notified, and waiting only for them", async () => {
    await readyToSubmit();
    const since = await lastAuditId(database);
    const due = inDays(5);
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: due }).expect(303);
    const { revision } = await currentRevision(database);
    const assignments = await database.prisma.reviewAssignment.findMany({ where: { revisionId: revision.id }, include: { reviewer: true } });
    expect(assignments.map((a) => [a.reviewer.email, a.dueOn.toISOString().slice(0, 10), a.endedAt])).toEqual([[demo.minh, due, null]]);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toContain("review.assigned");
    expect(events.find((e) => e.action === "review.assigned")!.payload).toMatchObject({ reviewers: ["Dr. Minh Nguyen"], dueOn: due, previous: [] });
    expect((await notificationsOf(demo.minh)).map((n) => n.kind)).toEqual(["review.assigned"]);
    expect(await notificationsOf(demo.priya)).toEqual([]);

    const minh = await agents.minh!.get("/editor?mine=1").expect(200);
    expect(minh.text).toContain("Waiting for you");
    expect(minh.text).toMatch(/data-testid="bell"[\s\S]*?class="bell-count">1</);
    const priya = await agents.priya!.get("/editor?mine=1").expect(200);
    expect(priya.text).not.toContain("Waiting for you");
    // Anyone eligible may still sign: approvals count distinct eligible reviewers as before.
    await take(agents.priya!, "start_review").expect(303);
    await approve(agents.priya!).expect(303);
    expect((await currentRevision(database)).revision.state).toBe("APPROVED");
  });

  it("an assignment that is not possible is refused with 400 and the submission does not happen", async () => {
    await readyToSubmit();
    const before = await currentRevision(database);
    const since = await lastAuditId(database);
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: "2020-01-01" }).expect(400);
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh) }).expect(400);
    const notBoard = await take(agents.alice!, "submit", { reviewerIds: await userId(demo.ben), reviewDue: inDays(3) }).expect(400);
    expect(notBoard.text).toContain("medical advisory board");
    await take(agents.alice!, "submit", { reviewerIds: "not-a-user", reviewDue: inDays(3) }).expect(400);
    expect((await currentRevision(database)).revision.state).toBe(before.revision.state);
    expect(await database.prisma.reviewAssignment.count()).toBe(0);
    expect(await auditEventsSince(database, since)).toEqual([]);
    expect(await database.prisma.notification.count()).toBe(0);
  });

  it("reassigning is an audited action that ends the old assignment; reviewers cannot reassign", async () => {
    await readyToSubmit();
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: inDays(5) }).expect(303);
    const { article, revision } = await currentRevision(database);
    const send = (agent: Agent, fields: Record<string, string | string[]>) =>
      agent.post(`/editor/articles/${article.id}/assignments`).type("form").send({ _csrf: agent.csrf, revisionId: revision.id, ...fields });
    await send(agents.priya!, { reviewerIds: await userId(demo.priya), reviewDue: inDays(2) }).expect(403);
    await send(agents.alice!, { reviewDue: inDays(2) }).expect(400);
    const since = await lastAuditId(database);
    await send(agents.sam!, { reviewerIds: await userId(demo.priya), reviewDue: inDays(2) }).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.actorEmail])).toEqual([["review.reassigned", demo.sam]]);
    expect(events[0]!.payload).toMatchObject({ reviewers: [expect.stringContaining("Priya")], previous: ["Dr. Minh Nguyen"] });
    const active = await database.prisma.reviewAssignment.findMany({ where: { revisionId: revision.id, endedAt: null }, include: { reviewer: true } });
    expect(active.map((a) => a.reviewer.email)).toEqual([demo.priya]);
    expect(await database.prisma.reviewAssignment.count({ where: { revisionId: revision.id } })).toBe(2);
  });

  it("the dashboard shows overdue reviews, and the reviewer is reminded once when due soon and once when overdue", async () => {
    await readyToSubmit();
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: inDays(1) }).expect(303);
    await remindReviewers(database.prisma);
    await remindReviewers(database.prisma);
    expect((await notificationsOf(demo.minh)).map((n) => n.kind)).toEqual(["review.assigned", "review.due_soon"]);
    await database.pool.query(`UPDATE review_assignment SET due_on = current_date - 1`);
    await remindReviewers(database.prisma);
    await remindReviewers(database.prisma);
    expect((await notificationsOf(demo.minh)).map((n) => n.kind)).toEqual(["review.assigned", "review.due_soon", "review.overdue"]);
    const dashboard = await agents.sam!.get("/editor").expect(200);
    expect(dashboard.text).toMatch(/data-testid="assigned-reviews"[\s\S]*Dr. Minh Nguyen[\s\S]*Overdue/);
  });
});

describe("notifications", () => {
  it("changes requested, approved, published and a mention each notify the right people, never the person who acted", async () => {
    await requestChanges(agents, "Supply the sources.");
    // The imported revision has no author: nobody to tell yet.
    expect(await database.prisma.notification.count()).toBe(0);
    await save(agents.alice!, (c) => { changeDosingLine(c); supplyMissingSources(c); }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
    await take(agents.minh!, "request_changes", { comment: "One more thing." }).expect(303);
    expect((await notificationsOf(demo.alice)).map((n) => n.kind)).toEqual(["workflow.changes_requested"]);
    await save(agents.alice!, (c) => { c.summary = `${c.summary} Clarified.`; }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
    await approve(agents.minh!).expect(303);
    expect((await notificationsOf(demo.alice)).map((n) => n.kind)).toEqual(["workflow.changes_requested", "workflow.approved"]);
    expect((await notificationsOf(demo.sam)).map((n) => n.kind)).toEqual(["workflow.approved"]);
    await take(agents.sam!, "publish").expect(303);
    expect((await notificationsOf(demo.alice)).map((n) => n.kind)).toContain("workflow.published");
    expect((await notificationsOf(demo.minh)).map((n) => n.kind)).toEqual(["workflow.published"]);
    expect((await notificationsOf(demo.sam)).map((n) => n.kind)).toEqual(["workflow.approved"]);

    const { article, revision } = await currentRevision(database);
    await agents.alice!.post(`/editor/articles/${article.id}/comments`).type("form")
      .send({ _csrf: agents.alice!.csrf, revisionId: revision.id, body: "@priya.reviewer could you look at the dosing? (cc @nobody)" }).expect(303);
    const mentions = await notificationsOf(demo.priya);
    expect(mentions.map((n) => n.kind)).toEqual(["comment.mention"]);
    expect(mentions[0]!.message).toContain("could you look at the dosing");
  });

  it("e-mail goes out after commit from the queue into the outbox, listed at /admin/outbox; a person's opt-out is respected", async () => {
    await agents.priya!.post("/editor/notifications/preferences").type("form")
      .send({ _csrf: agents.priya!.csrf, email: ["workflow.published"] }).expect(303);
    await agents.priya!.post("/editor/notifications/preferences").type("form")
      .send({ _csrf: agents.priya!.csrf, email: ["no.such.kind"] }).expect(400);
    await readyToSubmit();
    await take(agents.alice!, "submit", { reviewerIds: [await userId(demo.minh), await userId(demo.priya)], reviewDue: inDays(5) }).expect(303);
    // Nothing is sent inside the request: only queued.
    expect(await readdir(outboxDir).catch(() => [])).toEqual([]);
    expect(await runDueJobs(database.prisma, createJobHandlers({ mailer: outbox(), publicUrl: "https://answers.example.org" }))).toBe(1);
    const files = await readdir(outboxDir);
    expect(files).toHaveLength(1);
    const page = await agents.sam!.get("/admin/outbox").expect(200);
    expect(page.text).toContain(demo.minh);
    expect(page.text).toContain("You are assigned to review a revision");
    const { article } = await currentRevision(database);
    expect(page.text).toContain(`Open: https://answers.example.org/editor/articles/${article.id}`);
    expect(page.text).not.toContain(demo.priya);
    await agents.alice!.get("/admin/outbox").expect(403);
    // Priya still sees it in the app.
    const bell = await agents.priya!.get("/editor/notifications").expect(200);
    expect(bell.text).toContain("asked you to review");
  });

  it("notifications survive a crash between commit and send, and are sent exactly once", async () => {
    await readyToSubmit();
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: inDays(5) }).expect(303);
    // The first worker dies while sending: its transaction never commits.
    const dying: Mailer = { send: async () => { throw new Error("process killed during send"); } };
    await runDueJobs(database.prisma, createJobHandlers({ mailer: dying }));
    expect(await readdir(outboxDir).catch(() => [])).toEqual([]);
    const job = await database.prisma.job.findFirstOrThrow({ where: { kind: "notification.email" } });
    expect(job).toMatchObject({ doneAt: null, attempts: 1 });
    // The app starts again later: the message goes out once, and never again.
    await database.pool.query(`UPDATE job SET run_at = now() - interval '1 second' WHERE done_at IS NULL`);
    for (let i = 0; i < 2; i++) {
      const runner = startJobRunner(database.prisma, createJobHandlers({ mailer: outbox() }), { intervalMs: 3_600_000 });
      await runner.started;
      await runner.stop();
    }
    const files = await readdir(outboxDir);
    expect(files).toEqual([`${(await notificationsOf(demo.minh))[0]!.id}.eml`]);
    expect(await database.prisma.job.count({ where: { doneAt: null } })).toBe(0);
  });

  it("marking all as read empties the bell", async () => {
    await readyToSubmit();
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: inDays(5) }).expect(303);
    await agents.minh!.post("/editor/notifications/read").type("form").send({ _csrf: agents.minh!.csrf }).expect(303);
    const page = await agents.minh!.get("/editor").expect(200);
    expect(page.text).toMatch(/data-testid="bell"[\s\S]*?class="bell-count">0</);
    await request(app).get("/editor/notifications").expect((res) => expect([302, 303, 401]).toContain(res.status));
  });
});
