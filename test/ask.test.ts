// Instant answers from reviewed text: what may appear (only the public text of an article,
// as its page shows it), the /ask page and the API, and refusals.
import request from "supertest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import sharp from "sharp";
import { articleContent, auditEventsSince, contextOf, createTestApp, currentRevision, demo, lastAuditId, openSite, publishSeeded, reseedContent, SEEDED_SLUG, takeAs, type TestApp, type TestDatabase, userByEmail, visibleText } from "./support/index.js";
import { createArticle, findPublicArticle, saveRevision, updateArticleSettings, toContent, uploadImage } from "../src/services/editorial/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { contentForAudience, type RevisionContent } from "../src/content/revision-content.js";
import { answerQuestion, publicPassagesOf } from "../src/services/readers/index.js";
import { publicArticleView } from "../src/services/publishing/index.js";
import { askResultSchema } from "../src/api/ask.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite({ env: { ASK_RATE_LIMIT_PER_MINUTE: "1000" } })));
afterAll(() => database?.close());
beforeEach(() => reseedContent(database));

function content(overrides: Partial<Record<keyof RevisionContent, unknown>> = {}): RevisionContent {
  return articleContent({
    title: "Is quinine useful for nocturnal leg cramps?", summary: "Quinine is not recommended for routine leg cramps.",
    sections: [{ key: "evidence", depth: 1, heading: "Evidence", body: "- Quinine reduces cramp frequency modestly [@a]\n- Serious haematological harms are reported" }],
    references: [{ key: "a", type: "RESEARCH", title: "Quinine for muscle cramps", source: "Cochrane Database Syst Rev", year: 2015 }],
    ...overrides,
  });
}

/** Lines of Markdown a page shows for each part (summary = null), for comparing with passages. */
function linesByPart(c: RevisionContent) {
  const parts = new Map<string | null, Set<string>>();
  const add = (key: string | null, body: string) => parts.set(key, new Set(body.split("\n").map((l) => l.trim()).filter(Boolean)));
  add(null, c.summary);
  for (const s of c.sections) if (s.body.trim()) add(s.key, s.body);
  return parts;
}

/** The passages answers may use are exactly the text the public page shows (line for line, per section). */
async function expectPassagesMatchPublicPage(slug: string, audience: string | null = null) {
  const found = await findPublicArticle(database.prisma, slug);
  const passages = await publicPassagesOf(database.prisma, slug, audience);
  if (!found) return expect(passages).toEqual([]);
  expect(new Set(passages.map((p) => p.revision_id))).toEqual(new Set([found.revision.id]));
  const expected = linesByPart(contentForAudience(toContent(found.revision), audience).content);
  const actual = new Map<string | null, Set<string>>();
  for (const p of passages) {
    const set = actual.get(p.section_key) ?? new Set<string>();
    for (const line of p.body.split("\n")) if (line.trim()) set.add(line.trim());
    actual.set(p.section_key, set);
  }
  expect(actual).toEqual(expected);
}

