import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, contextOf, createTestApp, currentRevision, openSite, publishSeeded, reseedContent, SEEDED_SLUG, type TestApp, type TestDatabase, tokenFor, userByEmail } from "./support/index.js";
import { articleDetailSchema, articleListSchema, problemSchema } from "../src/api/schemas.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

describe("public read API", () => {
  it("lists no article while nothing is published, and shows the pending article by slug with pendingReview, as the page does", async () => {
    await reseedContent(database);
    const list = await request(app).get("/api/v1/articles").expect(200);
    expect(articleListSchema.parse(list.body).articles).toEqual([]);
    const detail = await request(app).get(`/api/v1/articles/${SEEDED_SLUG}`).expect(200);
    const article = articleDetailSchema.parse(detail.body);
    expect(article.pendingReview).toBe(true);
    expect(article.publishedAt).toBeNull();
  });

  it("serves the published revision as structured data with reviewers and review dates", async () => {
    await reseedContent(database);
    await publishSeeded(database, (c) => {
      c.summary = `${c.summary} Published wording.`;
    });
    const res = await request(app).get(`/api/v1/articles/${SEEDED_SLUG}`).expect(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const article = articleDetailSchema.parse(res.body);
    expect(article.pendingReview).toBe(false);
    expect(article.summary.markdown).toContain("Published wording.");
    expect(article.summary.html).toContain("<p>");
    expect(article.sections.length).toBeGreaterThan(3);
    expect(article.sections.some((s) => /<(ul|p)>/.test(s.html))).toBe(true);
    expect(article.references.some((r) => r.type === "GUIDELINE" || r.type === "RESEARCH")).toBe(true);
    expect(article.citations.map((c) => c.number)).toEqual(article.citations.map((_, i) => i + 1));
    expect(article.reviewers).toEqual([expect.objectContaining({ name: "Dr. Priya Patel", signatureValid: true, meaning: "Approved: medical accuracy" })]);
    expect(article.lastReviewed).not.toBeNull();
    expect(article.nextReviewDue).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(article.audienceVersions).toEqual([]);

    const list = articleListSchema.parse((await request(app).get("/api/v1/articles").expect(200)).body);
    expect(list.articles.map((a) => a.slug)).toEqual([SEEDED_SLUG]);
    expect(list.articles[0]!.reviewers[0]!.name).toBe("Dr. Priya Patel");
  });

  it("never shows a newer draft's words: the published revision stays what the API serves", async () => {
    const { article, revision, content } = await currentRevision(database);
    expect(article.publishedRevisionId).toBe(revision.id);
    const { saveRevision } = await import("../src/services/editorial/editing.js");
    const alice = await userByEmail(database, "alice.editor@demo.test");
    content.summary = `${content.summary} Zanzibarian draft wording.`;
    await saveRevision(database.prisma, contextOf(alice), alice, article.id, { baseRevisionId: revision.id, content, changeNote: null });
    const res = await request(app).get(`/api/v1/articles/${SEEDED_SLUG}`).expect(200);
    expect(JSON.stringify(res.body)).not.toContain("Zanzibarian");
  });

  it("answers 304 to a matching If-None-Match and changes its ETag when a new revision is published", async () => {
    await reseedContent(database);
    await publishSeeded(database);
    const first = await request(app).get(`/api/v1/articles/${SEEDED_SLUG}`).expect(200);
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    expect(first.headers["cache-control"]).toBe("public, no-cache");
    await request(app).get(`/api/v1/articles/${SEEDED_SLUG}`).set("If-None-Match", etag).expect(304);

    await publishSeeded(database, (c) => {
      c.summary = `${c.summary} Second edition.`;
    });
    const after = await request(app).get(`/api/v1/articles/${SEEDED_SLUG}`).set("If-None-Match", etag).expect(200);
    expect(after.headers.etag).not.toBe(etag);
    expect(after.body.summary.markdown).toContain("Second edition.");
  });

  it("pages the list with a keyset cursor", async () => {
    await reseedContent(database);
    await publishSeeded(database);
    const { createArticle } = await import("../src/services/editorial/articles.js");
    const { systemContext } = await import("../src/audit/audit-log.js");
    const { content } = await currentRevision(database);
    // Two more published articles, straight through the services.
    for (const slug of ["second-article", "third-article"]) {
      const { article } = await createArticle(database.prisma, systemContext("test"), { slug, content: { ...content, title: `Question ${slug}?` }, authorId: null });
      await database.prisma.$transaction(async (tx) => {
        const rev = await tx.revision.findFirstOrThrow({ where: { articleId: article.id } });
        await tx.revision.update({ where: { id: rev.id }, data: { state: "APPROVED", publishedAt: new Date() } });
        await tx.article.update({ where: { id: article.id }, data: { publishedRevisionId: rev.id } });
      });
    }
    const page1 = articleListSchema.parse((await request(app).get("/api/v1/articles?limit=2").expect(200)).body);
    expect(page1.articles.map((a) => a.slug)).toEqual(["third-article", "second-article"]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = articleListSchema.parse((await request(app).get(page1.links.next!).expect(200)).body);
    expect(page2.articles.map((a) => a.slug)).toEqual([SEEDED_SLUG]);
    expect(page2.nextCursor).toBeNull();
  });
});

describe("problem details", () => {
  it("answers an unknown article with a 404 problem", async () => {
    const res = await request(app).get("/api/v1/articles/no-such-article").expect(404);
    expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
    const problem = problemSchema.parse(res.body);
    expect(problem).toMatchObject({ status: 404, title: "Not found", instance: "/api/v1/articles/no-such-article", type: "/api/docs#problem-not-found" });
  });

  it("answers hostile and malformed input with 400 problems naming the fields, never a 500", async () => {
    const cases = [
      request(app).get("/api/v1/articles?limit=100000"),
      request(app).get("/api/v1/articles?limit=abc"),
      request(app).get("/api/v1/articles?after=not-a-cursor"),
      request(app).get("/api/v1/articles?limit=1&limit=2"),
      request(app).get(`/api/v1/search?q=${"x".repeat(500)}`),
      request(app).get("/api/v1/search"),
      request(app).get("/api/v1/search?q=%00"),
      request(app).post("/api/v1/editorial/imports").set("Content-Type", "application/json").send('{"format": '),
    ];
    for (const pending of cases) {
      const res = await pending;
      expect(res.status, `${pending.url}: ${JSON.stringify(res.body)}`).toBe(400);
      const problem = problemSchema.parse(res.body);
      expect(problem.status).toBe(400);
      expect(problem.detail.length).toBeGreaterThan(10);
    }
    const hostileBodies: [string, string][] = [
      ["NUL character", '{"format": "a\\u0000b"}'],
      ["oversized body", JSON.stringify({ format: "x".repeat(3 * 1024 * 1024) })],
      ["deep nesting", "[".repeat(5000) + "]".repeat(5000)],
      ["prototype keys", '{"__proto__": {"admin": true}, "constructor": {"prototype": {}}}'],
      ["not JSON at all", "<xml/>"],
    ];
    for (const [label, raw] of hostileBodies) {
      const res = await request(app).post("/api/v1/editorial/imports").set("Content-Type", "application/json").send(raw);
      // No token: refused before anything is read (401), or the body itself is refused (400); never a 500.
      expect([400, 401], `${label}: ${res.status}`).toContain(res.status);
      expect(problemSchema.parse(res.body).status).toBe(res.status);
    }
    const limit = problemSchema.parse((await request(app).get("/api/v1/articles?limit=100000")).body);
    expect(limit.errors).toEqual([{ field: "limit", message: "must be at most 100" }]);
  });

  it("answers an unknown API address with a 404 problem, not the HTML page", async () => {
    const res = await request(app).get("/api/v2/whatever").expect(404);
    expect(problemSchema.parse(res.body).detail).toContain("/api/docs");
  });

  it("limits requests per caller with 429 and Retry-After", async () => {
    const limited = createTestApp(database, { API_RATE_LIMIT_PER_MINUTE: "3" }).app;
    for (let i = 0; i < 3; i++) await request(limited).get("/api/v1/articles").expect(200);
    const res = await request(limited).get("/api/v1/articles").expect(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(problemSchema.parse(res.body).status).toBe(429);
    // Each token has its own allowance.
    const perToken = createTestApp(database, { API_RATE_LIMIT_PER_MINUTE: "2" }).app;
    const [first, second] = [await tokenFor(database, "alice.editor@demo.test", ["read"]), await tokenFor(database, "ben.editor@demo.test", ["read"])];
    for (let i = 0; i < 2; i++) await bearer(perToken, first.token).get("/api/v1/articles").expect(200);
    await bearer(perToken, first.token).get("/api/v1/articles").expect(429);
    await bearer(perToken, second.token).get("/api/v1/articles").expect(200);
    // Made-up tokens are throttled per address as well.
    const guesses = createTestApp(database, { API_RATE_LIMIT_PER_MINUTE: "2" }).app;
    for (let i = 0; i < 2; i++) await request(guesses).get("/api/v1/articles").set("Authorization", `Bearer cat_guess${i}`).expect(401);
    await request(guesses).get("/api/v1/articles").set("Authorization", "Bearer cat_guess3").expect(429);
  });
});
