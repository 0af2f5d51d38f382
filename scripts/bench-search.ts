// npm run bench:search [-- --count 10000 --queries 300]
// Search at scale: seeds COUNT synthetic published articles (plus a newer draft
// revision for one in five) into a fresh scratch database, then times public and
// staff searches, in the service and over HTTP through the app's own listener (GET
// /api/v1/search and the /search results page), and prints p50/p95/p99 with their ratio
// to baselines measured in the same run (a primary-key read of one article; over HTTP,
// /healthz, one trivial statement). Target: p95 under 50 ms at 10,000 articles.
// Uses a fresh database on the server in BENCH_DATABASE_URL / TEST_DATABASE_URL,
// or an embedded one. Synthetic rows are written with SQL (no audit events): this
// measures reading, not the editorial write path.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { clinical, newTopic, publishSyntheticSql, rare, syntheticArticleSql, words } from "./synthetic-text.js";
import { openScratchDatabase } from "../src/db/scratch.js";
import { createApp, createServer } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { searchAllRevisions, searchPublished } from "../src/services/readers/index.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "10000" }, queries: { type: "string", default: "300" } } });
const count = Number(values.count);
const queryCount = Number(values.queries);
const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
const TARGET_P95_MS = 50;

function syntheticArticle(i: number) {
  newTopic();
  return {
    articleId: randomUUID(),
    revisionId: randomUUID(),
    draftId: i % 5 === 0 ? randomUUID() : null,
    slug: `synthetic-${i}`,
    title: `What about ${words(4)}?`,
    summary: words(40),
    sections: Array.from({ length: 6 }, () => ({ heading: words(3), body: Array.from({ length: 5 }, () => `- ${words(18)}`).join("\n") })),
    references: Array.from({ length: 4 }, (_, k) => ({ title: words(8), doi: `10.9999/syn.${i}.${k}`, pmid: String(10_000_000 + i * 4 + k) })),
  };
}

const insertSql = [
  ...syntheticArticleSql,
  `INSERT INTO reference (id, revision_id, key, position, type, title, doi, pmid)
   SELECT gen_random_uuid(), (x->>'revisionId')::uuid, 'r' || f.ord, f.ord - 1, 'RESEARCH', f.v->>'title', f.v->>'doi', f.v->>'pmid'
   FROM jsonb_array_elements($1::jsonb) x, jsonb_array_elements(x->'references') WITH ORDINALITY f(v, ord)`,
  publishSyntheticSql,
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(label: string, fn: (i: number) => Promise<unknown>, baselineP50?: number, nameOf?: (i: number) => string) {
  for (let i = 0; i < 20; i++) await fn(i); // warm-up
  const times: number[] = [];
  const slowest = new Map<string, number>();
  for (let i = 0; i < queryCount; i++) {
    const t0 = performance.now();
    await fn(i);
    const ms = performance.now() - t0;
    times.push(ms);
    if (nameOf) slowest.set(nameOf(i), Math.max(ms, slowest.get(nameOf(i)) ?? 0));
  }
  times.sort((a, b) => a - b);
  if (nameOf) {
    const worst = [...slowest].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([q, ms]) => `${q} ${ms.toFixed(0)} ms`);
    console.log(`  slowest queries: ${worst.join(", ")}`);
  }
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(times, p)) as [number, number, number];
  const ratio = baselineP50 ? ` (${(p50 / baselineP50).toFixed(1)}× baseline p50)` : "";
  console.log(`${label.padEnd(44)} p50 ${p50.toFixed(1).padStart(6)} ms  p95 ${p95.toFixed(1).padStart(6)} ms  p99 ${p99.toFixed(1).padStart(6)} ms${ratio}`);
  return { p50, p95 };
}

const database = await openScratchDatabase(serverUrl, "cms_bench");
try {
  console.log(`Seeding ${count.toLocaleString("en-US")} synthetic articles (${serverUrl ? "PostgreSQL server" : "embedded PGlite"})…`);
  const t0 = performance.now();
  for (let start = 0; start < count; start += 500) {
    const batch = JSON.stringify(Array.from({ length: Math.min(500, count - start) }, (_, k) => syntheticArticle(start + k)));
    const client = await database.pool.connect();
    try {
      await client.query("BEGIN");
      for (const sql of insertSql) await client.query(sql, [batch]);
      await client.query("COMMIT"); // the search documents are filled here, by the deferred trigger
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  }
  await database.pool.query("ANALYZE");
  const indexed = (await database.pool.query("SELECT count(*)::int AS n FROM revision_search")).rows[0].n;
  console.log(`Seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${indexed.toLocaleString("en-US")} revisions indexed.\n`);

  const queries = [
    ...clinical.slice(0, 20),
    "muscle spasm", "tizanidine dose", "renal impairment elderly", "\"spinal injury\"", "baclofen -sedation", "warfarin or apixaban",
    ...rare.slice(0, 30), ...rare.slice(1000, 1010).map((w) => `${w} pain`),
  ];
  const lookups = Array.from({ length: 50 }, (_, i) => (i % 2 ? `10.9999/syn.${i * 37 % count}.1` : String(10_000_000 + i * 53)));
  const slugs = Array.from({ length: 50 }, (_, i) => `synthetic-${(i * 197) % count}`);

  const baseline = await measure("baseline: one article by slug", (i) => database.prisma.article.findUnique({ where: { slug: slugs[i % slugs.length]! } }));
  const results = [
    await measure("public search (service)", (i) => searchPublished(database.prisma, queries[i % queries.length]!), baseline.p50, (i) => queries[i % queries.length]!),
    await measure("staff search, all revisions (service)", (i) => searchAllRevisions(database.prisma, queries[i % queries.length]!), baseline.p50),
    await measure("staff DOI / PMID look-up (service)", (i) => searchAllRevisions(database.prisma, lookups[i % lookups.length]!), baseline.p50),
  ];

  // Over HTTP as `npm start` serves it: the app's own listener (the hot path in front of Express).
  const app = createApp({ config: loadConfig({ NODE_ENV: "test", API_RATE_LIMIT_PER_MINUTE: "100000" }), database, log: () => {} });
  const server = createServer(app).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string) => {
    const res = await fetch(base + path);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    await res.arrayBuffer();
  };
  try {
    const httpBaseline = await measure("baseline over HTTP: GET /healthz", () => get("/healthz"), baseline.p50);
    results.push(await measure("GET /api/v1/search (HTTP, public)", (i) => get(`/api/v1/search?q=${encodeURIComponent(queries[i % queries.length]!)}`), baseline.p50));
    results.push(await measure("GET /search (HTTP, public results page)", (i) => get(`/search?q=${encodeURIComponent(queries[i % queries.length]!)}`), baseline.p50));
    const api = results[results.length - 2]!;
    const page = results[results.length - 1]!;
    console.log(`  over HTTP, p95 against the HTTP baseline's p95: API ${(api.p95 / httpBaseline.p95).toFixed(1)}×, results page ${(page.p95 / httpBaseline.p95).toFixed(1)}×`);
  } finally {
    server.closeAllConnections();
    server.close();
  }

  const leaked = await searchPublished(database.prisma, "unreleasedword");
  console.log(`\nDraft words found by the public search: ${leaked.length} (must be 0).`);
  const worst = Math.max(...results.map((r) => r.p95));
  console.log(`Slowest p95: ${worst.toFixed(1)} ms — target < ${TARGET_P95_MS} ms: ${worst < TARGET_P95_MS ? "met" : "NOT met"}.`);
  if (leaked.length || worst >= TARGET_P95_MS) process.exitCode = 1;
} finally {
  await database.close();
}
