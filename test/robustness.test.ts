// Bad input gets a clear 4xx and changes nothing; it never produces a 500.
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, auditEventsSince, csrfFrom, currentRevision, demo, editForm, formBody, lastAuditId, openSite, signedIn, type TestApp, type TestDatabase } from "./support/index.js";
import { verifyAuditChain } from "../src/audit/verify.js";

let database: TestDatabase;
let app: TestApp;
let logged: string[];
let reviewer: Agent;
let admin: Agent;
let editor: Agent;

beforeAll(async () => {
  ({ database, app, logged } = await openSite());
  reviewer = await signedIn(app, "priya");
  admin = await signedIn(app, "sam");
  editor = await signedIn(app, "alice");
});
afterAll(() => database?.close());

describe("malformed input", () => {
  it("is answered with 400 pages, never 500, and writes nothing", async () => {
    const { article, revision } = await currentRevision(database);
    const since = await lastAuditId(database);
    const login = await request.agent(app).get("/login");
    const cases: [string, request.Test, number?][] = [
      ["NUL in the sign-in email", request(app).post("/login").type("form").set("Cookie", ([] as string[]).concat(login.headers["set-cookie"] ?? [])).send(`_csrf=${csrfFrom(login.text)}&email=a%00b&password=x`)],
      ["lone surrogate in JSON", reviewer.post(`/editor/articles/${article.id}/comments`).set("Content-Type", "application/json").set("x-csrf-token", reviewer.csrf).send('{"revisionId":"x","body":"\\ud800"}')],
      ["undecodable URL", request(app).get("/articles/%E0%A4%A")],
      ["revision number beyond integer range", reviewer.get(`/editor/articles/${article.id}/revisions/99999999999`), 404],
      ["comparison beyond integer range", reviewer.get(`/editor/articles/${article.id}/compare?from=99999999999&to=1`)],
      ["impossible audit filter date", admin.get("/admin/audit?from=2025-02-30")],
      ["impossible export filter date", admin.get("/admin/audit/export.csv?to=2025-13-45")],
      ["page cursor beyond bigint", admin.get("/admin/audit?before=9999999999999999999")],
      ["impossible review date", admin.post(`/editor/articles/${article.id}/settings`).type("form").send({ _csrf: admin.csrf, version: "0", slug: "x", approvalsRequired: "1", nextReviewDue: "2025-02-31" })],
      ["array where a string is expected", reviewer.post(`/editor/articles/${article.id}/comments`).type("form").send(`_csrf=${reviewer.csrf}&revisionId=${revision.id}&body[]=x&body[]=y`)],
      ["malformed JSON", reviewer.post(`/editor/articles/${article.id}/comments`).set("Content-Type", "application/json").set("x-csrf-token", reviewer.csrf).send("{nope")],
    ];
    for (const [what, pending, status = 400] of cases) {
      const res = await pending;
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(status);
      expect(res.text, what).not.toMatch(/at .+\.(ts|js):\d+/);
    }
    expect(await auditEventsSince(database, since)).toEqual([]);
    expect(logged).toEqual([]);
  });

  it("a JSON field that is an object or a 10,000-deep array gets a 400 with a message, never a 500, and writes nothing", async () => {
    const { article, revision } = await currentRevision(database);
    const sam = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.ben } });
    // Raw JSON text: a 10,000-deep array is too deep even for JSON.stringify.
    const hostile: [string, string][] = [["an object", '{"toString":1}'], ["a deep array", `${"[".repeat(10_000)}${"]".repeat(10_000)}`]];
    const withField = (base: Record<string, unknown>, field: string, raw: string) => {
      const rest = Object.fromEntries(Object.entries(base).filter(([k]) => k !== field));
      return `{${JSON.stringify(field)}:${raw}${Object.keys(rest).length ? `,${JSON.stringify(rest).slice(1)}` : "}"}`;
    };
    const targets: [Agent, string, string[], Record<string, unknown>][] = [
      [editor, "/editor/articles", ["title", "slug"], { title: "A question long enough", slug: "" }],
      [admin, "/admin/users", ["email", "name", "credentials", "role", "password"], { email: "new@demo.test", name: "New Person", role: "EDITOR", password: "long-enough-password" }],
      [admin, `/admin/users/${sam.id}`, ["name", "credentials", "role"], { name: "Ben", role: "EDITOR" }],
      [editor, `/editor/articles/${article.id}/edit`, ["title", "changeNote", "baseRevisionId", "sections"], { baseRevisionId: revision.id, title: "T" }],
      [reviewer, `/editor/articles/${article.id}/comments`, ["body", "revisionId"], { revisionId: revision.id, body: "x" }],
      [reviewer, `/editor/articles/${article.id}/transitions/approve`, ["comment", "password", "meaning"], { revisionId: revision.id, expectedState: "SUBMITTED" }],
      [admin, `/editor/articles/${article.id}/settings`, ["slug", "version"], { version: "0", slug: "x", approvalsRequired: "1" }],
    ];
    const since = await lastAuditId(database);
    for (const [agent, url, fields, base] of targets) {
      for (const field of fields) {
        for (const [what, value] of hostile) {
          const res = await agent.post(url).set("Content-Type", "application/json").set("Accept", "text/html").set("x-csrf-token", agent.csrf)
            .send(withField(base, field, value));
          expect(res.status, `${url} ${field} as ${what}: ${res.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`).toBe(400);
          expect(res.text).toMatch(/must be text|nested too deeply|has problems|expected string|was not saved|Not saved\./);
        }
      }
    }
    const login = await request.agent(app).get("/login");
    const cookie = ([] as string[]).concat(login.headers["set-cookie"] ?? []);
    for (const [, value] of hostile) {
      const res = await request(app).post("/login").set("Cookie", cookie).set("Content-Type", "application/json").set("x-csrf-token", csrfFrom(login.text))
        .send(withField({ password: "x" }, "email", value));
      expect(res.status).toBe(400);
    }
    expect(await auditEventsSince(database, since)).toEqual([]);
    expect(logged).toEqual([]);
  });

  it("an edit form with an impossible date or no base revision is refused with 400", async () => {
    await database.prisma.revision.updateMany({ data: { state: "CHANGES_REQUESTED" } });
    const { article } = await currentRevision(database);
    const form = await editForm(database, (c) => { c.lastUpdated = "2025-02-31"; });
    const bad = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...form }));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("must be a real date");
    const noBase = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...form, baseRevisionId: "x", lastUpdated: "2025-03-01" }));
    expect(noBase.status).toBe(400);
    expect(noBase.text).toContain("does not say which revision");
    expect(await database.prisma.revision.count()).toBe(1);
  });

  it("a missing CSRF token gets the friendly error page, not a stack trace", async () => {
    const res = await request(app).post("/login").type("form").send({ email: "a@b.c", password: "x" });
    expect(res.status).toBe(403);
    expect(res.text).toContain("This form has expired or did not come from this site");
    expect(res.text).not.toMatch(/<pre>|\.ejs|node_modules/);
  });

  it("upper-case ids in addresses act on the same article and keep the audit chain valid", async () => {
    await database.prisma.revision.updateMany({ data: { state: "SUBMITTED" } });
    const { article, revision } = await currentRevision(database);
    const res = await reviewer.post(`/editor/articles/${article.id.toUpperCase()}/transitions/start_review`).type("form")
      .send({ _csrf: reviewer.csrf, revisionId: revision.id.toUpperCase(), expectedState: "SUBMITTED" });
    expect(res.status).toBe(303);
    expect((await currentRevision(database)).revision.state).toBe("UNDER_REVIEW");
    expect((await verifyAuditChain(database.pool)).ok).toBe(true);
  });
});
