// Smaller hardening: absolute session lifetime, reference URLs parsed and
// normalized, page structure (headings, table headers), and what templates see.
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsSince, createTestApp, currentRevision, demo, editForm, formBody, lastAuditId, openSite, signedInAgent, submitLogin, type TestApp, type TestDatabase } from "./support/index.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

let database: TestDatabase;
let app: TestApp;
const rendered: { view: string; options: unknown }[] = [];

beforeAll(async () => {
  ({ database, app } = await openSite());
  // Everything any template receives, to check what may reach a page.
  const render = app.render.bind(app);
  app.render = ((view: string, options: object, callback: (err: Error | null, html?: string) => void) => {
    rendered.push({ view, options });
    return render(view, options, callback);
  }) as typeof app.render;
});
afterAll(() => database?.close());

function keysDeep(value: unknown, seen = new Set<unknown>()): string[] {
  if (value === null || typeof value !== "object" || seen.has(value)) return [];
  seen.add(value);
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysDeep(v, seen)]);
}

describe("sessions", () => {
  it("end at their absolute lifetime even while in use, and the expiry is recorded", async () => {
    // A lifetime of 3.6 s; the session is used through its first half, then outlives it.
    const lifetimeMs = 0.001 * 3_600_000;
    const shortApp = createTestApp(database, { SESSION_MAX_HOURS: "0.001" }).app;
    const agent = request.agent(shortApp);
    await submitLogin(agent, demo.ben, DEMO_PASSWORD).expect(303);
    // The session began before this moment, so it ends at the latest one lifetime after it.
    const signedInAt = Date.now();
    // Active every half second: the idle limit (8 hours) is never reached.
    let uses = 0;
    while (Date.now() - signedInAt < lifetimeMs / 2) {
      await agent.get("/editor").expect(200);
      uses++;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(uses).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedInAt + lifetimeMs + 300 - Date.now())));
    const since = await lastAuditId(database);
    const after = await agent.get("/editor");
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe("/login?next=%2Feditor");
    expect((await auditEventsSince(database, since)).map((e) => [e.action, e.actorEmail, e.payload])).toEqual([["auth.session.expired", demo.ben, { limit: "absolute" }]]);
  });
});

describe("reference URLs", () => {
  it("are parsed as URLs and stored normalized, so a quote cannot break the page's HTML", async () => {
    await database.prisma.revision.updateMany({ data: { state: "CHANGES_REQUESTED" } });
    const editor = await signedInAgent(app, demo.alice);
    const { article } = await currentRevision(database);
    const withUrl = (url: string) => editForm(database, (c) => { c.references[0]!.url = url; });
    const bad = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...(await withUrl("javascript:alert(1)")) }));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("must start with http:// or https://");
    const notUrl = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...(await withUrl("https://")) }));
    expect(notUrl.status).toBe(400);
    expect(notUrl.text).toContain("must be a full web address");

    const saved = await editor.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: editor.csrf, ...(await withUrl('https://Example.org/a"b c')) }));
    expect(saved.status).toBe(303);
    const { revision } = await currentRevision(database);
    expect(revision.references[0]!.url).toBe("https://example.org/a%22b%20c");
    const preview = await editor.get(`/editor/articles/${article.id}/revisions/${revision.number}`).expect(200);
    expect(preview.text).toContain('<a href="https://example.org/a%22b%20c" rel="noopener">');
  });
});

describe("page structure", () => {
  it("the comparison page has no heading level gap and the revisions table has no empty header cell", async () => {
    const editor = await signedInAgent(app, demo.alice);
    const { article, revision } = await currentRevision(database);
    const compare = await editor.get(`/editor/articles/${article.id}/compare?from=1&to=${revision.number}`).expect(200);
    const levels = [...compare.text.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!, `heading levels ${levels.join(",")}`).toBeLessThanOrEqual(1);
    const workspace = await editor.get(`/editor/articles/${article.id}`).expect(200);
    expect(workspace.text).toContain("<th>Actions</th>");
    expect(workspace.text).not.toMatch(/<th>\s*<\/th>/);
  });
});

describe("templates", () => {
  it("never receive a password hash, on any page a signed-in admin opens", async () => {
    const admin = await signedInAgent(app, demo.sam);
    const { article } = await currentRevision(database);
    rendered.length = 0;
    for (const url of ["/editor", `/editor/articles/${article.id}`, "/admin/users", "/admin/audit", "/articles"]) await admin.get(url).expect(200);
    expect(rendered.map((r) => r.view)).toContain("admin/users");
    for (const { view, options } of rendered) expect(keysDeep(options), view).not.toContain("passwordHash");
  });
});
