// A real headless Chromium against the app served over HTTP on a random localhost port.
// Chromium comes from the system (apt-get install chromium), not `npx playwright install`.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { Express } from "express";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { beforeEach, describe, it, type TestContext } from "vitest";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";
import { collectServedHtml, type HtmlCollector } from "./html-validator.js";

/** The Chromium executable to drive, or null when there is none on this machine. */
export function chromiumPath(): string | null {
  const candidate = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  return existsSync(candidate) ? candidate : null;
}

const inCi = process.env.CI === "true";

/**
 * describe() for tests in a real browser: skipped on a machine without Chromium, except in CI
 * (CI=true), where the set-up then fails (see requiredChromium).
 */
export const describeInBrowser = describe.skipIf(!chromiumPath() && !inCi);

/** The Chromium to launch; its absence fails the set-up (only reached in CI, see describeInBrowser). */
export function requiredChromium(): string {
  const found = chromiumPath();
  if (!found) throw new Error(`CI=true but no Chromium executable was found at ${process.env.CHROMIUM_PATH || "/usr/bin/chromium"}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`);
  return found;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

export interface RunningServer {
  baseUrl: string;
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1 at a port the system picks. */
export async function serve(app: Express): Promise<RunningServer> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Chromium keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** What the browser reported on its console or as uncaught page errors (CSP violations show up here). */
export interface BrowserLog {
  messages: string[];
}

/** A fresh browser context (its own cookies: one person), with its console collected into `log`. */
export async function newPerson(browser: Browser, baseUrl: string, who: string, log: BrowserLog, html?: HtmlCollector): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "UTC" });
  html?.watch(context);
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") log.messages.push(`[${who}] console.${m.type()} on ${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.messages.push(`[${who}] page error on ${page.url()}: ${e.message}`));
  return { context, page };
}

/** Signs in through the real /login form, as a person would, and lands on the dashboard. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForURL(/\/editor$/), page.getByRole("button", { name: "Sign in" }).click()]);
}

/** Clicks a submit button (or link) and waits for the page it leads to to load. */
export async function clickAndWait(page: Page, target: ReturnType<Page["locator"]>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), target.click()]);
}

/** Today's date as the public page prints it, e.g. "November 28, 2026" (UTC). */
export function longDateUtc(date = new Date()): string {
  return new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }).format(date);
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is now.
 * axe is evaluated through the browser's debugging protocol, which the page's Content
 * Security Policy does not apply to, so the app's CSP stays as strict as in production.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  return axeViolations(page, (v) => v.impact === "serious" || v.impact === "critical");
}

type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

/** The axe-core violations on the page that `which` selects (e.g. one rule, whatever its impact). */
export async function axeViolations(page: Page, which: (v: AxeViolation) => boolean): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(`${source}\n;void 0`);
  const results = (await page.evaluate("axe.run(document)")) as { violations: AxeViolation[] };
  return results.violations
    .filter(which)
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
}

/** The app served over HTTP with a Chromium to visit it, each person in a browser context of their own. */
export interface BrowserSite {
  baseUrl: string;
  browser: Browser;
  /** Every page the people from newPerson open, as served, for the Nu Html Checker. */
  servedHtml: HtmlCollector;
  /** A new person (their own cookies) whose console goes to the log and whose pages are collected. */
  newPerson(who: string): Promise<{ context: BrowserContext; page: Page }>;
  /** Closes every person's context, the browser and the server, and removes the collected pages. */
  close(): Promise<void>;
}

/** Serves `app`, launches Chromium and collects the pages people open; console messages go to `log`. */
export async function openBrowserSite(app: Express, log: BrowserLog = { messages: [] }): Promise<BrowserSite> {
  const server = await serve(app);
  let browser: Browser;
  try {
    browser = await launchChromium(requiredChromium());
  } catch (error) {
    await server.close();
    throw error;
  }
  const servedHtml = await collectServedHtml();
  const contexts: BrowserContext[] = [];
  return {
    baseUrl: server.baseUrl,
    browser,
    servedHtml,
    async newPerson(who) {
      const person = await newPerson(browser, server.baseUrl, who, log, servedHtml);
      contexts.push(person.context);
      return person;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await server.close();
      await servedHtml.dispose();
    },
  };
}

/**
 * The steps of one story told in order, each a test: once a step fails, the later ones (which
 * build on it) are skipped rather than failing confusingly. Call inside the story's describe().
 * A step may take three minutes: Chromium on a busy machine is slow.
 */
export function storySteps(options = { timeout: 180_000 }) {
  let broken = false;
  beforeEach((ctx) => {
    if (broken) ctx.skip();
  });
  return {
    step(name: string, body: (ctx: TestContext) => Promise<void>) {
      it(name, options, async (ctx) => {
        try {
          await body(ctx);
        } catch (error) {
          broken = true;
          throw error;
        }
      });
    },
    /** Whether a step has failed. */
    broken: () => broken,
  };
}