describe("which text answers may use", () => {
  it("the seeded article, shown while pending review: its passages are exactly its public text, with the caution", async () => {
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    const result = await answerQuestion(database.prisma, "Does baclofen make you sleepy?");
    expect(result.status).toBe("answered");
    expect(result.answers[0]!.pendingReview).toBe(true);
    expect(result.answers[0]!.text).toContain("May cause significant sedation");
  });

  it("never uses a draft, a sent-back revision or an article not visible while pending; after publishing, only the live revision", async () => {
    // A draft-only article: nothing of it answers.
    await createArticle(database.prisma, systemContext("test"), { slug: "quinine-draft", content: content(), authorId: null });
    expect((await answerQuestion(database.prisma, "Is quinine useful for leg cramps?")).status).toBe("no-reviewed-answer");
    await expectPassagesMatchPublicPage("quinine-draft");

    // The seeded article, sent back by a reviewer: no longer public, so no longer an answer.
    await takeAs(database, demo.priya, "start_review");
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    await takeAs(database, demo.priya, "request_changes", { comment: "Please supply the missing sources." });
    expect(await findPublicArticle(database.prisma, SEEDED_SLUG)).toBeNull();
    expect(await publicPassagesOf(database.prisma, SEEDED_SLUG)).toEqual([]);
    expect((await answerQuestion(database.prisma, "Does baclofen make you sleepy?")).status).toBe("no-reviewed-answer");
  });

  it("publish, a newer draft, a new live revision, unpublish and the visibility setting each change the answers exactly as the page", async () => {
    // Published with a changed sentence: the live wording answers.
    await publishSeeded(database, (c) => {
      c.sections.find((s) => s.key === "skeletal-muscle-relaxants")!.body += "\n- **Orphenadrine:**\n  - Liveword orphenadrine is rarely used [@praxis-spastic-paraparesis-2025]";
    });
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    let result = await answerQuestion(database.prisma, "Is orphenadrine used?");
    expect(result.answers.map((a) => a.text).join(" ")).toContain("Liveword orphenadrine");
    expect(result.answers[0]!.pendingReview).toBe(false);
    expect(result.answers[0]!.reviewedBy[0]!.name).toContain("Priya");

    // A newer draft with words of its own: never an answer while the published revision is live.
    const alice = await userByEmail(database, "alice.editor@demo.test");
    const current = await currentRevision(database);
    const { article, content: c } = current;
    let { revision } = current;
    c.sections.find((s) => s.key === "skeletal-muscle-relaxants")!.body += "\n- **Carisoprodol:**\n  - Draftword carisoprodol is habit-forming";
    await saveRevision(database.prisma, contextOf(alice), alice, article.id, { baseRevisionId: revision.id, content: c, changeNote: "draft" });
    expect((await answerQuestion(database.prisma, "Is carisoprodol habit-forming?")).answers.map((a) => a.text).join(" ")).not.toContain("Draftword");
    await expectPassagesMatchPublicPage(SEEDED_SLUG);

    // That draft reviewed and published: the new live revision answers, the old one no more.
    await takeAs(database, demo.alice, "submit");
    await takeAs(database, demo.priya, "start_review");
    await takeAs(database, demo.priya, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" });
    await takeAs(database, demo.sam, "publish");
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    result = await answerQuestion(database.prisma, "Is carisoprodol habit-forming?");
    expect(result.answers.map((a) => a.text).join(" ")).toContain("Draftword carisoprodol");
    ({ revision } = await currentRevision(database));
    expect((await publicPassagesOf(database.prisma, SEEDED_SLUG)).every((p) => p.revision_id === revision.id)).toBe(true);

    // Unpublished: nothing of it answers (the article is not visible while pending with nothing submitted).
    await takeAs(database, demo.sam, "unpublish", { comment: "Withdrawn for correction." });
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    expect((await answerQuestion(database.prisma, "Is carisoprodol habit-forming?")).status).toBe("no-reviewed-answer");
  });

  it("turning 'visible while pending review' off removes a pending article's passages, turning it on brings them back", async () => {
    const sam = await userByEmail(database, "sam.admin@demo.test");
    const { article } = await currentRevision(database);
    const settings = (visible: boolean, version: number) =>
      updateArticleSettings(database.prisma, contextOf(sam), article.id, { version, slug: SEEDED_SLUG, visibleWhilePending: visible, approvalsRequired: 1, nextReviewDue: null });
    const before = await database.prisma.article.findUniqueOrThrow({ where: { id: article.id } });
    await settings(false, before.version);
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    expect(await publicPassagesOf(database.prisma, SEEDED_SLUG)).toEqual([]);
    expect((await answerQuestion(database.prisma, "Does baclofen make you sleepy?")).status).toBe("no-reviewed-answer");
    await settings(true, before.version + 1);
    await expectPassagesMatchPublicPage(SEEDED_SLUG);
    expect((await answerQuestion(database.prisma, "Does baclofen make you sleepy?")).status).toBe("answered");
  });
});

describe("what passages hold", () => {
  it("a figure's line ([[figure:key]]) is not a passage nor part of one: the text around it is", async () => {
    const alice = await userByEmail(database, "alice.editor@demo.test");
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "black" } }).png().toBuffer();
    const { hash } = await uploadImage(database.prisma, contextOf(alice), alice, png, { name: "chart.png", maxBytes: 1_000_000, via: "editor" });
    const { revision } = await createArticle(database.prisma, systemContext("test"), {
      slug: "quinine-with-figure", authorId: null,
      content: content({
        sections: [{ key: "evidence", depth: 1, heading: "Evidence", body: "Quinine reduces cramp frequency modestly [@a]\n\n[[figure:cramp-chart]]\n\nSerious haematological harms are reported" }],
        figures: [{ key: "cramp-chart", sectionKey: "evidence", image: hash, alt: "Cramps per week with quinine and placebo", caption: "Cramp frequency" }],
      }),
    });
    const bodies = (await database.prisma.answerPassage.findMany({ where: { revisionId: revision.id, sectionKey: "evidence" }, orderBy: { ordinal: "asc" } })).map((p) => p.body);
    expect(bodies).toEqual(["Quinine reduces cramp frequency modestly [@a]", "Serious haematological harms are reported"]);
  });
});

