// Defects found by killing the app and taking its outside services away: stray export
// temporaries (and nginx serving them), e-mail dropped after a minute of failures,
// schedules left "Scheduled" forever when their job failed, and a 1970 sitemap date.
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agents, auditEventsSince, currentRevision, decodeEntities, demo, lastAuditId, openSite, startAfresh, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { type BrowserLog, chromiumPath, clickAndWait, launchChromium, newPerson, seriousAxeViolations, serve, signIn } from "./support/browser.js";
import { publicDeliveryOf } from "../src/app.js";
import { StaticExport } from "../src/public/static-export.js";
import { retryDelayMs, runDueJobs, runOneJob, type JobHandlers, type JobLogger } from "../src/jobs/queue.js";
import { retryPolicies } from "../src/job-handlers.js";
import { EMAIL_JOB, notify } from "../src/services/people/index.js";
import { failStrandedSchedules, SCHEDULE_JOB } from "../src/services/publishing/index.js";

let database: TestDatabase;
let outboxDir: string;
let app: TestApp;
let jobHandlers: JobHandlers;
const agents: Agents = {};
const { approve, editedAndUnderReview } = workflowActions(() => database);

/** What the queue logged, as pino would receive it. */
const logged: { level: "warn" | "error"; details: Record<string, unknown>; message: string }[] = [];
const logger: JobLogger = {
  warn: (details, message) => logged.push({ level: "warn", details: details as Record<string, unknown>, message }),
  error: (details, message) => logged.push({ level: "error", details: details as Record<string, unknown>, message }),
};

beforeAll(async () => ({ database, app, outboxDir, jobHandlers } = await openSite({ outbox: true, publicPagesReady: true })));
afterAll(() => database?.close());
beforeEach(async () => {
  await database.pool.query("DELETE FROM job; DELETE FROM publication_schedule; DELETE FROM notification");
  await rm(outboxDir, { recursive: true, force: true });
  logged.length = 0;
  await startAfresh(database, app, agents);
});

// ---------------------------------------------------------------- static export temporaries

const TEMPORARIES = ["feed.xml.tmp-4242-0123abcd", "sitemap.xml.gz.tmp-4242-89abcdef", "articles/index.html.tmp-77-deadbeef", ".tmp/robots.txt.tmp-9-00ff00ff"];

