// What readers see: search covers exactly what the public pages show, audience versions
// keep the professional page's reference numbers and have their own disclaimer and footer,
// and preview links show every audience version.
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { articleContent, contextOf, currentRevision, demo, editForm, formBody, openSite, reseedContent, resetContent, signedInAgent, type TestApp, testConfig, type TestDatabase, userByEmail, visibleText } from "./support/index.js";
import { createArticle, findPublicArticle, insertRevision, checkCitations, compareRevisions } from "../src/services/editorial/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { DISCLAIMER_PART, READER_DISCLAIMER_DEFAULT, contentHash, revisionContentSchema, type RevisionContent } from "../src/content/revision-content.js";
import { createPreviewLink, previewPath } from "../src/services/publishing/index.js";
import { searchPublished } from "../src/services/readers/index.js";
import type { RevisionState } from "../src/generated/prisma/client.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

function content(word: string, overrides: Partial<Record<keyof RevisionContent, unknown>> = {}): RevisionContent {
  return articleContent({
    title: "Is this a plain question?", summary: `An ordinary summary about ${word}.`,
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

// ---- audience versions: one content with references cited in different orders per version.
const REF = (key: string, title: string) => ({ key, type: "RESEARCH", title, source: "A journal", year: 2020 });
const VERSIONED_SLUG = "versioned-article";
function versionedContent(variants: { audience: string; sectionKey: string | null; body: string }[]) {
  return revisionContentSchema.parse({
    title: "Which treatment helps most?", summaryHeading: "Summary", summary: "Start with option A [@alpha].", lastUpdated: "2026-01-02",
    disclaimerHeading: "Professional Medical Disclaimer",
    disclaimer: "This information is intended for healthcare professionals. Any medical decision-making should rely on clinical judgment.",
    sections: [{ key: "options", depth: 1, heading: "Options", body: "Option B [@bravo] and option C [@charlie]." }],
    references: [REF("alpha", "Alpha trial"), REF("bravo", "Bravo trial"), REF("charlie", "Charlie trial"), REF("delta", "Delta trial"), REF("echo", "Echo survey")],
    variants,
  });
}
const PATIENT_PARTS = [
  { audience: "patients", sectionKey: null, body: "Your clinician may suggest option C first [@charlie]." },
  { audience: "patients", sectionKey: "options", body: "Option B helps many people [@bravo]; a newer study agrees [@delta]." },
];

async function versionedArticle(variants = PATIENT_PARTS) {
  await createArticle(database.prisma, systemContext("test"), {
    slug: VERSIONED_SLUG, content: versionedContent(variants), authorId: null, initialState: "SUBMITTED", visibleWhilePending: true,
  });
}

/** Reference number → title, as listed on a page. */
function listedReferences(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<li id="ref-(\d+)" value="\d+"[^>]*>[\s\S]*?<span class="ref-title">([^<]*)<\/span>/g)) out[m[1]!] = m[2]!;
  return out;
}

describe("reference numbers are the revision's, the same on every version", () => {
  beforeEach(async () => {
    await resetContent(database);
    await versionedArticle();
  });

  it("numbers the patient page's citations and list as on the professional page, without alarming readers", async () => {
    const professional = await request(app).get(`/articles/${VERSIONED_SLUG}`).expect(200);
    const patient = await request(app).get(`/articles/${VERSIONED_SLUG}?for=patients`).expect(200);
    // Professional text first (alpha 1, bravo 2, charlie 3), then what only a version cites (delta 4).
    const numbers = { 1: "Alpha trial", 2: "Bravo trial", 3: "Charlie trial", 4: "Delta trial" };
    expect(listedReferences(professional.text)).toEqual(numbers);
    expect(listedReferences(patient.text)).toEqual(numbers);
    // The patient text cites charlie first: it is still [3], not [1].
    expect(patient.text).toContain('option C first <sup class="cite"><a href="#ref-3" aria-label="Reference 3">3</a></sup>');
    expect(patient.text).toContain('a newer study agrees <sup class="cite"><a href="#ref-4" aria-label="Reference 4">4</a></sup>');
    for (const page of [professional, patient]) {
      const text = visibleText(page.text);
      expect(text).not.toContain("not cited in the text");
      // Cited nowhere: listed, unnumbered, after the numbered list.
      expect(text).toContain("Further sources consulted: Research Echo survey");
    }
  });

  it("keeps the citation-check note on staff pages", async () => {
    const agent = await signedInAgent(app, demo.alice);
    const article = await database.prisma.article.findUniqueOrThrow({ where: { slug: VERSIONED_SLUG } });
    const staff = await agent.get(`/editor/articles/${article.id}/revisions/1`).expect(200);
    expect(visibleText(staff.text)).toContain("Echo survey");
    expect(visibleText(staff.text)).toContain("(not cited in the text)");
  });
});

describe("the disclaimer and the footer follow the audience", () => {
  beforeEach(() => resetContent(database));

  it("keeps the content hash of revisions without a disclaimer version, and hashes one that has it", () => {
    // Computed before disclaimer versions existed: signatures made then must still verify.
    expect(contentHash(versionedContent(PATIENT_PARTS))).toBe("50aa7bee86ca5278c0bf9d566fa59ea90d9c7926f4379b98b1d974dc8c402ffd");
    expect(contentHash(versionedContent([]))).toBe("4832e4a7d7452e03bc92388fb999bb474d544188b4d0f105ac231a3aa3f15f1d");
    const withDisclaimer = versionedContent([...PATIENT_PARTS, { audience: "patients", sectionKey: DISCLAIMER_PART, body: "Ask your pharmacist." }]);
    const otherDisclaimer = versionedContent([...PATIENT_PARTS, { audience: "patients", sectionKey: DISCLAIMER_PART, body: "Ask your doctor." }]);
    expect(contentHash(withDisclaimer)).not.toBe(contentHash(versionedContent(PATIENT_PARTS)));
    expect(contentHash(withDisclaimer)).not.toBe(contentHash(otherDisclaimer));
  });

  it("shows the patient version's own disclaimer and a footer for patients; the professional page keeps its own", async () => {
    await versionedArticle([...PATIENT_PARTS, { audience: "patients", sectionKey: DISCLAIMER_PART, body: "This page helps you talk with your care team; it is not medical advice." }]);
    const patientHtml = (await request(app).get(`/articles/${VERSIONED_SLUG}?for=patients`).expect(200)).text;
    const patient = visibleText(patientHtml);
    expect(patient).toContain("Medical disclaimer This page helps you talk with your care team; it is not medical advice.");
    expect(patient).not.toContain("intended for healthcare professionals");
    expect(patient).not.toContain("Standard wording");
    const footer = (html: string) => /<footer[^>]*>([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? "";
    expect(footer(patientHtml)).toContain("Educational content for patients and caregivers; it does not replace advice from your clinician.");
    expect(footer(patientHtml)).not.toContain("healthcare professionals");
    const professionalHtml = (await request(app).get(`/articles/${VERSIONED_SLUG}`).expect(200)).text;
    const professional = visibleText(professionalHtml);
    expect(professional).toContain("Professional Medical Disclaimer This information is intended for healthcare professionals.");
    expect(footer(professionalHtml)).toContain("Educational content for healthcare professionals.");
    expect(professional).not.toContain("talk with your care team");
    // The API gives the version with the others.
    const api = await request(app).get(`/api/v1/articles/${VERSIONED_SLUG}`).expect(200);
    expect(api.body.audienceVersions[0].parts).toContainEqual({ sectionKey: DISCLAIMER_PART, markdown: "This page helps you talk with your care team; it is not medical advice." });
  });

  it("without a disclaimer version, shows patients the standard reader disclaimer, marked", async () => {
    await versionedArticle();
    const patient = visibleText((await request(app).get(`/articles/${VERSIONED_SLUG}?for=patients`).expect(200)).text);
    expect(patient).not.toContain("intended for healthcare professionals");
    expect(patient).toContain(`Medical disclaimer Standard wording: this article has no version of its disclaimer for this audience ${READER_DISCLAIMER_DEFAULT.text}`);
  });

  it("lets editors write it in the form, checks its citations and shows it in the comparison", async () => {
    await createArticle(database.prisma, systemContext("test"), { slug: VERSIONED_SLUG, content: versionedContent(PATIENT_PARTS), authorId: null });
    const alice = await signedInAgent(app, demo.alice);
    const { article } = await currentRevision(database, VERSIONED_SLUG);
    const editPage = await alice.get(`/editor/articles/${article.id}/edit`).expect(200);
    expect(editPage.text).toContain('name="disclaimerVariants[patients]"');
    const form = await editForm(database, () => {}, VERSIONED_SLUG);
    const saved = await alice.post(`/editor/articles/${article.id}/edit`).type("form")
      .send(formBody({ _csrf: alice.csrf, ...form, disclaimerVariants: { patients: "Not advice for you alone [@nowhere]." } }));
    expect(saved.status, saved.text.slice(0, 300)).toBe(303);
    const after = await currentRevision(database, VERSIONED_SLUG);
    expect(after.revision.number).toBe(2);
    expect(after.content.variants).toContainEqual({ audience: "patients", sectionKey: DISCLAIMER_PART, body: "Not advice for you alone [@nowhere]." });
    expect(checkCitations(after.content).map((i) => i.where)).toContain("patients version of the disclaimer, paragraph 1");
    const before = versionedContent(PATIENT_PARTS);
    expect(compareRevisions(before, after.content).variants).toEqual([expect.objectContaining({ part: "the disclaimer", status: "added" })]);
    // The edit form shows it again.
    expect((await alice.get(`/editor/articles/${article.id}/edit`).expect(200)).text).toContain("Not advice for you alone [@nowhere].</textarea>");
  });
});

describe("preview links show every audience version", () => {
  beforeEach(async () => {
    await resetContent(database);
    await versionedArticle();
  });

  async function previewOf() {
    const sam = await userByEmail(database, "sam.admin@demo.test");
    const article = await database.prisma.article.findUniqueOrThrow({ where: { slug: VERSIONED_SLUG } });
    const { link } = await createPreviewLink(database.prisma, contextOf(sam), sam, article.id, { revisionId: article.currentRevisionId!, days: 3 });
    return previewPath(testConfig().sessionSecret, link);
  }

  it("shows the patient version with the same selector, still unpublished, noindex and no-store", async () => {
    const path = await previewOf();
    const res = await request(app).get(`${path}?for=patients`).expect(200);
    expect(res.headers["cache-control"]).toBe("private, no-store");
    expect(res.headers["x-robots-tag"]).toContain("noindex");
    expect(res.headers["set-cookie"]).toBeUndefined();
    const text = visibleText(res.text);
    expect(text).toContain("Preview: not published");
    expect(text).toContain("Your clinician may suggest option C first");
    expect(text).toContain("Which best describes you?");
    // The choice goes back to this link (keeping its token), not to the public address.
    expect(res.text).toContain(`<form method="get" action="${path}">`);
    expect(res.text).toMatch(/value="patients" checked/);
    const professional = visibleText((await request(app).get(path).expect(200)).text);
    expect(professional).toContain("Start with option A");
    expect(professional).not.toContain("Your clinician may suggest");
  });

  it("refuses a version that does not exist", async () => {
    const path = await previewOf();
    await request(app).get(`${path}?for=nobody`).expect(404);
    await request(app).get(`${path}?for=Not%20A%20Slug`).expect(400);
  });
});
