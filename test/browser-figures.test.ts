// Figures in a real headless Chromium: an editor uploads an image from the edit page with the
// plain file input (what was typed stays), saves the figure; once reviewed and published the
// public page shows it as a <figure> with <picture> and a caption. axe on each page, and every
// page opened is checked with the Nu Html Checker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createApp } from "../src/app.js";
import { seedDatabase } from "../src/services/seed.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { testConfig } from "./helpers/app.js";
import { contextOf, userByEmail } from "./helpers/api.js";
import { currentRevision, supplyMissingSources } from "./helpers/articles.js";
import { applyTransition } from "../src/services/review/index.js";
import { saveRevision } from "../src/services/editorial/index.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";
import { chromiumPath, clickAndWait, launchChromium, newPerson, seriousAxeViolations, serve, signIn, type BrowserLog, type RunningServer } from "./helpers/browser.js";
import { collectServedHtml, expectValidHtml, type HtmlCollector } from "./helpers/html-validator.js";

const executablePath = chromiumPath();
const inCi = process.env.CI === "true";
const STEP = 180_000;

describe.skipIf(!executablePath && !inCi)("figures, in a real browser", () => {
  let database: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let servedHtml: HtmlCollector | undefined;
  let folder = "";
  const log: BrowserLog = { messages: [] };

  beforeAll(async () => {
    if (!executablePath) throw new Error("CI=true but no Chromium executable was found: install it with `apt-get install -y chromium` or set CHROMIUM_PATH.");
    database = await createTestDatabase();
    await seedDatabase(database.prisma, { demoUsers: true });
    // The seeded article is submitted: withdraw it so Alice can edit.
    const alice = await userByEmail(database, "alice.editor@demo.test");
    const { article, revision } = await currentRevision(database);
    await applyTransition(database.prisma, contextOf(alice), alice, article.id, "withdraw", {
      revisionId: revision.id, expectedState: revision.state, comment: "", password: "", meaning: "", overrideReason: "", reviewerIds: [], reviewDue: null,
    });
    folder = await mkdtemp(path.join(tmpdir(), "figures-"));
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="500"><rect width="1000" height="500" fill="white"/><rect x="40" y="40" width="300" height="120" fill="#0b5cad"/></svg>`;
    await writeFile(path.join(folder, "algorithm.png"), await sharp(Buffer.from(svg)).png().withExif({ IFD0: { Make: "Scanner" } }).toBuffer());
    servedHtml = await collectServedHtml();
    server = await serve(createApp({ config: testConfig(), database, log: () => {} }));
    browser = await launchChromium(executablePath);
    ({ context, page } = await newPerson(browser, server.baseUrl, "alice", log, servedHtml));
  }, STEP);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.close();
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
    const db = database!;
    const alice = await userByEmail(db, "alice.editor@demo.test");
    const priya = await userByEmail(db, "priya.reviewer@demo.test");
    const sam = await userByEmail(db, "sam.admin@demo.test");
    const step = async (user: typeof alice, name: "submit" | "start_review" | "approve" | "publish", extra: Record<string, string> = {}) => {
      const { article, revision } = await currentRevision(db);
      await applyTransition(db.prisma, contextOf(user), user, article.id, name, {
        revisionId: revision.id, expectedState: revision.state, comment: "", password: "", meaning: "", overrideReason: "", reviewerIds: [], reviewDue: null, ...extra,
      });
    };
    const { article, revision, content } = await currentRevision(db);
    supplyMissingSources(content);
    await saveRevision(db.prisma, contextOf(alice), alice, article.id, { baseRevisionId: revision.id, content, changeNote: "sources" });
    await step(alice, "submit");
    await step(priya, "start_review");
    await step(priya, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" });
    await step(sam, "publish");
    const reader = await newPerson(browser!, server!.baseUrl, "reader", log, servedHtml);
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
    await expectValidHtml(servedHtml!);
  });
});
