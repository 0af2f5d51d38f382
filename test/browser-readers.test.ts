// What a new reader sees, in a real headless Chromium (the pages need no JavaScript; it stays
// on because axe runs in the page): search finds the
// article the public can read (pending, with the caution), the patient version keeps the
// professional page's reference numbers and has its own disclaimer and footer, and an outside
// expert's preview link shows the patient version through the same selector. axe on each page.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createApp } from "../src/app.js";
import { createArticle } from "../src/services/editorial/index.js";
import { createPreviewLink, previewPath } from "../src/services/publishing/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { DISCLAIMER_PART, revisionContentSchema } from "../src/content/revision-content.js";
import { contextOf, createSeededDatabase, demo, testConfig, type TestDatabase, userByEmail } from "./support/index.js";
import { clickAndWait, describeInBrowser, launchChromium, requiredChromium, type RunningServer, seriousAxeViolations, serve } from "./support/browser.js";

const STEP = 180_000;
const SLUG = "which-treatment-helps-most";

describeInBrowser("what readers see, in a real browser", () => {
  let database: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let preview = "";

  beforeAll(async () => {
    database = await createSeededDatabase();
    const ref = (key: string, title: string) => ({ key, type: "RESEARCH", title, source: "A journal", year: 2020 });
    const { article, revision } = await createArticle(database.prisma, systemContext("test"), {
      slug: SLUG, authorId: null, initialState: "SUBMITTED", visibleWhilePending: true,
      content: revisionContentSchema.parse({
        title: "Which treatment helps most?", summaryHeading: "Summary", summary: "Start with option A [@alpha].", lastUpdated: "2026-01-02",
        disclaimerHeading: "Professional Medical Disclaimer", disclaimer: "This information is intended for healthcare professionals.",
        sections: [{ key: "options", depth: 1, heading: "Options", body: "Option B [@bravo] and option C [@charlie]." }],
        references: [ref("alpha", "Alpha trial"), ref("bravo", "Bravo trial"), ref("charlie", "Charlie trial")],
        variants: [
          { audience: "patients", sectionKey: null, body: "Your clinician may suggest option C first [@charlie]." },
          { audience: "patients", sectionKey: DISCLAIMER_PART, body: "This page helps you talk with your care team; it is not medical advice." },
        ],
      }),
    });
    const sam = await userByEmail(database, demo.sam);
    const { link } = await createPreviewLink(database.prisma, contextOf(sam), sam, article.id, { revisionId: revision.id, days: 3 });
    const config = testConfig();
    preview = previewPath(config.sessionSecret, link);
    server = await serve(createApp({ config, database, log: () => {} }));
    browser = await launchChromium(requiredChromium());
    context = await browser.newContext({ baseURL: server.baseUrl });
    page = await context.newPage();
  }, STEP);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await database?.close();
  }, 60_000);

  it("search finds the seeded article the public can read, marked pending", { timeout: STEP }, async () => {
    await page.goto("/search");
    await page.getByLabel("Words to look for").fill("tizanidine");
    await clickAndWait(page, page.getByRole("button", { name: "Search" }));
    const results = page.locator("ol.search-results");
    expect(await results.getByRole("link", { name: "What are the treatment options for muscle spasms?" }).count()).toBe(1);
    expect(await results.innerText()).toContain("Exercise caution as content is pending human review");
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it("the patient version keeps the reference numbers and has its own disclaimer and footer", { timeout: STEP }, async () => {
    await page.goto(`/articles/${SLUG}`);
    const selector = page.getByRole("group", { name: "Which best describes you?" });
    await selector.getByLabel(/Patient or caregiver/).check();
    await clickAndWait(page, selector.getByRole("button", { name: "Show this version" }));
    expect(page.url()).toMatch(/\?for=patients$/);
    expect(await page.locator(".summary sup.cite").innerText()).toBe("3");
    expect(await page.locator("#ref-3 .ref-title").innerText()).toBe("Charlie trial");
    expect(await page.locator("#ref-1 .ref-title").innerText()).toBe("Alpha trial");
    expect(await page.locator("main").innerText()).not.toContain("not cited in the text");
    expect(await page.getByRole("region", { name: "Medical disclaimer" }).innerText()).toContain("talk with your care team");
    expect(await page.locator("footer").innerText()).toContain("Educational content for patients and caregivers");
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it("an outside expert's preview link shows the patient version through the same selector", { timeout: STEP }, async () => {
    const expert = await browser!.newContext({ baseURL: server!.baseUrl });
    try {
      const p = await expert.newPage();
      expect((await p.goto(preview))?.status()).toBe(200);
      expect(await p.getByTestId("preview-banner").innerText()).toContain("Preview: not published");
      const selector = p.getByRole("group", { name: "Which best describes you?" });
      await selector.getByLabel(/Patient or caregiver/).check();
      await clickAndWait(p, selector.getByRole("button", { name: "Show this version" }));
      expect(p.url()).toBe(`${server!.baseUrl}${preview}?for=patients`);
      expect(await p.getByTestId("preview-banner").innerText()).toContain("Preview: not published");
      expect(await p.locator(".summary").innerText()).toContain("Your clinician may suggest option C first");
      expect(await expert.cookies()).toEqual([]);
      expect(await seriousAxeViolations(p)).toEqual([]);
    } finally {
      await expert.close();
    }
  });
});