describe("what an answer says about its passage", () => {
  it("citations, reviewers and the last review are the article page's, as written and in an audience's version", async () => {
    await database.prisma.audience.upsert({ where: { slug: "patients" }, update: {}, create: { slug: "patients", name: "Patients", description: "People with spasms", schemaAudienceType: "Patient" } });
    await publishSeeded(database, (c) => {
      c.variants = [{ audience: "patients", sectionKey: "important-considerations", body: "- Baclofen can make you feel sleepy [@missing-source-5]" }];
    });
    const found = (await findPublicArticle(database.prisma, SEEDED_SLUG))!;
    for (const audience of [null, { slug: "patients", name: "Patients" }]) {
      const view = publicArticleView(found, audience);
      const result = await answerQuestion(database.prisma, "Does baclofen make you sleepy?", { audience: audience?.slug ?? null });
      expect(result.answers.length).toBeGreaterThan(0);
      for (const answer of result.answers) {
        expect(answer.reviewedBy).toEqual(view.reviewedBy.map((r) => ({ name: r.name, credentials: r.credentials, meaning: r.meaning, signedAt: r.signedAt.toISOString(), valid: r.valid })));
        expect(answer.reviewedBy.length).toBeGreaterThan(0);
        expect(answer.lastReviewed).toBe(view.lastReviewed?.toISOString() ?? null);
        for (const citation of answer.citations) {
          const ref = view.rendered.references.find((r) => r.number === citation.number)!;
          expect(ref, `reference ${citation.number} is on the page`).toBeDefined();
          expect(citation).toEqual({ number: ref.number, title: ref.detailsMissing ? null : ref.title, source: ref.detailsMissing ? null : ref.source, year: ref.detailsMissing ? null : ref.year });
        }
      }
      if (audience) expect(result.answers.map((a) => a.text).join(" ")).toContain("Baclofen can make you feel sleepy");
    }
  });
});

