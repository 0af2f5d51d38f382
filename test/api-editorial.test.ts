import { createHash } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditEventsSince, bearer, csrfFrom, currentRevision, demo, lastAuditId, openSite, reseedContent, signedInAgent, supplyMissingSources, type TestApp, type TestDatabase, tokenFor } from "./support/index.js";
import { commentsSchema, editorialArticleSchema, problemSchema, revisionSchema, transitionResultSchema } from "../src/api/schemas.js";
import { verifyAuditChain } from "../src/audit/verify.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
beforeEach(() => reseedContent(database));

function newArticleBody(slug: string) {
  return {
    slug,
    content: {
      title: "Is this created through the API?", summaryHeading: "Summary", summary: "A summary [@a].", lastUpdated: "2026-01-02",
      disclaimerHeading: "Disclaimer", disclaimer: "For professionals.",
      sections: [{ key: "one", depth: 1, heading: "One", body: "Body text [@a]." }],
      references: [{ key: "a", type: "RESEARCH", title: "A study", source: "A journal", year: 2020 }],
    },
  };
}

describe("API tokens", () => {
  it("are created on a CSRF-protected page, shown once, and stored only as a hash", async () => {
    const agent = await signedInAgent(app, demo.alice);
    await agent.post("/account/tokens").type("form").send({ name: "no csrf", scopes: "read" }).expect(403);
    const page = await agent.get("/account/tokens").expect(200);
    const res = await agent.post("/account/tokens").type("form").send({ _csrf: csrfFrom(page.text), name: "Syndication feed", scopes: ["read", "write"] }).expect(201);
    const token = /<code class="token-value">([^<]+)<\/code>/.exec(res.text)?.[1];
    expect(token).toMatch(/^cat_[A-Za-z0-9_-]{40,}$/);
    expect(res.headers["cache-control"]).toBe("no-store");

    const rows = await database.pool.query("SELECT t.*, row_to_json(t)::text AS everything FROM api_token t WHERE name = 'Syndication feed'");
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].token_hash).toBe(createHash("sha256").update(token!).digest("hex"));
    expect(rows.rows[0].everything).not.toContain(token!.slice(4));
    const audit = await database.pool.query("SELECT count(*)::int AS n FROM audit_event WHERE payload::text LIKE $1", [`%${token!.slice(4, 20)}%`]);
    expect(audit.rows[0].n).toBe(0);
    // Shown once: the list shows only the prefix.
    const list = await agent.get("/account/tokens").expect(200);
    expect(list.text).not.toContain(token!);
    expect(list.text).toContain(token!.slice(0, 10));

    const me = bearer(app, token!);
    const { article } = await currentRevision(database);
    await me.get(`/api/v1/editorial/articles/${article.id}`).expect(200);
  });

  it("stop working when revoked, and only their owner can revoke them", async () => {
    const { token, id } = await tokenFor(database, demo.alice, ["read"]);
    const { article } = await currentRevision(database);
    await bearer(app, token).get(`/api/v1/editorial/articles/${article.id}`).expect(200);

    const ben = await signedInAgent(app, demo.ben);
    await ben.post(`/account/tokens/${id}/revoke`).type("form").send({ _csrf: ben.csrf, confirmed: "yes" }).expect(404);
    await bearer(app, token).get(`/api/v1/editorial/articles/${article.id}`).expect(200);

    const alice = await signedInAgent(app, demo.alice);
    const since = await lastAuditId(database);
    await alice.post(`/account/tokens/${id}/revoke`).type("form").send({ _csrf: alice.csrf, confirmed: "yes" }).expect(303);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["api_token.revoked"]);
    const refused = await bearer(app, token).get(`/api/v1/editorial/articles/${article.id}`).expect(401);
    expect(refused.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(problemSchema.parse(refused.body).detail).toMatch(/not valid/);
  });

  it("stop working when their owner is deactivated", async () => {
    const { token, user } = await tokenFor(database, demo.ben, ["read"]);
    const { article } = await currentRevision(database);
    await database.prisma.user.update({ where: { id: user.id }, data: { active: false } });
    try {
      await bearer(app, token).get(`/api/v1/editorial/articles/${article.id}`).expect(401);
    } finally {
      await database.prisma.user.update({ where: { id: user.id }, data: { active: true } });
    }
  });

  it("are limited to their scopes", async () => {
    const { article, revision } = await currentRevision(database);
    const readOnly = bearer(app, (await tokenFor(database, demo.alice, ["read"])).token);
    const writeOnly = bearer(app, (await tokenFor(database, demo.alice, ["write"])).token);
    const since = await lastAuditId(database);
    const refused = await readOnly.post(`/api/v1/editorial/articles/${article.id}/transitions/withdraw`, { revisionId: revision.id, expectedState: revision.state }).expect(403);
    expect(problemSchema.parse(refused.body).detail).toContain('"write" scope');
    await writeOnly.get(`/api/v1/editorial/articles/${article.id}`).expect(403);
    expect((await currentRevision(database)).revision.state).toBe("SUBMITTED");
    // Refusals change nothing; they are recorded as security events, as on the pages.
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden", "auth.forbidden"]);
  });

  it("are required by editorial endpoints", async () => {
    const { article } = await currentRevision(database);
    const res = await request(app).get(`/api/v1/editorial/articles/${article.id}`).expect(401);
    expect(problemSchema.parse(res.body).detail).toContain("Bearer");
    await request(app).get(`/api/v1/editorial/articles/${article.id}`).set("Authorization", "Basic abc").expect(401);
    await request(app).get(`/api/v1/editorial/articles/${article.id}`).set("Authorization", "Bearer cat_madeup").expect(401);
  });

  it("do not need CSRF tokens, and session cookies do not authenticate the API", async () => {
    const agent = await signedInAgent(app, demo.alice);
    const { article } = await currentRevision(database);
    await agent.get(`/api/v1/editorial/articles/${article.id}`).expect(401);
    const { token } = await tokenFor(database, demo.alice);
    await bearer(app, token).post("/api/v1/editorial/articles", newArticleBody("no-csrf-needed")).expect(201);
  });
});

