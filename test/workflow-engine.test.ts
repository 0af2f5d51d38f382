// The workflow engine: the model (states and verbs as data), publishing a named
// approved revision, scheduled publishing on the durable job queue, preview links.
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type Agent, type Agents, auditEventsSince, changeDosingLine, currentRevision, demo, lastAuditId, NEW_DOSING, openSite, SEEDED_SLUG, serverUrl, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, workflowActions } from "./support/index.js";
import { states, statesWhere } from "../src/workflow/states.js";
import { transitionNames, transitions } from "../src/workflow/transitions.js";
import { verbs } from "../src/workflow/verbs/index.js";
import { enqueue, runDueJobs, runOneJob, startJobRunner, type JobHandlers } from "../src/jobs/queue.js";
import path from "node:path";

let database: TestDatabase;
let jobHandlers: JobHandlers;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app, jobHandlers } = await openSite({ outbox: true })));
afterAll(() => database?.close());

/** Schedule jobs still waiting (e-mail jobs are counted apart). */
const pendingScheduleJobs = () => database.prisma.job.count({ where: { kind: "publication.run", doneAt: null } });
beforeEach(async () => {
  await database.pool.query("DELETE FROM job; DELETE FROM publication_schedule; DELETE FROM preview_link");
  await startAfresh(database, app, agents);
});

const { take, save, approve, editedAndUnderReview, requestChanges } = workflowActions(() => database);

/** The seeded article edited, resubmitted and approved: r2 is Approved, nothing is live. */
async function approvedRevision() {
  await editedAndUnderReview(agents);
  await approve(agents.minh!).expect(303);
  return currentRevision(database);
}

describe("the workflow model", () => {
  it("the one-in-review partial index covers exactly the states marked locked for editing", async () => {
    const { rows } = await database.pool.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'revision_one_in_review_per_article'`);
    expect(rows).toHaveLength(1);
    const indexed = [...rows[0]!.indexdef.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]).sort();
    expect(indexed).toEqual([...statesWhere("lockedForEditing")].sort());
  });

  it("the database's revision states are exactly the states table, and none of them means live", async () => {
    const { rows } = await database.pool.query<{ state: string }>(`SELECT unnest(enum_range(NULL::"RevisionState"))::text AS state`);
    expect(rows.map((r) => r.state).sort()).toEqual(Object.keys(states).sort());
    expect(rows.map((r) => r.state)).not.toContain("PUBLISHED");
  });

  it("every transition has its module, and every module acts for its own transition", () => {
    expect(Object.keys(verbs).sort()).toEqual([...transitionNames].sort());
    for (const name of transitionNames) expect(verbs[name].transition).toBe(transitions[name]);
  });

  it("the workspace explains why a step the role allows is missing, from the same guard the POST uses", async () => {
    await database.prisma.user.update({ where: { email: demo.sam }, data: { canReview: true } });
    try {
      await requestChanges(agents, "x");
      await save(agents.sam!, (c) => { changeDosingLine(c); supplyMissingSources(c); }).expect(303);
      await take(agents.sam!, "submit").expect(303);
      await take(agents.minh!, "start_review").expect(303);
      const { article } = await currentRevision(database);
      const page = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
      expect(page.text).not.toContain('data-transition="approve"');
      expect(page.text).toContain("Why other steps are not available");
      expect(page.text).toContain("separation of duties");
      const res = await approve(agents.sam!).expect(403);
      expect(res.text).toContain("separation of duties");
    } finally {
      await database.prisma.user.update({ where: { email: demo.sam }, data: { canReview: false } });
    }
  });
});

describe("thin routes", () => {
  it("no route reaches the database itself: routes parse, call one service, render", async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const root = path.resolve(import.meta.dirname, "../src/routes");
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(8);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(root, file), "utf8");
      for (const m of text.matchAll(/\b(?:db|prisma|tx)\.(?:\$\w+|[a-z]\w*\.(?:find|create|update|delete|upsert|count|aggregate)\w*)/g)) offenders.push(`${file}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});

describe("publishing a named approved revision", () => {
  it("an approved safety correction goes live while a newer draft is in progress; page, workspace and history say which revision is live", async () => {
    const { article, revision: approved } = await approvedRevision();
    await save(agents.ben!, (c) => { c.summary = `${c.summary} Work in progress.`; }).expect(303);
    const draft = (await currentRevision(database)).revision;
    expect(draft.number).toBe(approved.number + 1);

    const workspace = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    expect(workspace.text).toContain(`Publish (revision r${approved.number})`);

    const since = await lastAuditId(database);
    const res = await agents.sam!.post(`/editor/articles/${article.id}/transitions/publish`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: approved.id, expectedState: "APPROVED" });
    expect(res.status).toBe(303);

    const after = await currentRevision(database);
    expect(after.article.publishedRevisionId).toBe(approved.id);
    expect(after.article.currentRevisionId).toBe(draft.id);
    expect(after.revision.state).toBe("DRAFT");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.revisionId])).toEqual([["workflow.published", approved.id]]);
    expect(events[0]!.payload).toMatchObject({ revisionNumber: approved.number, previousPublishedNumber: null });

    const page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(page.text).toContain(NEW_DOSING);
    expect(page.text).not.toContain("Work in progress.");
    expect(page.text).toMatch(new RegExp(`data-testid="live-revision">r${approved.number}<`));
    const history = await agents.sam!.get(`/editor/articles/${article.id}/history`).expect(200);
    expect(history.text).toContain(`Live revision: r${approved.number}`);
    const again = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    expect(again.text).toMatch(new RegExp(`Live: <strong data-testid="live-revision">r${approved.number}</strong>`));
  });

  it("a draft cannot be published by naming it, and a named revision of another article is not found; nothing changes", async () => {
    const { article } = await approvedRevision();
    await save(agents.ben!, (c) => { c.summary = `${c.summary} Work in progress.`; }).expect(303);
    const draft = (await currentRevision(database)).revision;
    const since = await lastAuditId(database);
    const res = await agents.sam!.post(`/editor/articles/${article.id}/transitions/publish`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: draft.id, expectedState: "DRAFT" });
    expect(res.status).toBe(409);
    expect(res.text).toContain("not possible while the revision is");
    await agents.sam!.post(`/editor/articles/${article.id}/transitions/publish`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: "00000000-0000-4000-8000-000000000000", expectedState: "APPROVED" }).expect(404);
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual([]);
  });
});

