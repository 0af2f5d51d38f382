// npm run bench:dashboard [-- --count 10000 --repeats 40]
// The staff dashboard (/editor) at size, over HTTP as a signed-in person sees it: every
// page of the admin's dashboard walked once (each a first render; nothing is cached for
// staff), then the first page and "Waiting for me" for an editor, a reviewer and the
// admin, repeated. Printed with p50/p95 and the number of SQL statements one page runs,
// beside a baseline measured in the same run: a signed-in page that reads nothing of its
// own (a 404 with the staff header: session, account, unread count, template).
// Target: p95 under 50 ms at 10,000 articles on the embedded database. Uses the embedded
// database (in memory, in this process, as `npm start` has it), and also a PostgreSQL
// server when BENCH_DATABASE_URL is set.
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import pg from "pg";
import { openScratchDatabase } from "../src/db/scratch.js";
import { createApp, createServer } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { seedDatabase } from "../src/services/seed.js";
import { signInOverHttp } from "./bench-sign-in.js";
import { seedSyntheticArticles } from "./seed-bulk-articles.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "10000" }, repeats: { type: "string", default: "40" } } });
const count = Number(values.count);
const repeats = Number(values.repeats);
const TARGET_P95_MS = 50;

// Counts the statements sent to the database (both kinds are reached through pg).
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}


async function get(base: string, path: string, cookie: string, status = 200) {
  const t0 = performance.now();
  const res = await fetch(base + path, { headers: { cookie }, redirect: "manual" });
  const html = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== status) throw new Error(`${path} answered ${res.status}`);
  return { ms, html };
}

async function bench(label: string, serverUrl: string | undefined) {
  const database = await openScratchDatabase(serverUrl, "cms_bench_dashboard");
  try {
    const t0 = performance.now();
    await seedDatabase(database.prisma, { demoUsers: true });
    await seedSyntheticArticles(database.prisma, count);
    await database.pool.query("ANALYZE");
    console.error(`[${label}] seeded ${count.toLocaleString("en-US")} synthetic articles in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const app = createApp({ config: loadConfig({ NODE_ENV: "test", COOKIE_SECURE: "false" }), database, log: () => {} });
    const server = createServer(app).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cookies = {
        admin: await signInOverHttp(base, "sam.admin@demo.test"),
        editor: await signInOverHttp(base, "alice.editor@demo.test"),
        reviewer: await signInOverHttp(base, "minh.reviewer@demo.test"),
      };
      const pages = ["/editor", "/editor?mine=1"];
      const baselinePath = "/no-such-page";
      for (let i = 0; i < 10; i++) for (const cookie of Object.values(cookies)) for (const p of [...pages, baselinePath]) await get(base, p, cookie, p === baselinePath ? 404 : 200); // warm-up

      statements = 0;
      await get(base, "/editor", cookies.admin);
      const dashboardStatements = statements;
      statements = 0;
      await get(base, baselinePath, cookies.admin, 404);
      const baselineStatements = statements;

      const baseline: number[] = [];
      const first: number[] = [];
      const walk: number[] = [];
      // Interleaved, so a change in the machine's load touches both alike.
      for (let i = 0; i < repeats; i++) {
        for (const cookie of Object.values(cookies)) {
          baseline.push((await get(base, baselinePath, cookie, 404)).ms);
          for (const p of pages) first.push((await get(base, p, cookie)).ms);
        }
      }
      let next: string | undefined = "/editor";
      while (next) {
        const { ms, html } = await get(base, next, cookies.admin);
        walk.push(ms);
        baseline.push((await get(base, baselinePath, cookies.admin, 404)).ms);
        next = /<a href="([^"]+)" rel="next">/.exec(html)?.[1]?.replace(/&amp;/g, "&");
      }
      const all = [...first, ...walk];
      const b95 = percentile(baseline, 95);
      const row = (what: string, times: number[], n: number | string) =>
        console.log(`| ${what} | ${times.length} | ${percentile(times, 50).toFixed(1)} ms | ${percentile(times, 95).toFixed(1)} ms | ${(percentile(times, 95) / b95).toFixed(2)}× | ${n} |`);
      console.log(`\n### ${label}: staff dashboard, ${count.toLocaleString("en-US")} synthetic articles\n`);
      console.log("| What | requests | p50 | p95 | p95 vs baseline | SQL statements per page |");
      console.log("|---|---|---|---|---|---|");
      row("Baseline: signed-in page reading nothing of its own (404)", baseline, baselineStatements);
      row("Dashboard, first page and \"Waiting for me\" (admin, editor, reviewer)", first, dashboardStatements);
      row(`Dashboard, every page walked (admin, ${walk.length} pages)`, walk, "");
      const p95 = percentile(all, 95);
      console.log(`\nDashboard p95 ${p95.toFixed(1)} ms — target < ${TARGET_P95_MS} ms: ${p95 < TARGET_P95_MS ? "met" : "NOT met"}.`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  } finally {
    await database.close();
  }
}

await bench("Embedded database (PGlite)", undefined);
if (process.env.BENCH_DATABASE_URL) await bench("PostgreSQL server", process.env.BENCH_DATABASE_URL);
else console.log("\n(Set BENCH_DATABASE_URL to also measure on a PostgreSQL server.)");
process.exit(0);
