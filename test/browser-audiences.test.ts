// Reader personalization in a real headless Chromium: an editor writes a patient version of
// one section, a reviewer sees it in the diff with its readability grade and signs, the admin
// publishes, and a signed-out reader chooses "Patient or caregiver" (no JavaScript needed),
// reads it, and chooses back.
import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createApp } from "../src/app.js";
import { seedDatabase } from "../src/services/seed.js";
import { readability } from "../src/content/readability.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { testConfig } from "./helpers/app.js";
import { demo, signedInAgent, formBody } from "./helpers/session.js";
import { SEEDED_SLUG, currentRevision, editForm, supplyMissingSources } from "./helpers/articles.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";
import { collectServedHtml, expectValidHtml, type HtmlCollector } from "./helpers/html-validator.js";
import { chromiumPath, clickAndWait, launchChromium, newPerson, serve, signIn, type BrowserLog, type RunningServer } from "./helpers/browser.js";

const executablePath = chromiumPath();
const inCi = process.env.CI === "true";
const PUBLIC_PATH = `/articles/${SEEDED_SLUG}`;
const ARTICLE_TITLE = "What are the treatment options for muscle spasms?";
const SECTION_HEADING = "Skeletal Muscle Relaxants";
const PATIENT_TEXT = "These medicines help tight muscles relax. Your doctor will help you pick one [@guideline-topic-overview-2025].";
const PLAIN_MEANING = "Approved: plain-language version";
const STEP = { timeout: 180_000 };