// Whole minutes only (the form has no seconds), so at least 4 minutes ahead.
const inAFewMinutes = () => new Date(Date.now() + 5 * 60_000).toISOString().slice(0, 16);

function schedule(agent: Agent, articleId: string, fields: Record<string, string>) {
  return agent.post(`/editor/articles/${articleId}/schedules`).type("form").send({ _csrf: agent.csrf, ...fields });
}

/** Moves every pending schedule and job into the past, as if their time had come. */
async function timeComes() {
  await database.pool.query(`UPDATE job SET run_at = now() - interval '1 second' WHERE done_at IS NULL`);
  await database.pool.query(`UPDATE publication_schedule SET run_at = now() - interval '1 second' WHERE status = 'SCHEDULED'`);
}

describe("scheduled publishing", () => {
  it("an admin schedules an approved revision; when due, it is published once, recorded as the admin's scheduled action", async () => {
    const { article, revision } = await approvedRevision();
    const since = await lastAuditId(database);
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
    await runDueJobs(database.prisma, jobHandlers);
    expect(await pendingScheduleJobs()).toBe(1); // not due yet
    const dashboard = await agents.sam!.get("/editor").expect(200);
    expect(dashboard.text).toMatch(/class="schedule-scheduled">[\s\S]*?Scheduled/);

    await timeComes();
    expect(await runDueJobs(database.prisma, jobHandlers)).toBeGreaterThanOrEqual(1);
    expect(await pendingScheduleJobs()).toBe(0);
    expect(await runDueJobs(database.prisma, jobHandlers)).toBe(0);
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(revision.id);
    const row = await database.prisma.publicationSchedule.findFirstOrThrow();
    expect(row.status).toBe("DONE");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["schedule.created", "workflow.published"]);
    expect(events[1]).toMatchObject({ actorEmail: demo.sam, userAgent: "scheduled publication", revisionId: revision.id });
    await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
  });

  it("a scheduled publish is refused when the revision's approval was voided by a later edit of its content: nothing is published and the schedule fails with the reason", async () => {
    const { article, revision } = await approvedRevision();
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
    // The signed text changes after approval (a direct edit of the stored revision): the signature no longer matches.
    await database.pool.query(`UPDATE section SET body = body || ' Edited after approval.' WHERE revision_id = $1 AND position = 0`, [revision.id]);
    await timeComes();
    const since = await lastAuditId(database);
    await runDueJobs(database.prisma, jobHandlers);
    expect(await pendingScheduleJobs()).toBe(0);
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
    const row = await database.prisma.publicationSchedule.findFirstOrThrow();
    expect(row.status).toBe("FAILED");
    expect(row.failureReason).toContain("no longer match its content");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["schedule.failed"]);
    expect(events[0]!.payload).toMatchObject({ reason: row.failureReason });
    await request(app).get(`/articles/${SEEDED_SLUG}`).expect(404);
    const dashboard = await agents.sam!.get("/editor").expect(200);
    expect(dashboard.text).toContain("no longer match its content");
    const workspace = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    expect(workspace.text).toMatch(/class="schedule-failed">[\s\S]*?<strong>Failed<\/strong>: \d+ signature\(s\) on revision/);
    // The admin who scheduled it and the revision's editor are told.
    const told = await database.prisma.notification.findMany({ where: { kind: "schedule.failed" }, include: { user: { select: { email: true } } } });
    expect(told.map((n) => n.user.email).sort()).toEqual([demo.alice, demo.sam].sort());
    expect(await runDueJobs(database.prisma, jobHandlers)).toBe(0);
  });

  it("a scheduled publication never rolls back a newer revision that went live meanwhile", async () => {
    const { article, revision: r2 } = await approvedRevision();
    await schedule(agents.sam!, article.id, { revisionId: r2.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
    await save(agents.ben!, (c) => { c.summary = `${c.summary} Newer correction.`; }).expect(303);
    await take(agents.ben!, "submit").expect(303);
    await take(agents.priya!, "start_review").expect(303);
    await approve(agents.priya!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    const r3 = (await currentRevision(database)).revision;
    await timeComes();
    await runDueJobs(database.prisma, jobHandlers);
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(r3.id);
    const row = await database.prisma.publicationSchedule.findFirstOrThrow();
    expect(row).toMatchObject({ status: "FAILED" });
    expect(row.failureReason).toContain(`A newer revision (r${r3.number}) went live`);
  });

  it("a schedule fails when the admin who made it may no longer publish when it runs", async () => {
    const { article, revision } = await approvedRevision();
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
    await database.prisma.user.update({ where: { email: demo.sam }, data: { active: false } });
    try {
      await timeComes();
      await runDueJobs(database.prisma, jobHandlers);
      expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
      const row = await database.prisma.publicationSchedule.findFirstOrThrow();
      expect(row.status).toBe("FAILED");
      expect(row.failureReason).toContain("does not allow");
    } finally {
      await database.prisma.user.update({ where: { email: demo.sam }, data: { active: true } });
    }
  });

  it("a cancelled schedule publishes nothing when its time comes", async () => {
    const { article, revision } = await approvedRevision();
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
    const row = await database.prisma.publicationSchedule.findFirstOrThrow();
    await agents.sam!.post(`/editor/articles/${article.id}/schedules/${row.id}/cancel`).type("form").send({ _csrf: agents.sam!.csrf, confirmed: "yes" }).expect(303);
    await agents.sam!.post(`/editor/articles/${article.id}/schedules/${row.id}/cancel`).type("form").send({ _csrf: agents.sam!.csrf, confirmed: "yes" }).expect(409);
    await timeComes();
    await runDueJobs(database.prisma, jobHandlers);
    expect(await pendingScheduleJobs()).toBe(0);
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
    expect((await database.prisma.publicationSchedule.findFirstOrThrow()).status).toBe("CANCELLED");
  });

  it("an unapproved revision cannot be scheduled, nor by an editor, nor with a bad date; each refusal changes nothing", async () => {
    const { article, revision } = await currentRevision(database);
    const since = await lastAuditId(database);
    const unapproved = await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(409);
    expect(unapproved.text).toContain("not possible while the revision is");
    await schedule(agents.alice!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(403);
    const past = await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: "2020-01-01T10:00" }).expect(400);
    expect(past.text).toContain("must be in the future");
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: "tomorrow" }).expect(400);
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "DELETE", runAt: inAFewMinutes() }).expect(400);
    expect(await database.prisma.publicationSchedule.count()).toBe(0);
    expect(await database.prisma.job.count({ where: { kind: "publication.run" } })).toBe(0);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden"]);
  });

  it("a scheduled unpublication takes the live revision down when due, with its reason", async () => {
    const { article, revision } = await approvedRevision();
    await take(agents.sam!, "publish").expect(303);
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "UNPUBLISH", runAt: inAFewMinutes() }).expect(400);
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "UNPUBLISH", runAt: inAFewMinutes(), reason: "Guideline withdrawn" }).expect(303);
    await timeComes();
    const since = await lastAuditId(database);
    await runDueJobs(database.prisma, jobHandlers);
    expect(await pendingScheduleJobs()).toBe(0);
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.comment])).toEqual([["workflow.unpublished", "Guideline withdrawn"]]);
  });

  it("a schedule that fell due while the app was stopped runs once when the job runner starts", async () => {
    const { article, revision } = await approvedRevision();
    await schedule(agents.sam!, article.id, { revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
    await timeComes(); // the app was down when the time came
    const since = await lastAuditId(database);
    const first = startJobRunner(database.prisma, jobHandlers, { intervalMs: 3_600_000 });
    await first.started;
    await first.stop();
    const second = startJobRunner(database.prisma, jobHandlers, { intervalMs: 3_600_000 });
    await second.started;
    await second.stop();
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(revision.id);
    expect((await auditEventsSince(database, since)).filter((e) => e.action === "workflow.published")).toHaveLength(1);
  });
});