describe("static export temporaries", () => {
  it("starting the export removes temporaries a killed process left behind, and only those", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "cms-export-"));
    try {
      const exporter = new StaticExport(publicDeliveryOf(app).site, database.prisma, dir);
      await exporter.writeAll();
      const anHourAgo = new Date(Date.now() - 3_600_000);
      for (const name of TEMPORARIES) {
        await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await writeFile(path.join(dir, name), "half a page");
        await utimes(path.join(dir, name), anHourAgo, anHourAgo);
      }
      // Another replica sharing the export may be writing this one right now: it stays.
      await writeFile(path.join(dir, ".tmp/feed.xml.tmp-5-11112222"), "being written");
      // Not the app's pattern: never touched.
      await writeFile(path.join(dir, "notes.tmp-keep"), "an operator's file");
      await utimes(path.join(dir, "notes.tmp-keep"), anHourAgo, anHourAgo);

      await exporter.writeAll(); // what the app does when it starts

      for (const name of TEMPORARIES) expect(existsSync(path.join(dir, name)), name).toBe(false);
      expect(existsSync(path.join(dir, ".tmp/feed.xml.tmp-5-11112222"))).toBe(true);
      expect(existsSync(path.join(dir, "notes.tmp-keep"))).toBe(true);
      for (const file of ["feed.xml", "feed.xml.gz", "sitemap.xml", "sitemap.xml.gz", "articles/index.html", "robots.txt", "editorial-policy/index.html"]) {
        expect((await stat(path.join(dir, file))).size, file).toBeGreaterThan(0);
      }
      // Pages are written through the hidden folder, never to a temporary beside the page.
      const beside = (await readdir(dir, { recursive: true })).filter((f) => /\.tmp-\d+-[0-9a-f]{8}$/.test(f) && !f.startsWith(".tmp"));
      expect(beside).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("deploy/nginx.conf refuses the export's temporary names and its temporary folder", async () => {
    const conf = await readFile(path.join(import.meta.dirname, "../deploy/nginx.conf"), "utf8");
    expect(conf).toMatch(/location \^~ \/\.tmp\/ \{\s*return 404;/);
    const pattern = /location ~ (\S+) \{\s*return 404;/.exec(conf)?.[1];
    expect(pattern, "a regex location that returns 404").toBeDefined();
    for (const name of TEMPORARIES) expect(new RegExp(pattern!).test(`/${name}`), name).toBe(true);
    for (const page of ["/feed.xml", "/articles/index.html", "/sitemap.xml.gz", "/static/styles.css"]) expect(new RegExp(pattern!).test(page), page).toBe(false);
  });

  const nginx = nginxBinary();
  it.skipIf(!nginx)(`nginx in front of the export never serves a temporary (${nginx ? nginx : "skipped: no nginx on this machine; set NGINX_PATH to run it"})`, async () => {
    const work = await mkdtemp(path.join(tmpdir(), "cms-nginx-"));
    const exportDir = path.join(work, "export");
    const running = await serve(app);
    let child: ChildProcess | undefined;
    try {
      const exporter = new StaticExport(publicDeliveryOf(app).site, database.prisma, exportDir);
      await exporter.writeAll();
      for (const name of TEMPORARIES) {
        await mkdir(path.dirname(path.join(exportDir, name)), { recursive: true });
        await writeFile(path.join(exportDir, name), "half a page");
      }
      const port = await freePort();
      const site = (await readFile(path.join(import.meta.dirname, "../deploy/nginx.conf"), "utf8"))
        .replace("server app:3000;", `server ${new URL(running.baseUrl).host};`)
        .replace("listen 80;", `listen 127.0.0.1:${port};`)
        .replace("root /export;", `root ${exportDir};`);
      const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${work}/${t};`).join("\n");
      await writeFile(
        path.join(work, "nginx.conf"),
        `${process.getuid?.() === 0 ? "user root;\n" : ""}pid ${work}/nginx.pid;\nerror_log ${work}/error.log;\nevents {}\nhttp {\naccess_log off;\n${temp}\n${site}\n}\n`,
      );
      child = spawn(nginx!, ["-p", work, "-c", path.join(work, "nginx.conf"), "-g", "daemon off;"], { stdio: "ignore" });
      const get = (url: string) => rawGet(port, url);
      await expect.poll(async () => (await get("/articles").catch(() => ({ status: 0 }))).status, { timeout: 10_000 }).toBe(200);
      expect((await get("/feed.xml")).status).toBe(200);
      for (const name of TEMPORARIES) expect((await get(`/${name}`)).status, name).toBe(404);
    } finally {
      child?.kill("SIGTERM");
      await running.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});

function nginxBinary(): string | null {
  if (process.env.NGINX_PATH) return existsSync(process.env.NGINX_PATH) ? process.env.NGINX_PATH : null;
  try {
    return execFileSync("which", ["nginx"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function rawGet(port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: url }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    }).on("error", reject);
  });
}

// ---------------------------------------------------------------- sitemap

describe("sitemap", () => {
  it("gives the article index no lastmod (never 1970) while nothing is published", async () => {
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
    const sitemap = await request(app).get("/sitemap.xml").expect(200);
    expect(sitemap.text).not.toContain("1970-01-01");
    expect(sitemap.text).toContain(`<url><loc>http://localhost:3000/articles</loc></url>`);
  });
});

// ---------------------------------------------------------------- e-mail retries and give-up

/** Moves a job's next try into the past, as if its wait were over. */
const dueNow = (jobId: string) => database.pool.query(`UPDATE job SET run_at = now() - interval '1 second' WHERE id = $1`, [jobId]);
/** As if the job had been failing since `interval` ago. */
const failingFor = (jobId: string, interval: string) => database.pool.query(`UPDATE job SET failing_since = now() - $2::interval, run_at = now() - interval '1 second' WHERE id = $1`, [jobId, interval]);

/** One notification e-mail to Alice about the seeded article; returns its job. */
async function emailJob() {
  const alice = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.alice } });
  const { article } = await currentRevision(database);
  await database.prisma.$transaction((tx) =>
    notify(tx, { kind: "workflow.approved", userIds: [alice.id], articleId: article.id, link: `/editor/articles/${article.id}`, message: "r1 of the muscle spasm article was approved." }),
  );
  return database.prisma.job.findFirstOrThrow({ where: { kind: EMAIL_JOB } });
}

/** The outbox folder cannot be created: a file is in its place (a real failure, not a mock). */
const outboxUnavailable = () => writeFile(outboxDir, "not a folder");
const outboxBack = () => rm(outboxDir, { force: true });

