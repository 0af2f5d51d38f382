// Figures in a real headless Chromium: an editor uploads an image from the edit page with the
// plain file input (what was typed stays), saves the figure; once reviewed and published the
// public page shows it as a <figure> with <picture> and a caption. axe on each page, and every
// page opened is checked with the Nu Html Checker.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import type { Page } from "playwright-core";
import { articleAt, currentRevision, openSite, type TestDatabase } from "./support/index.js";
import { type BrowserLog, type BrowserSite, clickAndWait, describeInBrowser, openBrowserSite, seriousAxeViolations, signIn } from "./support/browser.js";
import { expectValidHtml } from "./support/html-validator.js";

const STEP = 180_000;

describeInBrowser("figures, in a real browser", () => {
  let database: TestDatabase | undefined;
  /** The app in a browser; it keeps every page opened, as served, for the Nu Html Checker. */
  let web: BrowserSite | undefined;
  let page: Page;
  let folder = "";
  const log: BrowserLog = { messages: [] };

  beforeAll(async () => {
    const site = await openSite();
    database = site.database;
    // The seeded article is submitted: withdraw it so Alice can edit.
    await articleAt(database, "DRAFT");
    folder = await mkdtemp(path.join(tmpdir(), "figures-"));
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="500"><rect width="1000" height="500" fill="white"/><rect x="40" y="40" width="300" height="120" fill="#0b5cad"/></svg>`;
    await writeFile(path.join(folder, "algorithm.png"), await sharp(Buffer.from(svg)).png().withExif({ IFD0: { Make: "Scanner" } }).toBuffer());
    web = await openBrowserSite(site.app, log);
    ({ page } = await web.newPerson("alice"));
  }, STEP);

  afterAll(async () => {
    await web?.close();
    await database?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  it("uploads an image from the edit page without losing what was typed, and saves the figure", { timeout: STEP }, async () => {
    await signIn(page, "alice.editor@demo.test");
    const { article } = await currentRevision(database!);
    await page.goto(`/editor/articles/${article.id}/edit`);
    await page.getByLabel("Clinical question (title)").fill("What are the treatment options for muscle spasms today?");
    const row = page.locator("#figures-fieldset fieldset.figure-row").last();
    await row.locator('input[type="file"]').setInputFiles(path.join(folder, "algorithm.png"));
    await row.getByLabel(/^Alternative text \(what the image shows/).fill("Treatment algorithm: stretching first, then tizanidine");
    await row.getByLabel(/^Caption \(Markdown/).fill("The stepwise approach [@praxis-spastic-paraparesis-2025]");
    await row.getByLabel("Section").selectOption("treatment-algorithm");
    await clickAndWait(page, page.getByRole("button", { name: "Upload and keep editing" }));
    expect(await page.locator('p.notice[role="status"]').innerText()).toContain("Uploaded the image");
    expect(await page.getByLabel("Clinical question (title)").inputValue()).toBe("What are the treatment options for muscle spasms today?");
    expect(await page.locator(".figure-preview img").count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await clickAndWait(page, page.getByRole("button", { name: "Save new revision" }));
    const { content } = await currentRevision(database!);
    expect(content.figures.map((f) => f.alt)).toEqual(["Treatment algorithm: stretching first, then tizanidine"]);
  });

  it("once reviewed and published, the public page shows a valid, accessible figure", { timeout: STEP }, async () => {
    // Alice supplies the missing sources and submits; Priya signs; Sam publishes.
    const { article } = await articleAt(database!, "PUBLISHED");
    const reader = await web!.newPerson("reader");
    await reader.page.goto(`/articles/${article.slug}`);
    const figure = reader.page.locator("figure.figure");
    expect(await figure.count()).toBe(1);
    expect(await figure.locator("figcaption").innerText()).toMatch(/^Figure 1\. The stepwise approach \d+/);
    const img = figure.locator("picture img");
    expect(await img.getAttribute("alt")).toBe("Treatment algorithm: stretching first, then tizanidine");
    await img.scrollIntoViewIfNeeded();
    // The browser chose a rendition and loaded it (the public address serves published images).
    await expect.poll(() => img.evaluate((el) => {
      const loaded = el as unknown as { complete: boolean; naturalWidth: number };
      return loaded.complete && loaded.naturalWidth > 0;
    }), { timeout: 20_000 }).toBe(true);
    expect(await seriousAxeViolations(reader.page)).toEqual([]);
    await reader.context.close();
    expect(log.messages).toEqual([]);
    await expectValidHtml(web!.servedHtml);
  });
});