describe("editorial API", () => {
  it("attributes every change to the person and the token, and keeps the audit chain valid", async () => {
    const { token, id } = await tokenFor(database, demo.alice);
    const since = await lastAuditId(database);
    const created = await bearer(app, token).post("/api/v1/editorial/articles", newArticleBody("api-made-article")).expect(201);
    const article = editorialArticleSchema.parse(created.body);
    expect(article.currentRevision.state).toBe("DRAFT");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["article.created", "article.revision.created"]);
    for (const e of events) {
      expect(e.actorEmail).toBe(demo.alice);
      expect(e.apiTokenId).toBe(id);
    }
    const verified = await verifyAuditChain(database.pool);
    expect(verified.ok).toBe(true);
  });

  it("saves a new revision on the newest base and refuses a stale base with 409, saving nothing", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const api = bearer(app, token);
    const { article } = await currentRevision(database);
    const view = editorialArticleSchema.parse((await api.get(`/api/v1/editorial/articles/${article.id}`).expect(200)).body);
    const withdraw = view.transitions.find((t) => t.name === "withdraw")!;
    await api.post(`/api/v1/editorial/articles/${article.id}/transitions/withdraw`, { revisionId: withdraw.revisionId, expectedState: withdraw.expectedState }).expect(200);

    const base = revisionSchema.parse((await api.get(`/api/v1/editorial/articles/${article.id}/revisions/1`).expect(200)).body);
    const content = { ...base.content, summary: `${base.content.summary} First change.` };
    const saved = revisionSchema.parse((await api.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: base.id, content, changeNote: "first" }).expect(201)).body);
    expect(saved.number).toBe(2);
    expect(saved.author).toBe("Alice Carter");

    const stale = await api.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: base.id, content: { ...content, summary: "Second change on an old base." } }).expect(409);
    expect(problemSchema.parse(stale.body).detail).toMatch(/Someone else saved revision 2/);
    expect(await database.prisma.revision.count({ where: { articleId: article.id } })).toBe(2);
  });

  it("validates revision content like the editor and names the fields", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const { article, revision } = await currentRevision(database);
    const since = await lastAuditId(database);
    const res = await bearer(app, token).post(`/api/v1/editorial/articles/${article.id}/revisions`, {
      baseRevisionId: revision.id, content: { title: "x", sections: [{ key: "BAD KEY", depth: 7, heading: "", body: 5 }], references: "no" },
    }).expect(400);
    const problem = problemSchema.parse(res.body);
    const fields = problem.errors!.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["content.title", "content.sections.0.key", "content.references"]));
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("applies the same role rules as the pages", async () => {
    const { article, revision } = await currentRevision(database);
    const as = async (email: string) => bearer(app, (await tokenFor(database, email)).token);
    const reviewer = await as(demo.priya);
    const editor = await as(demo.alice);
    const admin = await as(demo.sam);

    // Reviewers neither create nor edit.
    await reviewer.post("/api/v1/editorial/articles", newArticleBody("reviewer-made")).expect(403);
    const { content } = await currentRevision(database);
    await reviewer.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content }).expect(403);
    // Editors do not review; admins (without reviewer rights) do not review either.
    await editor.post(`/api/v1/editorial/articles/${article.id}/transitions/start_review`, { revisionId: revision.id, expectedState: "SUBMITTED" }).expect(403);
    await admin.post(`/api/v1/editorial/articles/${article.id}/transitions/start_review`, { revisionId: revision.id, expectedState: "SUBMITTED" }).expect(403);
    // What each may do is what the article offers them.
    const offered = async (api: typeof editor) => editorialArticleSchema.parse((await api.get(`/api/v1/editorial/articles/${article.id}`).expect(200)).body).transitions.map((t) => t.name);
    expect(await offered(reviewer)).toEqual(["start_review"]);
    expect(await offered(editor)).toEqual(["withdraw"]);
    await reviewer.post(`/api/v1/editorial/articles/${article.id}/transitions/start_review`, { revisionId: revision.id, expectedState: "SUBMITTED" }).expect(200);
    // Acting on a state that has moved on is a conflict.
    await reviewer.post(`/api/v1/editorial/articles/${article.id}/transitions/start_review`, { revisionId: revision.id, expectedState: "SUBMITTED" }).expect(409);
    // Unknown transition names and malformed ids are 404s.
    await reviewer.post(`/api/v1/editorial/articles/${article.id}/transitions/launch`, {}).expect(404);
    await reviewer.get("/api/v1/editorial/articles/not-a-uuid").expect(404);
    await reviewer.get("/api/v1/editorial/articles/00000000-0000-4000-8000-000000000000").expect(404);
  });

  it("lets only admins publish and only reviewers approve, as on the pages", async () => {
    const { article } = await currentRevision(database);
    const step = (api: ReturnType<typeof bearer>, name: string, expectedState: string, revisionId: string, extra: object = {}) =>
      api.post(`/api/v1/editorial/articles/${article.id}/transitions/${name}`, { revisionId, expectedState, ...extra });
    const alice = bearer(app, (await tokenFor(database, demo.alice)).token);
    const ben = bearer(app, (await tokenFor(database, demo.ben)).token);
    const priya = bearer(app, (await tokenFor(database, demo.priya)).token);
    const sam = bearer(app, (await tokenFor(database, demo.sam)).token);
    await step(alice, "withdraw", "SUBMITTED", (await currentRevision(database)).revision.id).expect(200);
    const { revision, content } = await currentRevision(database);
    supplyMissingSources(content);
    const saved = (await alice.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content }).expect(201)).body;
    // Any editor may submit; withdrawing is the revision author's own step.
    await step(ben, "submit", "DRAFT", saved.id).expect(200);
    await step(ben, "withdraw", "SUBMITTED", saved.id).expect(403);
    await step(priya, "start_review", "SUBMITTED", saved.id).expect(200);
    const signature = { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" };
    await step(alice, "approve", "UNDER_REVIEW", saved.id, signature).expect(403);
    await step(sam, "approve", "UNDER_REVIEW", saved.id, signature).expect(403);
    await step(priya, "approve", "UNDER_REVIEW", saved.id, signature).expect(200);
    await step(alice, "publish", "APPROVED", saved.id).expect(403);
    await step(priya, "publish", "APPROVED", saved.id).expect(403);
    await step(sam, "publish", "APPROVED", saved.id).expect(200);
    await step(alice, "unpublish", "APPROVED", saved.id, { comment: "why" }).expect(403);
    await step(sam, "unpublish", "APPROVED", saved.id).expect(400);
    await step(sam, "unpublish", "APPROVED", saved.id, { comment: "Urgent correction" }).expect(200);
  });

  it("approves only with the signer's password, under the same electronic-signature rules as the page", async () => {
    const alice = bearer(app, (await tokenFor(database, demo.alice)).token);
    const priya = bearer(app, (await tokenFor(database, demo.priya)).token);
    const sam = bearer(app, (await tokenFor(database, demo.sam)).token);
    const { article } = await currentRevision(database);
    const step = async (api: typeof alice, name: string, extra: object = {}, status = 200) => {
      const { revision } = await currentRevision(database);
      return api.post(`/api/v1/editorial/articles/${article.id}/transitions/${name}`, { revisionId: revision.id, expectedState: revision.state, ...extra }).expect(status);
    };
    await step(alice, "withdraw");
    const { revision, content } = await currentRevision(database);
    supplyMissingSources(content);
    await alice.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content }).expect(201);
    await step(alice, "submit");
    await step(priya, "start_review");

    const noMeaning = await step(priya, "approve", { password: DEMO_PASSWORD }, 400);
    expect(problemSchema.parse(noMeaning.body).errors).toEqual([{ field: "meaning", message: "choose one" }]);
    const since = await lastAuditId(database);
    const wrong = await step(priya, "approve", { password: "not-the-password", meaning: "Approved: medical accuracy" }, 403);
    expect(problemSchema.parse(wrong.body).detail).toMatch(/password is not correct/);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden"]);
    expect((await currentRevision(database)).revision.state).toBe("UNDER_REVIEW");

    const approved = transitionResultSchema.parse((await step(priya, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" })).body);
    expect(approved.article.currentRevision.state).toBe("APPROVED");
    const published = transitionResultSchema.parse((await step(sam, "publish")).body);
    expect(published.article.publishedRevision?.number).toBe(2);
    const signedEvent = await database.prisma.auditEvent.findFirstOrThrow({ where: { action: "workflow.approved" }, orderBy: { id: "desc" } });
    expect(signedEvent.actorEmail).toBe(demo.priya);
    expect(signedEvent.apiTokenId).not.toBeNull();
  });

  it("lists review comments with their replies", async () => {
    const priya = bearer(app, (await tokenFor(database, demo.priya)).token);
    const { article, revision } = await currentRevision(database);
    await priya.post(`/api/v1/editorial/articles/${article.id}/transitions/start_review`, { revisionId: revision.id, expectedState: "SUBMITTED" }).expect(200);
    await priya.post(`/api/v1/editorial/articles/${article.id}/transitions/request_changes`, { revisionId: revision.id, expectedState: "UNDER_REVIEW", comment: "Please cite the dosing." }).expect(200);
    const res = await priya.get(`/api/v1/editorial/articles/${article.id}/comments`).expect(200);
    const { threads } = commentsSchema.parse(res.body);
    expect(threads).toEqual([expect.objectContaining({ kind: "CHANGE_REQUEST", body: "Please cite the dosing.", author: "Dr. Priya Patel", revisionNumber: 1, replies: [] })]);
  });
});