describe("the job queue", () => {
  it("a job whose worker fails mid-way is rolled back and run again later; its work is never half done", async () => {
    let calls = 0;
    const handlers: JobHandlers = {
      "test.flaky": async (tx) => {
        calls++;
        await tx.$executeRaw`UPDATE article SET version = version + 100`;
        if (calls === 1) throw new Error("the process died here");
      },
    };
    const before = (await database.prisma.article.findFirstOrThrow()).version;
    const job = await database.prisma.$transaction((tx) => enqueue(tx, "test.flaky", {}));
    expect(await runOneJob(database.prisma, handlers)).toBe(true);
    const failed = await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(failed).toMatchObject({ attempts: 1, doneAt: null, lastError: "the process died here" });
    expect((await database.prisma.article.findFirstOrThrow()).version).toBe(before);
    await database.pool.query(`UPDATE job SET run_at = now() - interval '1 second' WHERE id = $1`, [job.id]);
    expect(await runOneJob(database.prisma, handlers)).toBe(true);
    expect((await database.prisma.article.findFirstOrThrow()).version).toBe(before + 100);
    expect((await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).doneAt).not.toBeNull();
    expect(await runOneJob(database.prisma, handlers)).toBe(false);
  });

  it.skipIf(!serverUrl)("two app processes never run the same job twice", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const run = promisify(execFile);
    try {
      await database.pool.query(`CREATE TABLE IF NOT EXISTS job_run_log (job_id uuid NOT NULL, worker text NOT NULL)`);
      await database.pool.query(`TRUNCATE job_run_log; DELETE FROM job`);
      await database.prisma.$transaction(async (tx) => {
        for (let i = 0; i < 120; i++) await enqueue(tx, "test.log", { i });
      });
      // Both processes start claiming at the same moment, once both have connected.
      const startAt = String(Date.now() + 8_000);
      const worker = path.resolve(import.meta.dirname, "support/job-worker.ts");
      const outputs = await Promise.all(["a", "b"].map((name) =>
        run(process.execPath, ["--import", "tsx", worker, database.url!, name, startAt], { timeout: 90_000 })));
      const ran = outputs.map((o) => JSON.parse(o.stdout.trim().split("\n").pop()!) as { worker: string; ran: number });
      expect(ran.reduce((sum, r) => sum + r.ran, 0)).toBe(120);
      const { rows } = await database.pool.query<{ job_id: string; runs: number; workers: string }>(
        `SELECT job_id, count(*)::int AS runs, string_agg(worker, ',') AS workers FROM job_run_log GROUP BY job_id`);
      expect(rows).toHaveLength(120);
      expect(rows.filter((r) => r.runs !== 1)).toEqual([]);
      // Both processes took part, so they really competed for the same rows.
      expect(new Set(rows.map((r) => r.workers))).toEqual(new Set(["a", "b"]));
      expect(await database.prisma.job.count({ where: { doneAt: null } })).toBe(0);
    } finally {
      await database.pool.query(`DROP TABLE IF EXISTS job_run_log`);
    }
  }, 120_000);
});

