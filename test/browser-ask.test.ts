// "Have a follow-up question?" in a real headless Chromium with JavaScript off (the box and
// the answer page are plain forms): a signed-out reader asks a lay question in the box under
// the published article, reads passages quoted from it with their citations and "Reviewed
// by", says the answer helped, then asks an off-topic question on /ask and gets the plain
// "No reviewed answer yet" with the optional e-mail form. axe (no violation of any impact) on
// every page, opened again, or the same form sent again, by a second reader with JavaScript on
// (axe needs it to run); every page as served passes the Nu Html Checker.
import { afterAll, beforeAll, expect } from "vitest";
import type { Page } from "playwright-core";
import { openSite, publishSeeded, SEEDED_SLUG, type TestDatabase } from "./support/index.js";
import { axeViolations, type BrowserSite, clickAndWait, describeInBrowser, openBrowserSite, storySteps } from "./support/browser.js";
import { expectValidHtml } from "./support/html-validator.js";

const ARTICLE_PATH = `/articles/${SEEDED_SLUG}`;
const LAY_QUESTION = "Does baclofen make you sleepy?";
const OFF_TOPIC = "What is the vaccine schedule for a two-year-old?";

describeInBrowser("asking a follow-up question in a real browser, without JavaScript", () => {
  let database: TestDatabase | undefined;
  /** The app in a browser; it keeps every page opened, as served, for the Nu Html Checker. */
  let web: BrowserSite | undefined;
  let page: Page;
  let axePage: Page;
  const { step } = storySteps();

  beforeAll(async () => {
    const site = await openSite();
    database = site.database;
    // Published with a reviewer's signature, so answers say who reviewed them.
    await publishSeeded(database);
    web = await openBrowserSite(site.app);
    // The reader's browser runs no page script: everything below must work as plain HTML forms.
    // (axe is evaluated through the debugging protocol, which still works.)
    const context = await web.browser.newContext({ baseURL: web.baseUrl, javaScriptEnabled: false, viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "UTC" });
    context.setDefaultTimeout(20_000);
    web.servedHtml.watch(context);
    page = await context.newPage();
    const axeContext = await web.browser.newContext({ baseURL: web.baseUrl, viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "UTC" });
    axeContext.setDefaultTimeout(20_000);
    web.servedHtml.watch(axeContext);
    axePage = await axeContext.newPage();
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await database?.close();
  }, 60_000);

  /** Every axe violation, whatever its impact, on the page the second reader has open. */
  const violations = () => axeViolations(axePage, () => true);
  /** Every axe violation on the page the reader has open, opened again by the second reader. */
  const violationsOfReadersPage = async () => {
    expect((await axePage.goto(page.url()))?.status()).toBe(200);
    return violations();
  };

  step("1. under the article, the reader asks a lay question in the box and gets passages with citations and reviewers", async () => {
    expect((await page.goto(ARTICLE_PATH))?.status()).toBe(200);
    expect(await violationsOfReadersPage()).toEqual([]);
    const box = page.getByRole("region", { name: "Have a follow-up question?" });
    await box.getByLabel("Your question").fill(LAY_QUESTION);
    await clickAndWait(page, box.getByRole("button", { name: "Ask" }));

    const url = new URL(page.url());
    expect(url.pathname).toBe("/ask");
    expect(url.searchParams.get("q")).toBe(LAY_QUESTION);
    expect(url.searchParams.get("article")).toBe(SEEDED_SLUG);
    expect(await page.getByLabel("Your question").inputValue()).toBe(LAY_QUESTION);

    const answers = page.getByTestId("ask-answer");
    expect(await answers.count()).toBeGreaterThan(0);
    const first = answers.first();
    const text = await first.innerText();
    // Word for word from the published article, with its section and article named and linked.
    expect(await page.locator("main").innerText()).toContain("May cause significant sedation");
    expect(await first.getByRole("link", { name: "What are the treatment options for muscle spasms?" }).getAttribute("href")).toBe(ARTICLE_PATH);
    // Citation numbers link to the article's reference list and the references are listed.
    const citation = first.locator("blockquote sup a").first();
    expect(await citation.getAttribute("href")).toMatch(new RegExp(`^${ARTICLE_PATH}#ref-\\d+$`));
    expect(await first.locator("ol.ask-citations li").count()).toBeGreaterThan(0);
    // Reviewed, published text: who reviewed it, and no caution banner.
    expect(text).toContain("Reviewed by");
    expect(text).toContain("Priya");
    expect(text).not.toContain("pending human review");
    expect(await violationsOfReadersPage()).toEqual([]);
  });

  step("2. the reader says the answer helped; the vote is counted once", async () => {
    const first = page.getByTestId("ask-answer").first();
    const vote = first.getByRole("group", { name: "Was this answer helpful?" });
    await clickAndWait(page, vote.getByRole("button", { name: "Yes" }));
    expect(new URL(page.url()).pathname).toBe("/ask/feedback");
    expect(await page.locator("main").innerText()).toContain("Thank you");
    // Asked twice (the reader, and the second reader opening the same answer page), one vote.
    const counts = async () => (await database!.prisma.readerQuestionGroup.findMany({ where: { normalized: "baclofen sleepi" } }))
      .map((g) => [g.timesAsked, g.timesAnswered, g.helpfulYes, g.helpfulNo]);
    expect(await counts()).toEqual([[2, 2, 1, 0]]);
    // The second reader's vote, for axe on the page it leads to.
    await clickAndWait(axePage, axePage.getByTestId("ask-answer").first().getByRole("button", { name: "No" }));
    expect(await axePage.locator("main").innerText()).toContain("Thank you");
    expect(await violations()).toEqual([]);
    expect(await counts()).toEqual([[2, 2, 1, 1]]);
  });

  step("3. an off-topic question gets the plain “No reviewed answer yet” and the optional e-mail form", async () => {
    expect((await page.goto("/ask"))?.status()).toBe(200);
    expect(await violationsOfReadersPage()).toEqual([]);
    await page.getByLabel("Your question").fill(OFF_TOPIC);
    await clickAndWait(page, page.getByRole("button", { name: "Ask" }));
    expect(new URL(page.url()).searchParams.get("q")).toBe(OFF_TOPIC);
    expect(await page.getByTestId("ask-answer").count()).toBe(0);
    const none = page.getByTestId("no-reviewed-answer");
    expect(await none.getByRole("heading", { name: "No reviewed answer yet" }).count()).toBe(1);
    expect(await none.innerText()).toContain("We do not make up answers");
    // Optional: an address, with an explicit consent sentence.
    const email = none.getByLabel("Your e-mail address");
    expect(await email.inputValue()).toBe("");
    const consent = none.getByRole("checkbox", { name: /keeps this address only to send me one message/ });
    expect(await consent.isChecked()).toBe(false);
    expect(await violationsOfReadersPage()).toEqual([]);

    await email.fill("reader@example.org");
    await consent.check();
    await clickAndWait(page, none.getByRole("button", { name: "Tell me once" }));
    expect(await page.locator("main").innerText()).toContain("We will send one message to this address");
    expect(await database!.prisma.readerQuestionEmail.count()).toBe(1);
    // The second reader leaves an address too, for axe on the page it leads to.
    const form = axePage.getByTestId("no-reviewed-answer");
    await form.getByLabel("Your e-mail address").fill("second.reader@example.org");
    await form.getByRole("checkbox", { name: /keeps this address only/ }).check();
    await clickAndWait(axePage, form.getByRole("button", { name: "Tell me once" }));
    expect(await axePage.locator("main").innerText()).toContain("We will send one message to this address");
    expect(await violations()).toEqual([]);
    expect(await database!.prisma.readerQuestionEmail.count()).toBe(2);
  });

  step("every page the reader opened is valid HTML (Nu Html Checker, as served)", async () => {
    await expectValidHtml(web!.servedHtml);
  });
});
