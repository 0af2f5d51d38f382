// What readers see: search covers exactly what the public pages show, audience versions
// keep the professional page's reference numbers and have their own disclaimer and footer,
// and preview links show every audience version.
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSeededDatabase, reseedContent, resetContent, type TestDatabase } from "./helpers/database.js";
import { createTestApp } from "./helpers/app.js";
import { visibleText } from "./helpers/html.js";
import { createArticle, findPublicArticle } from "../src/services/articles.js";
import { insertRevision } from "../src/services/revisions.js";
import { systemContext } from "../src/audit/audit-log.js";
import { revisionContentSchema, type RevisionContent } from "../src/content/revision-content.js";
import { searchPublished } from "../src/services/search.js";
import type { RevisionState } from "../src/generated/prisma/client.js";

let database: TestDatabase;
let app: ReturnType<typeof createTestApp>["app"];

beforeAll(async () => {
  database = await createSeededDatabase();
  app = createTestApp(database).app;
});
afterAll(() => database?.close());

function content(word: string, overrides: Partial<Record<keyof RevisionContent, unknown>> = {}): RevisionContent {
  return revisionContentSchema.parse({
    title: "Is this a plain question?", summaryHeading: "Summary", summary: `An ordinary summary about ${word}.`, lastUpdated: "2026-01-02",
    disclaimerHeading: "Disclaimer", disclaimer: "For professionals.",
    sections: [{ key: "one", depth: 1, heading: "Background", body: "Ordinary body text." }],
    references: [],
    ...overrides,
  });
}

/** An article whose revisions are in the given states, revision n mentioning `${word}${n}`. */
async function articleWith(slug: string, word: string, states: RevisionState[], options: { visibleWhilePending: boolean; publish?: number }) {
  const { article } = await createArticle(database.prisma, systemContext("test"), {
    slug, content: content(`${word}1`), authorId: null, initialState: states[0], visibleWhilePending: options.visibleWhilePending,
  });
  let currentId = (await database.prisma.article.findUniqueOrThrow({ where: { id: article.id } })).currentRevisionId!;
  for (let n = 2; n <= states.length; n++) {
    currentId = await database.prisma.$transaction(async (tx) => {
      const r = await insertRevision(tx, { articleId: article.id, number: n, state: states[n - 1]!, content: content(`${word}${n}`), authorId: null, basedOnId: currentId, changeNote: null });
      await tx.article.update({ where: { id: article.id }, data: { currentRevisionId: r.id } });
      return r.id;
    });
  }
  if (options.publish) {
    const r = await database.prisma.revision.findFirstOrThrow({ where: { articleId: article.id, number: options.publish } });
    await database.prisma.revision.update({ where: { id: r.id }, data: { publishedAt: new Date() } });
    await database.prisma.article.update({ where: { id: article.id }, data: { publishedRevisionId: r.id } });
  }
}

describe("public search covers exactly what the public can read", () => {
  beforeEach(() => reseedContent(database));

  it("finds the seeded article, visible while pending, on the page and through the API, marked pending", async () => {
    const page = await request(app).get("/search?q=tizanidine");
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).not.toContain("Nothing matches");
    expect(page.text).toContain('href="/articles/treatment-options-for-muscle-spasms"');
    expect(text).toContain("Exercise caution as content is pending human review");
    const api = await request(app).get("/api/v1/search?q=tizanidine");
    expect(api.status).toBe(200);
    expect(api.body.results).toHaveLength(1);
    expect(api.body.results[0]).toMatchObject({ slug: "treatment-options-for-muscle-spasms", pendingReview: true });
  });

  it("agrees with the public article page for every combination of states, and never finds other text", async () => {
    await resetContent(database);
    const cases: [string, RevisionState[], { visibleWhilePending: boolean; publish?: number }][] = [
      ["pending-shown", ["SUBMITTED"], { visibleWhilePending: true }],
      ["pending-hidden", ["SUBMITTED"], { visibleWhilePending: false }],
      ["draft-only", ["DRAFT"], { visibleWhilePending: true }],
      ["sent-back", ["CHANGES_REQUESTED"], { visibleWhilePending: true }],
      ["resubmitted", ["CHANGES_REQUESTED", "UNDER_REVIEW"], { visibleWhilePending: true }],
      ["approved-unpublished", ["APPROVED"], { visibleWhilePending: true }],
      ["draft-after-pending", ["SUBMITTED", "DRAFT"], { visibleWhilePending: true }],
      ["published-then-pending", ["APPROVED", "SUBMITTED"], { visibleWhilePending: true, publish: 1 }],
      ["published-then-draft", ["APPROVED", "DRAFT"], { visibleWhilePending: false, publish: 1 }],
    ];
    for (const [slug, states, options] of cases) await articleWith(slug, slug.replace(/-/g, ""), states, options);
    for (const [slug, states, options] of cases) {
      const word = slug.replace(/-/g, "");
      const shown = await findPublicArticle(database.prisma, slug);
      for (let n = 1; n <= states.length; n++) {
        const hits = await searchPublished(database.prisma, `${word}${n}`);
        const expected = shown?.revision.number === n;
        expect(hits.map((h) => h.slug), `${slug} revision ${n} (${states[n - 1]}, ${JSON.stringify(options)})`).toEqual(expected ? [slug] : []);
        if (expected) expect(hits[0]!.pendingReview).toBe(shown!.pendingReview);
      }
    }
    // Spot checks of the definition itself.
    expect((await searchPublished(database.prisma, "pendingshown1"))[0]!.pendingReview).toBe(true);
    expect(await searchPublished(database.prisma, "resubmitted1")).toEqual([]);
    expect((await searchPublished(database.prisma, "resubmitted2"))[0]!.pendingReview).toBe(true);
    expect((await searchPublished(database.prisma, "publishedthenpending1"))[0]!.pendingReview).toBe(false);
  });
});