describe("notification e-mail when the outbox (or SMTP server) is unavailable", () => {
  it("keeps retrying well past five failures, with capped back-off, and delivers once the outbox is back", async () => {
    const job = await emailJob();
    await outboxUnavailable();
    for (let i = 0; i < 8; i++) {
      await dueNow(job.id);
      expect(await runOneJob(database.prisma, jobHandlers, { logger })).toBe(true);
    }
    const failing = await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(failing).toMatchObject({ status: "PENDING", attempts: 8, doneAt: null, gaveUpAt: null });
    expect(failing.lastError).toMatch(/EEXIST|ENOTDIR/);
    expect(failing.runAt.getTime() - Date.now()).toBeGreaterThan(200_000); // 2 s × 2⁷ ≈ 4 min
    // The wait is capped at an hour however long the outage lasts, and e-mail gives up only after days.
    expect(retryDelayMs(retryPolicies[EMAIL_JOB], 40)).toBe(3_600_000);
    expect(retryPolicies[EMAIL_JOB].giveUpAfterMs).toBeGreaterThanOrEqual(86_400_000);
    const page = await agents.sam!.get("/admin/jobs").expect(200);
    expect(decodeEntities(page.text)).toMatch(/Failing, still being retried[\s\S]*Notification e-mail[\s\S]*To alice\.editor@demo\.test/);

    await outboxBack();
    await dueNow(job.id);
    expect(await runOneJob(database.prisma, jobHandlers, { logger })).toBe(true);
    expect(await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "DONE" });
    const notification = await database.prisma.notification.findFirstOrThrow();
    expect(existsSync(path.join(outboxDir, `${notification.id}.eml`))).toBe(true);
    expect(logged).toEqual([]);
  });

  it("gives up only after its policy's time, as a status of its own, logged at warn, listed for admins with a Retry that is audited", async () => {
    const job = await emailJob();
    await outboxUnavailable();
    await dueNow(job.id);
    await runOneJob(database.prisma, jobHandlers, { logger });
    await failingFor(job.id, "49 hours");
    await runOneJob(database.prisma, jobHandlers, { logger });
    const gaveUp = await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(gaveUp).toMatchObject({ status: "GAVE_UP", attempts: 2, doneAt: null });
    expect(gaveUp.gaveUpAt).not.toBeNull();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: "warn", details: { jobId: job.id, kind: EMAIL_JOB, attempts: 2 } });
    expect(logged[0]!.details.lastError).toMatch(/EEXIST|ENOTDIR/);
    // A job that gave up is not run again by itself.
    await dueNow(job.id);
    expect(await runOneJob(database.prisma, jobHandlers, { logger })).toBe(false);

    // Admins find it: linked from the navigation and from the outbox.
    const outbox = await agents.sam!.get("/admin/outbox").expect(200);
    expect(visibleText(outbox.text)).toContain("1 notification e-mail(s) could not be delivered");
    expect(outbox.text).toMatch(/<nav[\s\S]*href="\/admin\/jobs"[\s\S]*<\/nav>/);
    expect(outbox.text).toMatch(/<main[\s\S]*href="\/admin\/jobs"/);
    const page = await agents.sam!.get("/admin/jobs").expect(200);
    const listed = decodeEntities(/<table data-testid="jobs-gave-up">[\s\S]*?<\/table>/.exec(page.text)?.[0] ?? "");
    expect(listed).toContain("Notification e-mail");
    expect(listed).toContain("To alice.editor@demo.test: “A revision was approved”");
    expect(listed).toMatch(/<td>2<\/td>/);
    expect(listed).toMatch(/EEXIST|ENOTDIR/);
    expect(listed).toContain(`action="/admin/jobs/${job.id}/retry"`);

    // Refusals change nothing: no CSRF token, an editor, an unknown id.
    const since = await lastAuditId(database);
    await agents.sam!.post(`/admin/jobs/${job.id}/retry`).type("form").send({}).expect(403);
    await agents.alice!.post(`/admin/jobs/${job.id}/retry`).type("form").send({ _csrf: agents.alice!.csrf }).expect(403);
    await agents.sam!.post(`/admin/jobs/not-a-job/retry`).type("form").send({ _csrf: agents.sam!.csrf }).expect(404);
    expect((await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe("GAVE_UP");
    // (Refused attempts of signed-in people are recorded as security events, as everywhere.)
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden", "auth.forbidden"]);

    // Retry: back in the queue, recorded as the admin's action with its sentence in the history.
    await outboxBack();
    await agents.sam!.post(`/admin/jobs/${job.id}/retry`).type("form").send({ _csrf: agents.sam!.csrf }).expect(303);
    expect(await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "PENDING", gaveUpAt: null, failingSince: null });
    const events = (await auditEventsSince(database, since)).filter((e) => e.action !== "auth.forbidden");
    expect(events.map((e) => [e.action, e.actorEmail, e.entityType, e.entityId])).toEqual([["job.retried", demo.sam, "job", job.id]]);
    const again = await agents.sam!.post(`/admin/jobs/${job.id}/retry`).type("form").send({ _csrf: agents.sam!.csrf }).expect(409);
    expect(visibleText(again.text)).toContain("This job is no longer waiting for a retry");
    const { article } = await currentRevision(database);
    const history = await agents.sam!.get(`/editor/articles/${article.id}/history`).expect(200);
    expect(decodeEntities(visibleText(history.text))).toContain("Sam Rivera retried a notification e-mail that had given up after 2 attempt(s): To alice.editor@demo.test");
    expect(await runOneJob(database.prisma, jobHandlers, { logger })).toBe(true);
    expect(await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "DONE" });
    expect((await readdir(outboxDir)).filter((f) => f.endsWith(".eml"))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- schedules whose job fails

const inAFewMinutes = () => new Date(Date.now() + 5 * 60_000).toISOString().slice(0, 16);

/** An approved r2, scheduled for publication by Sam; returns the schedule and its job. */
async function scheduledPublication() {
  await editedAndUnderReview(agents);
  await approve(agents.minh!).expect(303);
  const { article, revision } = await currentRevision(database);
  await agents.sam!.post(`/editor/articles/${article.id}/schedules`).type("form")
    .send({ _csrf: agents.sam!.csrf, revisionId: revision.id, action: "PUBLISH", runAt: inAFewMinutes() }).expect(303);
  // Only the schedule's job matters here: the review's notification e-mails are left out.
  await database.pool.query(`DELETE FROM job WHERE kind <> '${SCHEDULE_JOB}'; UPDATE job SET run_at = now() - interval '1 second'; UPDATE publication_schedule SET run_at = now() - interval '1 second'`);
  const schedule = await database.prisma.publicationSchedule.findFirstOrThrow();
  const job = await database.prisma.job.findFirstOrThrow({ where: { kind: SCHEDULE_JOB } });
  return { article, revision, schedule, job };
}

/** A real failure: the database refuses every update of `table` until stopFailing(). */
async function failUpdatesOf(table: "revision" | "publication_schedule") {
  await database.pool.query(`
    CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'injected failure: % updates are refused', TG_TABLE_NAME; END $$ LANGUAGE plpgsql;
    CREATE TRIGGER injected_failure BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION injected_failure();`);
}
const stopFailing = (table: "revision" | "publication_schedule") => database.pool.query(`DROP TRIGGER IF EXISTS injected_failure ON ${table}`);

describe("a scheduled publication whose job keeps failing", () => {
  it("is published when the failure ends, even after more than five failed attempts", async () => {
    const { revision, job } = await scheduledPublication();
    await failUpdatesOf("revision");
    try {
      for (let i = 0; i < 7; i++) {
        await dueNow(job.id);
        await runOneJob(database.prisma, jobHandlers, { logger });
      }
      expect(await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "PENDING", attempts: 7 });
      expect((await database.prisma.publicationSchedule.findFirstOrThrow()).status).toBe("SCHEDULED");
    } finally {
      await stopFailing("revision");
    }
    await dueNow(job.id);
    await runOneJob(database.prisma, jobHandlers, { logger });
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(revision.id);
    expect((await database.prisma.publicationSchedule.findFirstOrThrow()).status).toBe("DONE");
  });

  it("fails with its reason, an event and notifications in the transaction that gives the job up; an admin can retry it", async () => {
    const { article, revision, schedule, job } = await scheduledPublication();
    const since = await lastAuditId(database);
    await failUpdatesOf("revision");
    try {
      await runOneJob(database.prisma, jobHandlers, { logger });
      expect(await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "PENDING", attempts: 1 });
      expect((await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).lastError).toContain("injected failure: revision updates are refused");

      // Giving up and failing the schedule commit together: while the schedule cannot be
      // marked failed, the job does not give up either (and is tried again later).
      await failUpdatesOf("publication_schedule");
      await failingFor(job.id, "2 hours");
      await runOneJob(database.prisma, jobHandlers, { logger });
      expect((await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe("PENDING");
      expect((await database.prisma.publicationSchedule.findFirstOrThrow()).status).toBe("SCHEDULED");
      expect(logged.map((l) => l.level)).toEqual(["error"]);
      await stopFailing("publication_schedule");

      await failingFor(job.id, "2 hours");
      await runOneJob(database.prisma, jobHandlers, { logger });
    } finally {
      await stopFailing("publication_schedule");
      await stopFailing("revision");
    }
    const gaveUp = await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(gaveUp).toMatchObject({ status: "GAVE_UP", doneAt: null });
    const failed = await database.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: schedule.id } });
    expect(failed.status).toBe("FAILED");
    expect(failed.failureReason).toContain("It could not be carried out");
    expect(failed.failureReason).toContain("injected failure: revision updates are refused");
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.actorEmail])).toEqual([["schedule.failed", demo.sam]]);
    expect(events[0]!.payload).toMatchObject({ scheduleId: schedule.id, revisionNumber: revision.number, reason: failed.failureReason });
    const told = await database.prisma.notification.findMany({ where: { kind: "schedule.failed" }, include: { user: { select: { email: true } } } });
    expect(told.map((n) => n.user.email).sort()).toEqual([demo.alice, demo.sam].sort());
    expect(logged.at(-1)).toMatchObject({ level: "warn", details: { jobId: job.id, kind: SCHEDULE_JOB } });
    const workspace = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    expect(workspace.text).toMatch(/class="schedule-failed">[\s\S]*?<strong>Failed<\/strong>: It could not be carried out/);

    // Listed for admins with what it was for; Retry makes the schedule Scheduled again, and it publishes.
    const page = decodeEntities((await agents.sam!.get("/admin/jobs").expect(200)).text);
    expect(page).toContain(`Publication of r${revision.number} of “${revision.title}”`);
    await agents.sam!.post(`/admin/jobs/${job.id}/retry`).type("form").send({ _csrf: agents.sam!.csrf }).expect(303);
    expect((await database.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: schedule.id } })).status).toBe("SCHEDULED");
    await runDueJobs(database.prisma, jobHandlers, 100, { logger });
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(revision.id);
    expect((await database.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: schedule.id } })).status).toBe("DONE");
    const history = decodeEntities(visibleText((await agents.sam!.get(`/editor/articles/${article.id}/history`).expect(200)).text));
    expect(history).toContain(`Sam Rivera retried a scheduled publication that had given up after 3 attempt(s): Publication of r${revision.number}`);
  });

  it("a schedule past its time whose job gave up before schedules failed with their jobs is failed on the next worker tick", async () => {
    const { schedule, job } = await scheduledPublication();
    // What the former 5-attempt rule left behind (the migration marks such jobs GAVE_UP).
    await database.pool.query(`UPDATE job SET status = 'GAVE_UP', gave_up_at = now(), attempts = 5, last_error = 'connection refused' WHERE id = $1`, [job.id]);
    await database.pool.query(`UPDATE publication_schedule SET run_at = now() - interval '1 hour' WHERE id = $1`, [schedule.id]);
    const since = await lastAuditId(database);
    expect(await failStrandedSchedules(database.prisma)).toBe(1);
    const failed = await database.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: schedule.id } });
    expect(failed.status).toBe("FAILED");
    expect(failed.failureReason).toContain("connection refused");
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["schedule.failed"]);
    expect(await database.prisma.notification.count({ where: { kind: "schedule.failed" } })).toBe(2);
    expect(await failStrandedSchedules(database.prisma)).toBe(0);
  });
});