describe.skipIf(!executablePath && !inCi)("reader personalization in a real browser", () => {
  let database: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const browserLog: BrowserLog = { messages: [] };
  const people: Record<string, { context: BrowserContext; page: Page }> = {};
  let articleId = "";
  let broken = false;
  /** Every page the story opens, as served, for the Nu Html Checker at the end. */
  let servedHtml: HtmlCollector | undefined;
  const person = (name: string) => people[name]!.page;

  beforeAll(async () => {
    if (!executablePath) throw new Error("CI=true but no Chromium executable was found: install it with `apt-get install -y chromium` or set CHROMIUM_PATH.");
    database = await createTestDatabase();
    await seedDatabase(database.prisma, { demoUsers: true });
    const app = createApp({ config: testConfig(), database, log: () => {} });
    // Before the story: a reviewer asked for changes and an editor supplied the missing sources (r2),
    // through the same HTTP forms the browser test of the editorial flow drives.
    const priya = await signedInAgent(app, demo.priya);
    const alice = await signedInAgent(app, demo.alice);
    const take = async (agent: typeof priya, name: string, fields: Record<string, string> = {}) => {
      const { article, revision } = await currentRevision(database!);
      const res = await agent.post(`/editor/articles/${article.id}/transitions/${name}`).type("form")
        .send({ _csrf: agent.csrf, revisionId: revision.id, expectedState: revision.state, ...fields });
      expect(res.status, res.text.slice(0, 300)).toBe(303);
    };
    await take(priya, "start_review");
    await take(priya, "request_changes", { comment: "Please add a patient version." });
    articleId = (await currentRevision(database)).article.id;
    const form = await editForm(database, supplyMissingSources);
    const saved = await alice.post(`/editor/articles/${articleId}/edit`).type("form").send(formBody({ _csrf: alice.csrf, ...form }));
    expect(saved.status).toBe(303);
    server = await serve(app);
    browser = await launchChromium(executablePath);
    servedHtml = await collectServedHtml();
    for (const name of ["reader", "alice", "minh", "sam"]) people[name] = await newPerson(browser, server.baseUrl, name, browserLog, servedHtml);
  }, 180_000);

  afterAll(async () => {
    if (browserLog.messages.length) console.warn(`Browser console:\n${browserLog.messages.join("\n")}`);
    for (const p of Object.values(people)) await p.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await database?.close();
    await servedHtml?.dispose();
  }, 60_000);

  beforeEach((ctx) => {
    if (broken) ctx.skip();
  });

  function step(name: string, body: (ctx: TestContext) => Promise<void>) {
    it(name, STEP, async (ctx) => {
      try {
        await body(ctx);
      } catch (error) {
        broken = true;
        throw error;
      }
    });
  }

  step("1. editor Alice writes a patient version of one section beside the professional text and submits", async () => {
    const page = person("alice");
    await signIn(page, demo.alice);
    await page.goto(`/editor/articles/${articleId}/edit`);
    const section = page.locator("fieldset.section-row").filter({ has: page.locator("legend", { hasText: new RegExp(`^${SECTION_HEADING}$`) }) });
    expect(await section.count()).toBe(1);
    await section.getByLabel("For: Patient or caregiver").fill(PATIENT_TEXT);
    await page.getByLabel("What did you change? (saved with the revision)").fill("Patient version of the relaxants section");
    await clickAndWait(page, page.getByRole("button", { name: "Save new revision" }));
    expect(page.url(), (await page.locator("main").innerText()).slice(0, 400)).toMatch(new RegExp(`/editor/articles/${articleId}$`));
    expect(await page.getByRole("status").innerText()).toContain("Saved revision 3.");
    // The editor shows the version's readability beside it.
    await page.goto(`/editor/articles/${articleId}/edit`);
    const again = page.locator("fieldset.section-row").filter({ has: page.locator("legend", { hasText: new RegExp(`^${SECTION_HEADING}$`) }) });
    expect(await again.getByLabel("For: Patient or caregiver").inputValue()).toBe(PATIENT_TEXT);
    expect(await again.getByTestId("readability").nth(1).innerText()).toContain(`Reading grade ${readability(PATIENT_TEXT)!.grade.toFixed(1)}`);

    await page.goto(`/editor/articles/${articleId}`);
    const form = page.locator("form[data-transition='submit']");
    await clickAndWait(page, form.getByRole("button", { name: "Submit for review" }));
    expect(await page.getByTestId("state").innerText()).toBe("Submitted");
  });

  step("2. reviewer Minh sees the patient version in the diff with its readability grade, and signs it", async () => {
    const page = person("minh");
    await signIn(page, demo.minh);
    await page.goto(`/editor/articles/${articleId}`);
    const variant = page.locator("section.diff-variant");
    expect(await variant.count()).toBe(1);
    const text = await variant.innerText();
    expect(text).toContain("Version for “Patient or caregiver” of section “Skeletal Muscle Relaxants”");
    expect(text).toContain("These medicines help tight muscles relax.");
    expect(text).toContain(`Reading grade ${readability(PATIENT_TEXT)!.grade.toFixed(1)}`);
    expect(await page.locator(".readability-table").innerText()).toContain(`Reading grade ${readability(PATIENT_TEXT)!.grade.toFixed(1)}`);

    await clickAndWait(page, page.locator("form[data-transition='start_review']").getByRole("button", { name: "Start review" }));
    const form = page.locator("form[data-transition='approve']");
    await form.getByLabel("Meaning of your signature").selectOption(PLAIN_MEANING);
    await form.getByLabel("Your password (to sign)").fill(DEMO_PASSWORD);
    await clickAndWait(page, form.getByRole("button", { name: "Approve and sign" }));
    expect(await page.getByTestId("state").innerText()).toBe("Approved");
    expect(await page.getByRole("region", { name: "Signatures on r3" }).innerText()).toContain(PLAIN_MEANING);
  });

  step("3. admin Sam publishes", async () => {
    const page = person("sam");
    await signIn(page, demo.sam);
    await page.goto(`/editor/articles/${articleId}`);
    // Publishing asks for confirmation on a page that shows what the public will see.
    await clickAndWait(page, page.locator("form[data-transition='publish']").getByRole("button", { name: "Publish…" }));
    await clickAndWait(page, page.getByRole("button", { name: /^Yes, publish r\d+$/ }));
    expect(await page.getByTestId("state").innerText()).toBe("Published");
  });

  step("4. a signed-out reader, with JavaScript off, chooses “Patient or caregiver”, reads it, and chooses back", async () => {
    const context = await browser!.newContext({ baseURL: server!.baseUrl, javaScriptEnabled: false });
    servedHtml!.watch(context);
    people.noScript = { context, page: await context.newPage() };
    const page = person("noScript");
    expect((await page.goto(PUBLIC_PATH))?.status()).toBe(200);
    expect(await page.locator("h1").innerText()).toBe(ARTICLE_TITLE);
    const selector = page.getByRole("group", { name: "Which best describes you?" });
    expect(await selector.getByLabel(/Healthcare professional/).isChecked()).toBe(true);
    await selector.getByLabel(/Patient or caregiver/).check();
    await clickAndWait(page, selector.getByRole("button", { name: "Show this version" }));
    expect(page.url()).toMatch(new RegExp(`${PUBLIC_PATH}\\?for=patients$`));
    const section = page.locator("#section-skeletal-muscle-relaxants");
    expect(await section.innerText()).toContain("These medicines help tight muscles relax.");
    expect(await page.locator("main").innerText()).toContain("Written for healthcare professionals");
    expect(await page.getByRole("group", { name: "Which best describes you?" }).getByLabel(/Patient or caregiver/).isChecked()).toBe(true);

    // The plain address now opens the patient version (the cookie is a default only).
    await page.goto(PUBLIC_PATH);
    expect(page.url()).toMatch(/\?for=patients$/);

    const back = page.getByRole("group", { name: "Which best describes you?" });
    await back.getByLabel(/Healthcare professional/).check();
    await clickAndWait(page, back.getByRole("button", { name: "Show this version" }));
    expect(page.url()).toMatch(new RegExp(`${PUBLIC_PATH}$`));
    expect(await page.locator("#section-skeletal-muscle-relaxants").innerText()).not.toContain("These medicines help tight muscles relax.");
    expect(await page.locator("main").innerText()).not.toContain("Written for healthcare professionals");
    await page.goto(PUBLIC_PATH);
    expect(page.url()).toMatch(new RegExp(`${PUBLIC_PATH}$`));
  });

  step("every page the story opened is valid HTML (Nu Html Checker, as served)", async () => {
    await expectValidHtml(servedHtml!);
  });
});
