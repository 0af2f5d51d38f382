// The API reference, the token page and search in a real headless Chromium: they must work
// under the site's Content Security Policy (no console errors) and a person can create a
// token, use it, and revoke it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { demo, openSite, type TestDatabase } from "./support/index.js";
import { type BrowserLog, type BrowserSite, clickAndWait, describeInBrowser, openBrowserSite, signIn } from "./support/browser.js";
import { expectValidHtml } from "./support/html-validator.js";

describeInBrowser("API pages in a real browser", () => {
  let database: TestDatabase | undefined;
  let web: BrowserSite | undefined;
  const log: BrowserLog = { messages: [] };

  beforeAll(async () => {
    const site = await openSite();
    database = site.database;
    web = await openBrowserSite(site.app, log);
  });
  afterAll(async () => {
    await web?.close();
    await database?.close();
  });

  it("shows the API reference and search results with no CSP violations, and a token works until it is revoked", async () => {
    const { context, page } = await web!.newPerson("alice");
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
    const call = () => fetch(`${web!.baseUrl}/api/v1/search?q=tizanidine`, { headers: { Authorization: `Bearer ${token}` } });
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
    await expectValidHtml(web!.servedHtml);
  }, 180_000);
});
