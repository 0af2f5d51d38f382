// The API reference, the token page and search in a real headless Chromium: they must work
// under the site's Content Security Policy (no console errors) and a person can create a
// token, use it, and revoke it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { createApp } from "../src/app.js";
import { createSeededDatabase, type TestDatabase } from "./helpers/database.js";
import { testConfig } from "./helpers/app.js";
import { demo } from "./helpers/session.js";
import { collectServedHtml, expectValidHtml, type HtmlCollector } from "./helpers/html-validator.js";
import { chromiumPath, clickAndWait, launchChromium, newPerson, serve, signIn, type BrowserLog, type RunningServer } from "./helpers/browser.js";

const executablePath = chromiumPath();
const inCi = process.env.CI === "true";

describe.skipIf(!executablePath && !inCi)("API pages in a real browser", () => {
  let database: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const log: BrowserLog = { messages: [] };
  let servedHtml: HtmlCollector | undefined;

  beforeAll(async () => {
    if (!executablePath) throw new Error("CI needs Chromium at /usr/bin/chromium (apt-get install -y chromium).");
    database = await createSeededDatabase();
    server = await serve(createApp({ config: testConfig(), database, log: () => {} }));
    browser = await launchChromium(executablePath);
    servedHtml = await collectServedHtml();
  });
  afterAll(async () => {
    await servedHtml?.dispose();
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it("shows the API reference and search results with no CSP violations, and a token works until it is revoked", async () => {
    const { context, page } = await newPerson(browser!, server!.baseUrl, "alice", log, servedHtml);
    await page.goto("/api/docs");
    expect(await page.getByRole("heading", { name: "API reference" }).count()).toBe(1);
    expect(await page.locator("#listArticles").count()).toBe(1);
    // The stylesheet applies (it is the site's own, so CSP allows it).
    expect(await page.locator(".api-schema").first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { overflowX: string } }).getComputedStyle(el).overflowX)).toBe("auto");

    await page.goto("/articles");
    await page.getByLabel("Search articles").fill("tizanidine");
    await Promise.all([page.waitForURL(/\/search\?q=tizanidine/), page.getByLabel("Search articles").press("Enter")]);
    // The seeded article is shown while pending review, so search finds it, marked as on its page.
    const results = await page.locator("main").innerText();
    expect(results).toContain("What are the treatment options for muscle spasms?");
    expect(results).toContain("Pending review");

    await signIn(page, demo.alice);
    await page.goto("/account/tokens");
    await page.getByLabel("Name (what it is for)").fill("Browser test");
    await page.getByLabel("write").check();
    await clickAndWait(page, page.getByRole("button", { name: "Create token" }));
    const token = (await page.locator(".token-value").innerText()).trim();
    expect(token).toMatch(/^cat_/);
    const call = () => fetch(`${server!.baseUrl}/api/v1/search?q=tizanidine`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await call()).status).toBe(200);
    // Revoking asks first: the first button opens the question, the second revokes.
    await page.locator("summary", { hasText: "Revoke" }).first().click();
    await clickAndWait(page, page.getByRole("button", { name: "Yes, revoke" }).first());
    expect(await page.locator(".notice").innerText()).toContain("revoked");
    expect((await call()).status).toBe(401);

    await page.goto("/editor/search?q=tizanidine");
    expect(await page.locator(".search-results li").count()).toBe(1);
    expect(await page.locator(".snippet mark").count()).toBeGreaterThan(0);
    await context.close();
    expect(log.messages).toEqual([]);
  });

  it("every page visited is valid HTML (Nu Html Checker, as served)", async () => {
    await expectValidHtml(servedHtml!);
  }, 180_000);
});
