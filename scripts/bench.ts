// npm run bench [-- --count 1000000]
// Measures the audit trail at scale: verification, CSV and JSON Lines export over
// HTTP, and site-wide log pages at the newest and oldest end. Each figure is printed
// with its ratio to a baseline measured in the same run: a bare keyset scan of
// the same rows (for verify and export) and the first log page (for deep pages).
// Uses a fresh database on the server in BENCH_DATABASE_URL / TEST_DATABASE_URL,
// or an embedded one.
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { openScratchDatabase } from "../src/db/scratch.js";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { verifyAuditChain } from "../src/audit/verify.js";
import { createUser } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { seedAuditEvents } from "./seed-audit-events.js";
import { signInOverHttp } from "./bench-sign-in.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "1000000" } } });
const count = Number(values.count);
const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await fn();
  return [(performance.now() - t0) / 1000, result];
}

/** Peak resident memory while fn runs, sampled every 50 ms. */
async function peakRss<T>(fn: () => Promise<T>): Promise<[number, T]> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const result = await fn();
    return [peak, result];
  } finally {
    clearInterval(timer);
  }
}


// The downloading client runs in its own process, so the peak memory measured is the app's
// alone (a client in this process would add its own buffers of the 500+ MB it receives).
const downloader = `
  const [url, cookie] = process.argv.slice(1);
  const res = await fetch(url, { headers: { cookie } });
  if (res.status !== 200) { console.error(url + ": " + res.status); process.exit(1); }
  let bytes = 0, lines = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  console.log(JSON.stringify({ bytes, lines }));`;

/** Downloads a URL in a child process, discarding the body; returns bytes and lines. */
async function download(url: string, cookie: string): Promise<{ bytes: number; lines: number }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", downloader, url, cookie], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`downloading ${url} failed`);
  return JSON.parse(out);
}

const database = await openScratchDatabase(serverUrl, "cms_bench");
const fmt = (s: number) => `${s.toFixed(2)} s`;
const rows: [string, string, string][] = [];
try {
  console.log(`Database: ${database.kind}. Appending ${count.toLocaleString("en-US")} chained audit events...`);
  const [seedTime] = await timed(() => seedAuditEvents(database.pool, count));
  console.log(`  appended in ${fmt(seedTime)} (${Math.round(count / seedTime).toLocaleString("en-US")} events/s)`);
  await database.pool.query("ANALYZE audit_event");

  // Baseline: read every row by keyset, doing nothing with it.
  const [scan] = await timed(async () => {
    let last = "0";
    for (;;) {
      const { rows: batch } = await database.pool.query("SELECT * FROM audit_event WHERE id > $1 ORDER BY id LIMIT 5000", [last]);
      if (!batch.length) return;
      last = String(batch[batch.length - 1].id);
    }
  });
  rows.push(["baseline: keyset scan of all events", fmt(scan), "1.00×"]);

  const [verifyTime, verify] = await timed(() => verifyAuditChain(database.pool));
  if (!verify.ok || verify.checked !== count) throw new Error(`verify failed: ${JSON.stringify(verify)}`);
  rows.push([`audit:verify (${verify.checked.toLocaleString("en-US")} events)`, fmt(verifyTime), `${(verifyTime / scan).toFixed(2)}×`]);

  const config = loadConfig({ NODE_ENV: "test", COOKIE_SECURE: "false" });
  await createUser(database.prisma, systemContext("bench"), { email: "bench.admin@load.test", name: "Bench Admin", role: "ADMIN", password: "bench-password-123" });
  const server = createApp({ config, database }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cookie = await signInOverHttp(base, "bench.admin@load.test", "bench-password-123");
    const rssBefore = process.memoryUsage().rss;
    for (const format of ["csv", "jsonl"] as const) {
      const [peak, [t, result]] = await peakRss(() => timed(() => download(`${base}/admin/audit/export.${format}`, cookie)));
      rows.push([
        `export.${format} over HTTP (${result.lines.toLocaleString("en-US")} lines, ${(result.bytes / 1e6).toFixed(0)} MB, peak RSS +${Math.max(0, (peak - rssBefore) / 1e6).toFixed(0)} MB)`,
        fmt(t), `${(t / scan).toFixed(2)}×`,
      ]);
    }
    const [first] = await timed(() => fetch(`${base}/admin/audit`, { headers: { cookie } }).then((r) => r.text()));
    const oldest = (await database.pool.query("SELECT min(id) + 60 AS id FROM audit_event")).rows[0].id;
    const [deep] = await timed(() => fetch(`${base}/admin/audit?before=${oldest}`, { headers: { cookie } }).then((r) => r.text()));
    const article = (await database.pool.query("SELECT article_id FROM audit_event WHERE article_id IS NOT NULL LIMIT 1")).rows[0].article_id;
    const [filtered] = await timed(() => fetch(`${base}/admin/audit?article=${article}&action=comment.created`, { headers: { cookie } }).then((r) => r.text()));
    rows.push(["log page: newest 50 (baseline for pages)", `${(first * 1000).toFixed(0)} ms`, "1.00×"]);
    rows.push(["log page: oldest 50 (keyset, deepest page)", `${(deep * 1000).toFixed(0)} ms`, `${(deep / first).toFixed(2)}×`]);
    rows.push(["log page: filtered by article and action", `${(filtered * 1000).toFixed(0)} ms`, `${(filtered / first).toFixed(2)}×`]);
  } finally {
    server.close();
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nResults (${count.toLocaleString("en-US")} events, ${database.kind} database):`);
  for (const [what, figure, ratio] of rows) console.log(`  ${what.padEnd(width)}  ${figure.padStart(9)}  ${ratio.padStart(7)}`);
} finally {
  await database.close();
}
process.exit(0);