describe("the /ask page", () => {
  it("shows passages with their citations resolved, their section and article, the caution, and is private and noindex", async () => {
    const res = await request(app).get("/ask").query({ q: "Can dantrolene hurt my liver?", article: SEEDED_SLUG }).expect(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(res.headers["cache-control"]).toContain("no-store");
    expect(res.headers["x-robots-tag"]).toContain("noindex");
    expect(res.text).toContain('<meta name="robots" content="noindex, nofollow">');
    const text = visibleText(res.text);
    expect(text).toContain("Caution: Associated with rare serious hepatotoxicity");
    expect(text).toContain("Exercise caution as content is pending human review");
    expect(text).toContain("Was this answer helpful?");
    expect(res.text).toContain(`href="/articles/${SEEDED_SLUG}#section-skeletal-muscle-relaxants"`);
    // The citation number as on the article page, with the reference's details.
    const page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    const number = /Associated with rare serious hepatotoxicity <sup[^>]*><a href="#ref-(\d+)"/.exec(page.text)?.[1];
    expect(number).toBeDefined();
    expect(res.text).toContain(`href="/articles/${SEEDED_SLUG}#ref-${number}"`);
  });

  it("says plainly when no reviewed text answers, and offers to tell the reader", async () => {
    for (const q of ["What is the vaccine schedule for a two-year-old?", "What is the amoxicillin dose for an ear infection?"]) {
      const res = await request(app).get("/ask").query({ q }).expect(200);
      expect(visibleText(res.text)).toContain("No reviewed answer yet");
      expect(res.text).not.toContain('data-testid="ask-answer"');
      expect(res.text).toContain('action="/ask/notify"');
    }
  });

  it("the article page has the box (a GET form, no script) and the report link, and stays cacheable", async () => {
    const res = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(res.text).toContain("Have a follow-up question?");
    expect(res.text).toMatch(/<form method="get" action="\/ask"/);
    expect(res.text).toContain(`name="article" value="${SEEDED_SLUG}"`);
    expect(res.text).toContain(`/ask/report?article=${SEEDED_SLUG}`);
    expect(res.headers["cache-control"]).toContain("public");
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it("refuses bad questions with a sentence, keeps what was typed and stores nothing", async () => {
    const before = await database.prisma.readerQuestion.count();
    const cases: [string, RegExp][] = [
      ["", /Type your question/],
      ["x".repeat(301), /under 300 characters/],
      ["Is <b>baclofen</b> safe?", /plain text/],
      ["See https://example.com/baclofen is it right?", /leave out links/],
      ["Write to me at reader@example.org about baclofen", /leave out e-mail addresses/],
      ["Call me on +1 (555) 123-4567 about baclofen", /leave out phone numbers/],
    ];
    for (const [q, sentence] of cases) {
      const res = await request(app).get("/ask").query({ q }).expect(400);
      expect(visibleText(res.text)).toMatch(sentence);
      if (q) expect(res.text).toContain(`value="${q.slice(0, 40).replace(/</g, "&lt;").replace(/>/g, "&gt;")}`);
    }
    expect(await database.prisma.readerQuestion.count()).toBe(before);
  });

  it("counts a repeated question instead of storing it again, and groups wordings with the same terms", async () => {
    await request(app).get("/ask").query({ q: "Does baclofen make you sleepy?" }).expect(200);
    await request(app).get("/ask").query({ q: "does baclofen make you sleepy?" }).expect(200);
    await request(app).get("/ask").query({ q: "Baclofen: sleepy?" }).expect(200);
    const groups = await database.prisma.readerQuestionGroup.findMany({ where: { normalized: "baclofen sleepi" }, include: { questions: true } });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.timesAsked).toBe(3);
    expect(groups[0]!.timesAnswered).toBe(3);
    expect(groups[0]!.questions).toHaveLength(2);
    expect(groups[0]!.questions.find((q) => q.text === "Does baclofen make you sleepy?")!.timesAsked).toBe(2);
  });

  it("a flood from one address gets 429 with Retry-After and the queue stops growing", async () => {
    const limited = createTestApp(database, { ASK_RATE_LIMIT_PER_MINUTE: "3" }).app;
    for (let i = 0; i < 3; i++) await request(limited).get("/ask").query({ q: `Flood question number ${i} about tizanidine` }).expect(200);
    const count = await database.prisma.readerQuestion.count();
    const res = await request(limited).get("/ask").query({ q: "Flood question again about tizanidine" }).expect(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(visibleText(res.text)).toContain("Please wait");
    expect(res.text).toContain('value="Flood question again about tizanidine"');
    expect(await database.prisma.readerQuestion.count()).toBe(count);
    await request(limited).get("/api/v1/ask").query({ q: "Flood question through the API" }).expect(429);
    expect(await database.prisma.readerQuestion.count()).toBe(count);
  });

  it("shows the reader's audience version when one exists and the reader chose it", async () => {
    await database.prisma.audience.upsert({ where: { slug: "patients" }, update: {}, create: { slug: "patients", name: "Patients", description: "People with spasms", schemaAudienceType: "Patient" } });
    await publishSeeded(database, (c) => {
      c.variants = [{ audience: "patients", sectionKey: "important-considerations", body: "- Baclofen can make you feel sleepy, so take care when driving [@missing-source-5]" }];
    });
    await expectPassagesMatchPublicPage(SEEDED_SLUG, "patients");
    const forPatients = await request(app).get("/ask").query({ q: "Does baclofen make you sleepy when driving?", for: "patients" }).expect(200);
    expect(visibleText(forPatients.text)).toContain("Baclofen can make you feel sleepy, so take care when driving");
    const byCookie = await request(app).get("/ask").set("Cookie", "reader_audience=patients").query({ q: "Does baclofen make you sleepy when driving?" }).expect(200);
    expect(visibleText(byCookie.text)).toContain("take care when driving");
    const professional = await request(app).get("/ask").query({ q: "Does baclofen make you sleepy when driving?" }).expect(200);
    expect(visibleText(professional.text)).not.toContain("take care when driving");
  });
});

describe("GET /api/v1/ask", () => {
  it("returns the same answer as the page, in the documented shape", async () => {
    const res = await request(app).get("/api/v1/ask").query({ q: "What is the starting dose of tizanidine?" }).expect(200);
    expect(res.headers["cache-control"]).toContain("no-store");
    const body = askResultSchema.parse(res.body);
    expect(body.status).toBe("answered");
    const answer = body.answers.find((a) => a.text.includes("Start at low dose (2-4mg)"))!;
    expect(answer.section.url).toBe(`/articles/${SEEDED_SLUG}#section-skeletal-muscle-relaxants`);
    expect(answer.citations[0]).toMatchObject({ title: expect.any(String), year: expect.any(Number) });
    expect(answer.pendingReview).toBe(true);
    const none = askResultSchema.parse((await request(app).get("/api/v1/ask").query({ q: "Can I get the flu shot while pregnant?" }).expect(200)).body);
    expect(none).toEqual({ question: "Can I get the flu shot while pregnant?", status: "no-reviewed-answer", answers: [] });
    const refused = await request(app).get("/api/v1/ask").query({ q: "mail me at someone@example.org" }).expect(400);
    expect(JSON.stringify(refused.body)).toContain("e-mail addresses");
    const doc = (await request(app).get("/api/openapi.json").expect(200)).body as { paths: Record<string, unknown> };
    expect(doc.paths["/api/v1/ask"]).toBeDefined();
  });

  it("answers in exactly the documented shape (question, status, answers with article, section, text, citations, reviewers, dates), which OpenAPI describes", async () => {
    await publishSeeded(database);
    const doc = (await request(app).get("/api/openapi.json").expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...doc, $id: "openapi.json" });
    const validate = ajv.getSchema("openapi.json#/paths/~1api~1v1~1ask/get/responses/200/content/application~1json/schema")!;
    expect(validate).toBeTruthy();
    // The schema names every field of the shape, all required, and no others.
    const schema = validate.schema as { properties: Record<string, { enum?: string[]; items?: { properties: Record<string, { items?: { properties: object } }>; required: string[] } }>; required: string[] };
    expect(Object.keys(schema.properties).sort()).toEqual(["answers", "question", "status"]);
    expect(schema.properties.status!.enum).toEqual(["answered", "no-reviewed-answer"]);
    const answerSchema = schema.properties.answers!.items!;
    const answerFields = ["article", "citations", "lastReviewed", "pendingReview", "reviewedBy", "section", "text"];
    expect(Object.keys(answerSchema.properties).sort()).toEqual(answerFields);
    expect([...answerSchema.required].sort()).toEqual(answerFields);
    expect(Object.keys(answerSchema.properties.citations!.items!.properties).sort()).toEqual(["number", "source", "title", "year"]);

    const answered = (await request(app).get("/api/v1/ask").query({ q: "Does baclofen make you sleepy?" }).expect(200)).body as {
      question: string; status: string; answers: Record<string, unknown>[];
    };
    expect(validate(answered), JSON.stringify(validate.errors)).toBe(true);
    expect(Object.keys(answered).sort()).toEqual(["answers", "question", "status"]);
    expect(answered).toMatchObject({ question: "Does baclofen make you sleepy?", status: "answered" });
    for (const answer of answered.answers) expect(Object.keys(answer).sort()).toEqual(answerFields);
    const first = answered.answers[0] as { article: { slug: string; url: string }; section: { url: string }; citations: { number: number }[]; reviewedBy: { name: string; valid: boolean }[]; lastReviewed: string; pendingReview: boolean };
    expect(first.article).toMatchObject({ slug: SEEDED_SLUG, url: `/articles/${SEEDED_SLUG}` });
    expect(first.section.url).toMatch(new RegExp(`^/articles/${SEEDED_SLUG}#section-`));
    expect(first.citations.length).toBeGreaterThan(0);
    expect(first.reviewedBy).toEqual([expect.objectContaining({ name: expect.stringContaining("Priya"), valid: true })]);
    expect(new Date(first.lastReviewed).toISOString()).toBe(first.lastReviewed);
    expect(first.pendingReview).toBe(false);

    const none = (await request(app).get("/api/v1/ask").query({ q: "What is the vaccine schedule for a two-year-old?" }).expect(200)).body;
    expect(validate(none), JSON.stringify(validate.errors)).toBe(true);
    expect(none).toEqual({ question: "What is the vaccine schedule for a two-year-old?", status: "no-reviewed-answer", answers: [] });
  });

  it("changes nothing in the audit trail when readers ask", async () => {
    const since = await lastAuditId(database);
    await request(app).get("/ask").query({ q: "Does botox help with spasms?" }).expect(200);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });
});
