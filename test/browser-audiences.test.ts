// Reader personalization in a real headless Chromium: an editor writes a patient version of
// one section, a reviewer sees it in the diff with its readability grade and signs, the admin
// publishes, and a signed-out reader chooses "Patient or caregiver" (no JavaScript needed),
// reads it, and chooses back.
import { afterAll, beforeAll, expect } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { readability } from "../src/content/readability.js";
import { currentRevision, demo, openSite, SEEDED_SLUG, signedIn, supplyMissingSources, type TestDatabase, workflowActions } from "./support/index.js";
import { type BrowserLog, type BrowserSite, clickAndWait, describeInBrowser, openBrowserSite, signIn, storySteps } from "./support/browser.js";
import { expectValidHtml } from "./support/html-validator.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

const PUBLIC_PATH = `/articles/${SEEDED_SLUG}`;
const ARTICLE_TITLE = "What are the treatment options for muscle spasms?";
const SECTION_HEADING = "Skeletal Muscle Relaxants";
const PATIENT_TEXT = "These medicines help tight muscles relax. Your doctor will help you pick one [@guideline-topic-overview-2025].";
const PLAIN_MEANING = "Approved: plain-language version";

describeInBrowser("reader personalization in a real browser", () => {
  let database: TestDatabase | undefined;
  /** The app in a browser; it keeps every page the story opens, as served, for the Nu Html Checker at the end. */
  let web: BrowserSite | undefined;
  const browserLog: BrowserLog = { messages: [] };
  const people: Record<string, { context: BrowserContext; page: Page }> = {};
  let articleId = "";
  const person = (name: string) => people[name]!.page;
  const { step } = storySteps();

  beforeAll(async () => {
    const site = await openSite();
    database = site.database;
    // Before the story: a reviewer asked for changes and an editor supplied the missing sources (r2),
    // through the same HTTP forms the browser test of the editorial flow drives.
    const { requestChanges, save } = workflowActions(() => site.database);
    await requestChanges({ priya: await signedIn(site.app, "priya") }, "Please add a patient version.");
    await save(await signedIn(site.app, "alice"), supplyMissingSources).expect(303);
    articleId = (await currentRevision(database)).article.id;
    web = await openBrowserSite(site.app, browserLog);
    for (const name of ["reader", "alice", "minh", "sam"]) people[name] = await web.newPerson(name);
  }, 180_000);

  afterAll(async () => {
    if (browserLog.messages.length) console.warn(`Browser console:\n${browserLog.messages.join("\n")}`);
    await web?.close();
    await database?.close();
  }, 60_000);

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
    const context = await web!.browser.newContext({ baseURL: web!.baseUrl, javaScriptEnabled: false });
    web!.servedHtml.watch(context);
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
    await expectValidHtml(web!.servedHtml);
  });
});
