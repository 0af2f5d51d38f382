import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { articleContent, bearer, contextOf, demo, openSite, resetContent, signedInAgent, type TestApp, type TestDatabase, tokenFor, userByEmail, visibleText } from "./support/index.js";
import { createArticle, saveRevision } from "../src/services/editorial/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { type RevisionContent } from "../src/content/revision-content.js";
import { searchAllRevisions, searchPublished, snippetParts } from "../src/services/readers/index.js";
import { openScratchDatabase } from "../src/db/scratch.js";
import { seedDatabase } from "../src/services/seed.js";
import { searchResultsSchema } from "../src/api/schemas.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
beforeEach(() => resetContent(database));

function content(overrides: Partial<Record<keyof RevisionContent, unknown>> = {}): RevisionContent {
  return articleContent({
    title: "Is this a plain question?", summary: "An ordinary summary.",
    sections: [{ key: "one", depth: 1, heading: "Background", body: "Ordinary body text." }],
    references: [{ key: "a", type: "RESEARCH", title: "An ordinary study", source: "A journal", year: 2020, doi: "10.1000/xyz123", pmid: "31415926" }],
    ...overrides,
  });
}

/** Creates an article and publishes its first revision directly (the workflow is tested elsewhere). */
async function published(slug: string, c: RevisionContent) {
  const { article, revision } = await createArticle(database.prisma, systemContext("test"), { slug, content: c, authorId: null });
  await database.prisma.revision.update({ where: { id: revision.id }, data: { state: "APPROVED", publishedAt: new Date() } });
  await database.prisma.article.update({ where: { id: article.id }, data: { publishedRevisionId: revision.id } });
  return { article, revision };
}