// ---------------------------------------------------------------- the admin page in a real browser

const chromium = chromiumPath();
describe.skipIf(!chromium && process.env.CI !== "true")("Jobs that gave up, in a real browser", () => {
  it("an admin goes from the outbox to the job that gave up and retries it; the page passes axe and its CSP", async () => {
    if (!chromium) throw new Error("CI=true but no Chromium executable was found: install it with `apt-get install -y chromium` or set CHROMIUM_PATH.");
    const job = await emailJob();
    await outboxUnavailable();
    await failingFor(job.id, "3 days");
    await runOneJob(database.prisma, jobHandlers, { logger });
    expect((await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe("GAVE_UP");
    await outboxBack();
    const running = await serve(app);
    const browser = await launchChromium(chromium);
    const log: BrowserLog = { messages: [] };
    try {
      const { page } = await newPerson(browser, running.baseUrl, "sam", log);
      await signIn(page, demo.sam);
      await page.goto("/admin/outbox");
      await clickAndWait(page, page.getByRole("main").getByRole("link", { name: "Jobs that gave up" }));
      expect(new URL(page.url()).pathname).toBe("/admin/jobs");
      const row = page.getByTestId("jobs-gave-up").getByRole("row").filter({ hasText: "alice.editor@demo.test" });
      await expect.poll(() => row.count()).toBe(1);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await clickAndWait(page, row.getByRole("button", { name: /^Retry/ }));
      await expect.poll(() => page.getByText("No job has given up.").count()).toBe(1);
      expect(await database.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "PENDING" });
      expect(log.messages).toEqual([]);
    } finally {
      await browser.close();
      await running.close();
    }
  }, 180_000);
});
