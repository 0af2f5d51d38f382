import { spawn } from "node:child_process";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, auditEventsSince, changeDosingLine, createTestDatabase, currentRevision, demo, editForm, formBody, lastAuditId, openSite, reseedContent, SEEDED_SLUG, serverUrl, signedIn, signedInAgent, type TestApp, type TestDatabase, workflowActions } from "./support/index.js";
import { seedDatabase } from "../src/services/seed.js";
import { verifyAuditChain } from "../src/audit/verify.js";
import { recordEvent, systemContext } from "../src/audit/audit-log.js";
import { setUserActive, updateUser } from "../src/services/people/index.js";
import { parseStoredPayload } from "../src/audit/events.js";

let database: TestDatabase;
let app: TestApp;
let editor: Agent;
let admin: Agent;

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
beforeEach(async () => {
  await reseedContent(database);
  editor = await signedIn(app, "alice");
  admin = await signedIn(app, "sam");
});

const { requestChanges } = workflowActions(() => database);
const toChangesRequested = async () => requestChanges({ priya: await signedIn(app, "priya") }, "Please revise.");

describe("append-only storage", () => {
  it("the database refuses to update, delete or truncate audit events", async () => {
    await expect(database.pool.query("UPDATE audit_event SET action = 'x'")).rejects.toThrow(/append-only: UPDATE/);
    await expect(database.pool.query("DELETE FROM audit_event")).rejects.toThrow(/append-only: DELETE/);
    await expect(database.pool.query("TRUNCATE audit_event")).rejects.toThrow(/append-only: TRUNCATE/);
  });

  it("an event is written in the same transaction as its change: if the change fails, no event remains", async () => {
    const since = await lastAuditId(database);
    await expect(
      database.prisma.$transaction(async (tx) => {
        await recordEvent(tx, systemContext(), { action: "system.seeded", entityType: "system", payload: { articles: [], demoUsers: [] } });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("a payload that does not fit its action's schema is refused at write time", async () => {
    await expect(
      database.prisma.$transaction((tx) =>
        // @ts-expect-error: the wrong payload does not compile either
        recordEvent(tx, systemContext(), { action: "workflow.submitted", entityType: "revision", payload: { nonsense: true } }),
      ),
    ).rejects.toThrow();
    expect(parseStoredPayload("workflow.submitted", { nonsense: true }).ok).toBe(false);
    expect(parseStoredPayload("auth.logout", {}).ok).toBe(true);
  });
});

describe("the hash chain", () => {
  // Concurrency is only tested on a PostgreSQL server: the embedded database runs one
  // transaction at a time, so parallel requests there cannot race at all.
  it.skipIf(!serverUrl)("50 concurrent actions leave a chain that verifies with no gaps (PostgreSQL server only)", async () => {
    const { article, revision } = await currentRevision(database);
    const reviewer = await signedInAgent(app, demo.priya);
    const before = await database.prisma.auditEvent.count();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        reviewer.post(`/editor/articles/${article.id}/comments`).type("form").send({ _csrf: reviewer.csrf, revisionId: revision.id, body: `Comment ${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(303));
    expect(await database.prisma.auditEvent.count()).toBe(before + 50);
    const result = await verifyAuditChain(database.pool, { batchSize: 7 });
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(before + 50);
  });

  it("verification names the first altered, deleted or reordered event", async () => {
    const tampered = await createTestDatabase();
    try {
      await seedDatabase(tampered.prisma, { demoUsers: true });
      const ok = await verifyAuditChain(tampered.pool);
      expect(ok.ok).toBe(true);
      const ids = (await tampered.pool.query("SELECT id::text AS id FROM audit_event ORDER BY audit_event.id")).rows.map((r) => r.id as string);
      expect(ids.length).toBeGreaterThan(5);
      // A superuser switches the trigger off behind the application's back.
      await tampered.pool.query("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete");
      await tampered.pool.query(`UPDATE audit_event SET payload = jsonb_set(payload, '{email}', '"intruder@evil.test"') WHERE id = $1`, [ids[2]]);
      let result = await verifyAuditChain(tampered.pool);
      expect(result).toMatchObject({ ok: false, checked: 2, firstBroken: { id: ids[2], reason: expect.stringContaining("altered") } });
      await tampered.pool.query(`DELETE FROM audit_event WHERE id = $1`, [ids[2]]);
      result = await verifyAuditChain(tampered.pool);
      expect(result).toMatchObject({ ok: false, firstBroken: { id: ids[3], reason: expect.stringContaining("deleted") } });

      if (tampered.url) {
        // The command a regulator's auditor would run: non-zero exit and the broken event named.
        const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ["--import", "tsx", "src/cli/audit-verify.ts"], { env: { ...process.env, DATABASE_URL: tampered.url } });
          let out = "";
          child.stdout.on("data", (d) => (out += d));
          child.on("exit", (code) => resolve({ code, out }));
        });
        expect(run.code).toBe(2);
        expect(run.out).toContain(`BROKEN at event ${ids[3]}`);
      }
    } finally {
      await tampered.close();
    }
  });
});

describe("events written by each action", () => {
  it("a saved revision records the old and new text of exactly what changed", async () => {
    await toChangesRequested();
    const { article } = await currentRevision(database);
    const oldBody = (await currentRevision(database)).content.sections.find((s) => s.key === "skeletal-muscle-relaxants")!.body;
    const form = await editForm(database, changeDosingLine);
    const since = await lastAuditId(database);
    await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...form, changeNote: "Dosing" })).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["article.revision.created"]);
    const payload = events[0]!.payload as { revisionNumber: number; basedOnNumber: number; changes: { fields: object; sections: { changed: { key: string; old: { body: string }; new: { body: string } }[]; added: unknown[]; removed: unknown[] } } };
    expect(events[0]).toMatchObject({ actorEmail: demo.alice, actorName: "Alice Carter", actorRole: "EDITOR", comment: "Dosing", articleId: article.id });
    expect(payload.revisionNumber).toBe(2);
    expect(payload.basedOnNumber).toBe(1);
    expect(payload.changes.fields).toEqual({});
    expect(payload.changes.sections.added).toEqual([]);
    expect(payload.changes.sections.changed.map((c) => c.key)).toEqual(["skeletal-muscle-relaxants"]);
    expect(payload.changes.sections.changed[0]!.old.body).toBe(oldBody);
    expect(payload.changes.sections.changed[0]!.new.body).toContain("titrate by 2mg");
  });

  it("an invalid save is a 400 that re-shows the user's input and writes nothing", async () => {
    await toChangesRequested();
    const { article } = await currentRevision(database);
    const form = await editForm(database, (c) => { c.title = "Hi"; c.references[0]!.year = 1200; c.sections[1]!.body = "My unsaved words"; });
    const revisions = await database.prisma.revision.count();
    const since = await lastAuditId(database);
    const res = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...form })).expect(400);
    expect(res.text).toContain("the question must be at least 5 characters");
    expect(res.text).toContain("must be 1800 or later");
    expect(res.text).toContain("My unsaved words");
    expect(await database.prisma.revision.count()).toBe(revisions);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("a stale save is refused with 409, shows what the other editor changed and keeps the user's text", async () => {
    await toChangesRequested();
    const { article } = await currentRevision(database);
    const stale = await editForm(database, (c) => { c.summary = "My own summary words"; });
    const other = await signedInAgent(app, demo.ben);
    const theirs = await editForm(database, changeDosingLine);
    await other.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: other.csrf, ...theirs })).expect(303);
    const since = await lastAuditId(database);
    const res = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...stale })).expect(409);
    expect(res.text).toContain("Someone else saved revision 2");
    expect(res.text).toContain("What Ben Okafor changed in r2");
    const conflict = res.text.slice(res.text.indexOf('class="conflict"'), res.text.indexOf('id="article-form"'));
    expect(conflict).toContain("<ins>");
    expect(conflict).toMatch(/<ins>[^<]*bedtime[^<]*<\/ins>/);
    expect(conflict).toMatch(/<del>[^<]*\(2-4mg\)[^<]*<\/del>/);
    expect(res.text).toContain("My own summary words");
    expect(await auditEventsSince(database, since)).toEqual([]);
    expect(await database.prisma.revision.count({ where: { articleId: article.id } })).toBe(2);
  });

  it("restoring a revision creates a new draft with that content and a restore event", async () => {
    await toChangesRequested();
    const { article } = await currentRevision(database);
    const form = await editForm(database, changeDosingLine);
    await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...form })).expect(303);
    const r2 = (await currentRevision(database)).revision;
    const since = await lastAuditId(database);
    await editor.post(`/editor/articles/${article.id}/revisions/1/restore`).type("form").send({ _csrf: editor.csrf, baseRevisionId: r2.id }).expect(303);
    const r3 = await currentRevision(database);
    expect(r3.revision.number).toBe(3);
    expect(r3.revision.state).toBe("DRAFT");
    const r1 = await database.prisma.revision.findFirstOrThrow({ where: { articleId: article.id, number: 1 } });
    expect(r3.revision.contentHash).toBe(r1.contentHash);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["article.revision.restored"]);
    expect(events[0]!.payload).toMatchObject({ revisionNumber: 3, restoredFromNumber: 1 });
  });

  it("creating an article records the article and its first revision", async () => {
    const since = await lastAuditId(database);
    const res = await editor.post("/editor/articles").type("form").send({ _csrf: editor.csrf, title: "When should baclofen be tapered?" }).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["article.created", "article.revision.created"]);
    expect(events[0]!.payload).toMatchObject({ slug: "baclofen-be-tapered", title: "When should baclofen be tapered?" });
    expect(res.headers.location).toMatch(/\/edit$/);
    await editor.post("/editor/articles").type("form").send({ _csrf: editor.csrf, title: "When should baclofen be tapered?" }).expect(409);
    await editor.post("/editor/articles").type("form").send({ _csrf: editor.csrf, title: "Hi" }).expect(400);
    expect((await auditEventsSince(database, since)).length).toBe(2);
  });

  it("article settings changes record old and new values; a reviewer may not change them", async () => {
    const { article } = await currentRevision(database);
    const reviewer = await signedInAgent(app, demo.priya);
    const body = { slug: SEEDED_SLUG, approvalsRequired: "2", nextReviewDue: "2027-01-31", visibleWhilePending: "on", version: String(article.version) };
    await reviewer.post(`/editor/articles/${article.id}/settings`).type("form").send({ _csrf: reviewer.csrf, ...body }).expect(403);
    const since = await lastAuditId(database);
    await admin.post(`/editor/articles/${article.id}/settings`).type("form").send({ _csrf: admin.csrf, ...body, approvalsRequired: "0" }).expect(400);
    await admin.post(`/editor/articles/${article.id}/settings`).type("form").send({ _csrf: admin.csrf, ...body }).expect(303);
    await admin.post(`/editor/articles/${article.id}/settings`).type("form").send({ _csrf: admin.csrf, ...body, approvalsRequired: "3" }).expect(409);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["article.settings.changed"]);
    expect(events[0]!.payload).toEqual({ changes: { approvalsRequired: { old: 1, new: 2 }, nextReviewDue: { old: null, new: "2027-01-31" } } });
  });

  it("user management records creation, role changes and deactivation, which ends the user's sessions", async () => {
    const since = await lastAuditId(database);
    await admin.post("/admin/users").type("form").send({ _csrf: admin.csrf, name: "Dr. Ada Lovelace", email: "ada@demo.test", role: "REVIEWER", credentials: "MD, Cardiology", password: "a-long-enough-password" }).expect(303);
    await admin.post("/admin/users").type("form").send({ _csrf: admin.csrf, name: "X", email: "not-an-email", role: "REVIEWER", password: "short" }).expect(400);
    const ada = await database.prisma.user.findUniqueOrThrow({ where: { email: "ada@demo.test" } });
    const adaAgent = await signedInAgent(app, "ada@demo.test", "a-long-enough-password");
    await admin.post(`/admin/users/${ada.id}`).type("form").send({ _csrf: admin.csrf, name: "Dr. Ada Lovelace", role: "EDITOR", credentials: "MD, Cardiology" }).expect(303);
    await admin.post(`/admin/users/${ada.id}/deactivate`).type("form").send({ _csrf: admin.csrf }).expect(303);
    // The deactivated user's session no longer opens staff pages.
    const after = await adaAgent.get("/editor");
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["user.created", "auth.login.succeeded", "user.role.changed", "user.deactivated", "auth.session.revoked"]);
    expect(events[0]!.payload).toMatchObject({ user: { email: "ada@demo.test", role: "REVIEWER", credentials: "MD, Cardiology" } });
    expect(JSON.stringify(events[0]!.payload)).not.toContain("password");
    expect(events[2]!.payload).toEqual({ old: "REVIEWER", new: "EDITOR" });
    expect(events[3]!.payload).toEqual({ sessionsEnded: 1, tokensRevoked: 0 });
    const editorTries = await editor.post(`/admin/users/${ada.id}/reactivate`).type("form").send({ _csrf: editor.csrf });
    expect(editorTries.status).toBe(403);
  });

  it("the last active admin cannot be demoted or deactivated", async () => {
    const sam = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.sam } });
    expect(await database.prisma.user.count({ where: { role: "ADMIN", active: true } })).toBe(1);
    const since = await lastAuditId(database);
    const ctx = systemContext("test");
    await expect(updateUser(database.prisma, ctx, "00000000-0000-0000-0000-000000000000", sam.id, { name: sam.name, role: "EDITOR", credentials: null, canReview: false }))
      .rejects.toThrow("last active admin");
    await expect(setUserActive(database.prisma, ctx, "00000000-0000-0000-0000-000000000000", sam.id, false)).rejects.toThrow("last active admin");
    expect(await database.prisma.user.findUniqueOrThrow({ where: { id: sam.id } })).toMatchObject({ role: "ADMIN", active: true });
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("an admin can set a new password for a user: old sessions end, the password is never recorded", async () => {
    const ben = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.ben } });
    const benAgent = await signedInAgent(app, demo.ben);
    const since = await lastAuditId(database);
    await admin.post(`/admin/users/${ben.id}/password`).type("form").send({ _csrf: admin.csrf, password: "short" }).expect(400);
    await admin.post(`/admin/users/${ben.id}/password`).type("form").send({ _csrf: admin.csrf, password: "a-brand-new-password" }).expect(303);
    expect((await benAgent.get("/editor")).status).toBe(303);
    await signedInAgent(app, demo.ben, "a-brand-new-password");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["user.password.reset", "auth.session.revoked", "auth.login.succeeded"]);
    expect(events[0]!.payload).toEqual({ sessionsEnded: 1, tokensRevoked: 0 });
    expect(JSON.stringify(events.map((e) => [e.payload, e.comment]))).not.toContain("a-brand-new-password");
    await admin.post(`/admin/users/${ben.id}/password`).type("form").send({ _csrf: admin.csrf, password: "demo-password-2025" }).expect(303);
  });
});

describe("the article's address", () => {
  it("an editor can change it (recorded with old and new value) but not the review settings", async () => {
    const { article } = await currentRevision(database);
    await editor.post(`/editor/articles/${article.id}/settings`).type("form")
      .send({ _csrf: editor.csrf, slug: SEEDED_SLUG, approvalsRequired: "1", version: String(article.version) }).expect(403);
    const since = await lastAuditId(database);
    await editor.post(`/editor/articles/${article.id}/slug`).type("form").send({ _csrf: editor.csrf, slug: "Bad Slug!", version: String(article.version) }).expect(400);
    await editor.post(`/editor/articles/${article.id}/slug`).type("form").send({ _csrf: editor.csrf, slug: "muscle-spasm-treatment", version: String(article.version) }).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.actorEmail])).toEqual([["article.settings.changed", demo.alice]]);
    expect(events[0]!.payload).toEqual({ changes: { slug: { old: SEEDED_SLUG, new: "muscle-spasm-treatment" } } });
    await request(app).get("/articles/muscle-spasm-treatment").expect(200);
    await request(app).get(`/articles/${SEEDED_SLUG}`).expect(404);
  });
});

describe("seeing the audit trail", () => {
  it("the article history page shows each event as a sentence, with the raw event for auditors", async () => {
    await toChangesRequested();
    const { article } = await currentRevision(database);
    const res = await editor.get(`/editor/articles/${article.id}/history`).expect(200);
    expect(res.text).toContain('data-action="article.created"');
    const changesRequested = /<li id="event-\d+" data-action="workflow.changes_requested">([\s\S]*?)<\/li>/.exec(res.text)?.[1] ?? "";
    expect(changesRequested).toMatch(/requested changes on r1: “Please revise\.”/);
    // The raw event, with its old and new state and its hash, is behind a disclosure.
    const raw = /<details class="raw-event">([\s\S]*?)<\/details>/.exec(changesRequested)?.[1] ?? "";
    expect(raw).toContain("&#34;from&#34;: &#34;UNDER_REVIEW&#34;");
    expect(raw).toContain("&#34;to&#34;: &#34;CHANGES_REQUESTED&#34;");
    expect(raw).toContain("&#34;hash&#34;");
  });

  it("only admins see the site-wide log and its exports", async () => {
    await editor.get("/admin/audit").expect(403);
    await request(app).get("/admin/audit").expect(303);
    await admin.get("/admin/audit").expect(200);
    for (const format of ["csv", "jsonl"]) {
      const refused = await editor.get(`/admin/audit/export.${format}`).expect(403);
      expect(refused.text).not.toContain("workflow.");
      await request(app).get(`/admin/audit/export.${format}`).expect(303);
      await signedIn(app, "priya").then((reviewer) => reviewer.get(`/admin/audit/export.${format}`).expect(403));
    }
  });

  it("exports of a filtered view contain exactly the rows the page shows", async () => {
    await toChangesRequested();
    const filter = `action=workflow.review_started&article=${SEEDED_SLUG}`;
    const page = await admin.get(`/admin/audit?${filter}`).expect(200);
    const pageIds = [...page.text.matchAll(/data-event-id="(\d+)"/g)].map((m) => m[1]);
    expect(pageIds.length).toBeGreaterThan(0);
    const jsonl = await admin.get(`/admin/audit/export.jsonl?${filter}`).expect(200);
    const exported = jsonl.text.trim().split("\n").map((line) => JSON.parse(line));
    expect(exported.map((e) => e.id)).toEqual(pageIds);
    expect(exported.every((e) => e.action === "workflow.review_started")).toBe(true);
    const csv = await admin.get(`/admin/audit/export.csv?${filter}`).expect(200);
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toMatch(/^id,createdAt,action,/);
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(pageIds);
    await admin.get("/admin/audit?from=not-a-date").expect(400);
  });

  it("verify and the exports read every field exactly as written, whatever the text holds", async () => {
    const since = await lastAuditId(database);
    const awkward = `=HYPERLINK("x"), then "quotes",\nline 2 — ü 🩺 \t tab`;
    const context = { ...systemContext(`Browser "quoted", ${awkward}`), apiTokenId: "0F0E0D0C-0B0A-4909-8807-060504030201" };
    await database.prisma.$transaction((tx) => recordEvent(tx, context, {
      action: "comment.created", entityType: "comment", comment: awkward, articleTitle: "+1 -1 @x",
      payload: { kind: "COMMENT", body: awkward, quote: null, sectionKey: "10", commentId: "zz", audience: "é" },
    }));
    // Read in batches of two, so the read-ahead and the batch edges are crossed.
    const verified = await verifyAuditChain(database.pool, { batchSize: 2 });
    expect(verified).toMatchObject({ ok: true });
    const [stored] = await auditEventsSince(database, since);
    expect(stored).toBeDefined();

    const jsonl = await admin.get(`/admin/audit/export.jsonl?action=comment.created`).expect(200);
    const exported = JSON.parse(jsonl.text.split("\n")[0]!);
    expect(exported).toMatchObject({
      id: stored!.id.toString(), createdAt: stored!.createdAt.toISOString(), comment: awkward, userAgent: context.userAgent,
      articleTitle: "+1 -1 @x", apiTokenId: "0f0e0d0c-0b0a-4909-8807-060504030201", payload: stored!.payload,
    });
    const csv = await admin.get(`/admin/audit/export.csv?action=comment.created`).expect(200);
    const line = csv.text.slice(csv.text.indexOf("\r\n") + 2);
    // Formula-like cells are defused, quotes doubled, line breaks kept inside the quoted cell.
    expect(line.startsWith(`${stored!.id},${stored!.createdAt.toISOString()},comment.created,`)).toBe(true);
    expect(line).toContain(`"'=HYPERLINK(""x""), then ""quotes"",\nline 2 — ü 🩺 \t tab"`);
    expect(line).toContain(`,'+1 -1 @x,`);
    expect(line).toContain(`""commentId"":""zz""`);
  });

  it("pages through the log by keyset without repeating or skipping events", async () => {
    await toChangesRequested();
    const seen: string[] = [];
    let next = "/admin/audit?limit=3";
    for (let i = 0; i < 100 && next; i++) {
      const res = await admin.get(next).expect(200);
      seen.push(...[...res.text.matchAll(/data-event-id="(\d+)"/g)].map((m) => m[1]!));
      const more = /href="(\/admin\/audit\?[^"]*before=\d+)"/.exec(res.text)?.[1];
      next = more ? more.replace(/&amp;/g, "&") : "";
    }
    const all = (await database.pool.query("SELECT id::text AS id FROM audit_event ORDER BY audit_event.id DESC")).rows.map((r) => r.id);
    expect(seen.length).toBe(new Set(seen).size);
    expect(seen).toEqual(all);
  });
});