describe("search", () => {
  it("ranks a match in the title above one in a heading above one in the body", async () => {
    await published("in-body", content({ sections: [{ key: "one", depth: 1, heading: "Background", body: "Baclofen is mentioned here once." }] }));
    await published("in-title", content({ title: "When is baclofen the right choice?" }));
    await published("in-heading", content({ sections: [{ key: "one", depth: 1, heading: "Baclofen dosing", body: "Start low." }] }));
    await published("no-match", content());
    const hits = await searchPublished(database.prisma, "baclofen");
    expect(hits.map((h) => h.slug)).toEqual(["in-title", "in-heading", "in-body"]);
    expect(hits[0]!.rank).toBeGreaterThan(hits[1]!.rank);
    expect(hits[1]!.rank).toBeGreaterThan(hits[2]!.rank);
    expect(hits[2]!.snippetHtml).toContain("<mark>Baclofen</mark>");
  });

  it("never shows the public a draft's words, on the page or through the API; staff find them", async () => {
    const { article, revision } = await published("live-article", content({ summary: "The live wording about cyclobenzaprine." }));
    await createArticle(database.prisma, systemContext("test"), { slug: "draft-only", content: content({ summary: "Unreleased quetiapinezz notes." }), authorId: null });
    const alice = await userByEmail(database, demo.alice);
    const draft = content({ summary: "The live wording about cyclobenzaprine, plus secret zolmitriptanx text." });
    await saveRevision(database.prisma, contextOf(alice), alice, article.id, { baseRevisionId: revision.id, content: draft, changeNote: null });

    for (const word of ["zolmitriptanx", "quetiapinezz"]) {
      expect(await searchPublished(database.prisma, word)).toEqual([]);
      const page = await request(app).get(`/search?q=${word}`).expect(200);
      expect(visibleText(page.text)).toContain(`Nothing matches “${word}” in the articles open to readers`);
      const api = searchResultsSchema.parse((await request(app).get(`/api/v1/search?q=${word}`).expect(200)).body);
      expect(api).toEqual({ query: word, scope: "public", results: [] });
    }
    expect((await searchPublished(database.prisma, "cyclobenzaprine")).map((h) => h.slug)).toEqual(["live-article"]);

    const staff = await searchAllRevisions(database.prisma, "zolmitriptanx");
    expect(staff.map((h) => [h.slug, h.revisionNumber, h.state])).toEqual([["live-article", 2, "DRAFT"]]);
    const agent = await signedInAgent(app, demo.priya);
    const staffPage = await agent.get("/editor/search?q=quetiapinezz").expect(200);
    expect(visibleText(staffPage.text)).toContain("Revision 1 · Draft");
    const { token } = await tokenFor(database, demo.priya, ["read"]);
    const viaApi = searchResultsSchema.parse((await bearer(app, token).get("/api/v1/search?q=zolmitriptanx").expect(200)).body);
    expect(viaApi.scope).toBe("staff");
    expect(viaApi.results.map((r) => r.slug)).toEqual(["live-article"]);
    // Staff search is for signed-in people only.
    await request(app).get("/editor/search?q=zolmitriptanx").expect(303);
  });

  it("finds published articles by their references' titles", async () => {
    await published("cites-a-trial", content({ references: [{ key: "a", type: "RESEARCH", title: "The Xylazinex randomised trial", source: "A journal", year: 2021 }] }));
    expect((await searchPublished(database.prisma, "xylazinex")).map((h) => h.slug)).toEqual(["cites-a-trial"]);
  });

  it("lets staff look references up by DOI or PMID", async () => {
    await published("has-ids", content());
    for (const q of ["10.1000/XYZ123", "doi:10.1000/xyz123", "https://doi.org/10.1000/xyz123", "31415926", "PMID: 31415926"]) {
      const hits = await searchAllRevisions(database.prisma, q);
      expect(hits.map((h) => h.slug), q).toEqual(["has-ids"]);
      expect(hits[0]!.matchedReference).toMatch(/xyz123|31415926/i);
    }
    expect(await searchAllRevisions(database.prisma, "10.1000/other")).toEqual([]);
  });

  it("escapes article text in snippets and highlights only the matches", async () => {
    await published("markup", content({ sections: [{ key: "one", depth: 1, heading: "Background", body: "Carisoprodol <script>alert(1)</script> & more." }] }));
    const res = await request(app).get("/search?q=carisoprodol").expect(200);
    expect(res.text).not.toContain("<script>alert(1)");
    expect(res.text).toMatch(/<p class="snippet">[^<]*<mark>Carisoprodol<\/mark>[^<]*&amp; more/);
    // Whatever the headline holds, only the match markers become markup.
    expect(snippetParts("a <b>x</b> \u0002dose\u0003 & \"q\"")).toEqual({
      snippet: 'a <b>x</b> dose & "q"',
      snippetHtml: "a &lt;b&gt;x&lt;/b&gt; <mark>dose</mark> &amp; &quot;q&quot;",
    });
  });

  it("quotes the part that holds the words: far into a long article, in a heading, in the references; a title match shows the opening", async () => {
    const filler = Array.from({ length: 350 }, (_, i) => `word${i % 50}`).join(" "); // 2,000 characters a section
    await published("long-article", content({
      title: "Is the tolperisonex question answered here?",
      summary: "An ordinary summary.",
      sections: [
        { key: "one", depth: 1, heading: "Background", body: filler },
        { key: "two", depth: 1, heading: "Eperisonex in practice", body: `More text. ${filler}` },
        { key: "three", depth: 1, heading: "Dosing", body: `${filler} Then dantrolenez is started at a low dose.` },
      ],
      references: [{ key: "a", type: "RESEARCH", title: "The Chlorzoxazonex trial", source: "A journal", year: 2020 }],
    }));
    for (const search of [searchPublished, searchAllRevisions]) {
      const [body] = await search(database.prisma, "dantrolenez dose");
      expect(body!.snippetHtml).toMatch(/<mark>dantrolenez<\/mark> is started at a low <mark>dose<\/mark>/);
      const [heading] = await search(database.prisma, "eperisonex");
      expect(heading!.snippetHtml).toContain("<mark>Eperisonex</mark> in practice");
      const [reference] = await search(database.prisma, "chlorzoxazonex");
      expect(reference!.snippetHtml).toContain("<mark>Chlorzoxazonex</mark> trial");
      const [title] = await search(database.prisma, "tolperisonex");
      expect(title!.snippet).toMatch(/^An ordinary summary\. word0 word1/);
    }
  });

  it("answers odd queries calmly: stop words find nothing, overlong queries are refused with 400, and nothing is a 500", async () => {
    await published("plain", content());
    expect((await request(app).get("/search?q=the%20and%20of").expect(200)).text).toContain("Nothing matches");
    const long = await request(app).get(`/search?q=${"a".repeat(201)}`).expect(400);
    expect(visibleText(long.text)).toContain("must be at most 200 characters");
    for (const q of ["!!!", "\"unterminated", "a & | ! <->", "-", "or or or", "%27%3B--", "a:*"]) {
      await request(app).get(`/search?q=${encodeURIComponent(q)}`).expect(200);
      await request(app).get(`/api/v1/search?q=${encodeURIComponent(q)}`).expect(200);
    }
    await request(app).get("/search?q=x&q=y").expect(400);
    await request(app).get("/search").expect(200);
  });

  it("still ranks a title match first when the word is in the bodies of hundreds of articles", async () => {
    // 450 published articles mentioning the word once in their body, more than the ranking cap.
    await database.pool.query(`
      BEGIN;
      INSERT INTO article (id, slug, visible_while_pending, approvals_required, version)
        SELECT md5('a' || i)::uuid, 'body-' || i, false, 1, 0 FROM generate_series(1, 450) i;
      INSERT INTO revision (id, article_id, number, state, title, summary_heading, summary, disclaimer_heading, disclaimer, last_updated, content_hash, published_at)
        SELECT md5('r' || i)::uuid, md5('a' || i)::uuid, 1, 'APPROVED', 'Question ' || i || '?', 'Summary', 'Some text about methocarbamol and other things.',
               'Disclaimer', 'For professionals.', current_date, 'x', now() FROM generate_series(1, 450) i;
      UPDATE article SET current_revision_id = md5('r' || substr(slug, 6))::uuid, published_revision_id = md5('r' || substr(slug, 6))::uuid WHERE slug LIKE 'body-%';
      COMMIT;`);
    await published("in-title", content({ title: "When is methocarbamol the right choice?" }));
    const hits = await searchPublished(database.prisma, "methocarbamol");
    expect(hits).toHaveLength(10);
    expect(hits[0]!.slug).toBe("in-title");
    expect(hits.slice(1).every((h) => h.slug.startsWith("body-"))).toBe(true);
  });

  it("works on the embedded database too", async () => {
    const embedded = await openScratchDatabase(undefined);
    try {
      await seedDatabase(embedded.prisma, { demoUsers: false });
      // The seeded article is pending review and visible while pending: the public reads it, so finds it, marked pending.
      const publicHits = await searchPublished(embedded.prisma, "tizanidine");
      expect(publicHits.map((h) => [h.slug, h.pendingReview])).toEqual([["treatment-options-for-muscle-spasms", true]]);
      const hits = await searchAllRevisions(embedded.prisma, "tizanidine spasticity");
      expect(hits.map((h) => h.slug)).toEqual(["treatment-options-for-muscle-spasms"]);
      expect(hits[0]!.snippetHtml).toContain("<mark>");
    } finally {
      await embedded.close();
    }
  });
});
