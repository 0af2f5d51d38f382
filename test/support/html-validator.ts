// The Nu Html Checker (npm `vnu-jar`, run offline with the system's Java) over every page
// the browser tests visit: each served document's raw HTML is written to a folder as the
// browser receives it, then one `java -jar vnu.jar` call checks them all (the JVM is slow
// to start, so pages are checked in one batch per test file).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import { expect } from "vitest";

/** The `java` to run, or null with the reason it is missing. */
function findJava(): { java: string } | { missing: string } {
  const candidates = [process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : null, "/usr/bin/java", "/usr/local/bin/java"];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  return found ? { java: found } : { missing: "no java executable (install Debian's default-jre-headless, or set JAVA_HOME)" };
}

export interface HtmlCollector {
  /** Records every HTML document a context's pages load, as served. */
  watch(context: BrowserContext): void;
  /** The checker's errors ("<path>: line N: message"), or a reason it could not run (then `skipped`). */
  validate(): Promise<{ errors: string[]; checked: number; skipped: string | null }>;
  dispose(): Promise<void>;
}

export async function collectServedHtml(): Promise<HtmlCollector> {
  const dir = await mkdtemp(path.join(tmpdir(), "cms-served-html-"));
  const pending: Promise<void>[] = [];
  /** File name (content hash) → the path the page was served at. */
  const pathsOf = new Map<string, string>();
  return {
    watch(context) {
      context.on("response", (response) => {
        const request = response.request();
        if (request.resourceType() !== "document" || !request.isNavigationRequest()) return;
        if (!(response.headers()["content-type"] ?? "").startsWith("text/html")) return;
        if (response.status() >= 300 && response.status() < 400) return;
        pending.push(
          response.body().then(async (body) => {
            const name = `${createHash("sha256").update(body).digest("hex").slice(0, 16)}.html`;
            if (pathsOf.has(name)) return;
            pathsOf.set(name, new URL(response.url()).pathname + new URL(response.url()).search);
            await writeFile(path.join(dir, name), body);
          }).catch(() => {
            // The page navigated on before its body was read (e.g. a form posted at once): nothing to check.
          }),
        );
      });
    },
    async validate() {
      await Promise.all(pending);
      if (pathsOf.size === 0) return { errors: ["no page was collected: the browser test visited nothing, or the collector is not watching it"], checked: 0, skipped: null };
      const java = findJava();
      if ("missing" in java) return { errors: [], checked: pathsOf.size, skipped: java.missing };
      const jar = createRequire(import.meta.url).resolve("vnu-jar/build/dist/vnu.jar");
      const output = await new Promise<string>((resolve, reject) => {
        // The checker exits 1 when it finds errors; its JSON report goes to stderr either way.
        execFile(java.java, ["-Xss8m", "-jar", jar, "--errors-only", "--format", "json", dir], { maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
          if (error && error.code !== 1) reject(new Error(`the Nu Html Checker did not run: ${error.message}\n${stderr}`));
          else resolve(stderr);
        });
      });
      type Message = { type: string; url?: string; lastLine?: number; message: string; extract?: string };
      const report = JSON.parse(output) as { messages: Message[] };
      const errors = report.messages
        .filter((m) => m.type === "error" || m.type === "non-document-error")
        .map((m) => {
          const file = m.url ? path.basename(new URL(m.url).pathname) : "?";
          return `${pathsOf.get(file) ?? file}: line ${m.lastLine ?? "?"}: ${m.message}${m.extract ? ` (…${m.extract.replace(/\s+/g, " ")}…)` : ""}`;
        });
      return { errors, checked: pathsOf.size, skipped: null };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Checks everything `collector` saw: no error allowed. Without Java the check is skipped with
 * the reason printed, except in CI (CI=true), where a missing checker is a failure.
 */
export async function expectValidHtml(collector: HtmlCollector) {
  const { errors, checked, skipped } = await collector.validate();
  if (skipped) {
    if (process.env.CI === "true") throw new Error(`The Nu Html Checker could not run in CI: ${skipped}.`);
    console.warn(`HTML validation skipped: ${skipped}.`);
    return;
  }
  console.info(`Nu Html Checker: ${checked} distinct pages checked, ${errors.length} errors.`);
  expect(errors, `Nu Html Checker errors in the ${checked} pages visited`).toEqual([]);
}