describe("preview links", () => {
  async function createLink(agent: Agent, articleId: string, revisionId: string, days = "7") {
    await agent.post(`/editor/articles/${articleId}/preview-links`).type("form").send({ _csrf: agent.csrf, revisionId, days }).expect(303);
    const page = await agent.get(`/editor/articles/${articleId}`).expect(200);
    const path = /(\/preview\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43})/.exec(page.text)?.[1];
    expect(path, "the workspace shows the new link").toBeTruthy();
    return path!;
  }

  it("an editor shares one revision read-only: marked as a preview, never indexed, every use recorded, no other access", async () => {
    const { article, revision } = await currentRevision(database);
    const path = await createLink(agents.alice!, article.id, revision.id);
    const since = await lastAuditId(database);
    const res = await request(app).get(path).set("User-Agent", "outside-expert").expect(200);
    expect(res.text).toContain("Preview: not published");
    expect(res.text).toContain('<meta name="robots" content="noindex, nofollow">');
    expect(res.headers["x-robots-tag"]).toBe("noindex, nofollow");
    expect(res.headers["cache-control"]).toContain("no-store");
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(res.text).toContain(revision.title);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.revisionId, e.userAgent])).toEqual([["preview.viewed", revision.id, "outside-expert"]]);
    // The link opens nothing else.
    const agent = request.agent(app);
    await agent.get(path).expect(200);
    const staff = await agent.get(`/editor/articles/${article.id}`);
    expect([302, 303, 401]).toContain(staff.status);
  });

  it("a preview link stops working when revoked, when expired, or when altered", async () => {
    const { article, revision } = await currentRevision(database);
    const path = await createLink(agents.alice!, article.id, revision.id, "1");
    await request(app).get(path).expect(200);
    await request(app).get(`${path.slice(0, -3)}AAA`).expect(404);
    await request(app).get("/preview/nonsense").expect(404);

    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 2 * 86_400_000);
      const expired = await request(app).get(path).expect(404);
      expect(expired.text).toContain("expired or been revoked");
    } finally {
      vi.useRealTimers();
    }
    await request(app).get(path).expect(200);

    const link = await database.prisma.previewLink.findFirstOrThrow();
    const since = await lastAuditId(database);
    await agents.alice!.post(`/editor/articles/${article.id}/preview-links/${link.id}/revoke`).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes" }).expect(303);
    await request(app).get(path).expect(404);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["preview.revoked"]);
    const workspace = await agents.alice!.get(`/editor/articles/${article.id}`).expect(200);
    expect(workspace.text).toMatch(/r1 · by [^<]+ · revoked/);
  });

  it("bad input or a role without the permission is refused and creates nothing", async () => {
    const { article, revision } = await currentRevision(database);
    const since = await lastAuditId(database);
    const send = (agent: Agent, fields: Record<string, string>) =>
      agent.post(`/editor/articles/${article.id}/preview-links`).type("form").send({ _csrf: agent.csrf, ...fields });
    await send(agents.alice!, { revisionId: revision.id, days: "0" }).expect(400);
    await send(agents.alice!, { revisionId: revision.id, days: "365" }).expect(400);
    await send(agents.alice!, { revisionId: "nope", days: "7" }).expect(400);
    await send(agents.alice!, { revisionId: "00000000-0000-4000-8000-000000000000", days: "7" }).expect(404);
    await send(agents.priya!, { revisionId: revision.id, days: "7" }).expect(403);
    expect(await database.prisma.previewLink.count()).toBe(0);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden"]);
  });
});
