// npm run bench:public [-- --articles 10000 --duration 10]
// The public site under load, against baselines measured in the same run: a plain
// node:http server and a bare Express app, each sending the very same page bytes from
// memory (the node:http one is the reference: what this Node process could send). For each database (the
// embedded default, and PostgreSQL when BENCH_DATABASE_URL is set) it starts the
// compiled app in its own process, seeds synthetic articles, and loads it with
// autocannon (50 connections): the article page, a 304 revalidation and the index.
// It then walks every page of the public index and the staff dashboard once (each a
// first render, no cache) for their p95 at that size, and, when nginx is installed,
// serves the static export with nginx and checks it sends the same bytes.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { openDatabase } from "../src/db/database.js";
import { openScratchDatabase } from "../src/db/scratch.js";
import { seedDatabase } from "../src/services/seed.js";
import { signInOverHttp } from "./bench-sign-in.js";
import { projectRoot } from "../src/paths.js";
import { seedSyntheticArticles } from "./seed-bulk-articles.js";

const { values } = parseArgs({ options: { articles: { type: "string", default: "10000" }, duration: { type: "string", default: "10" } } });
const articleCount = Number(values.articles);
const duration = Number(values.duration);
const ARTICLE = "/articles/treatment-options-for-muscle-spasms";
const WORDPRESS_REQ_S = 47; // WordPress 6.1, default theme, no page cache, same machine (issue figures)

function startProcess(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const port = /Listening on http:\/\/[^:]+:(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}` });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

function stop(child: ChildProcess) {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

interface Load { reqPerSec: number; p50: number; p99: number; non2xx: number }

async function load(url: string, headers: Record<string, string> = {}): Promise<Load> {
  const result = await autocannon({ url, connections: 50, duration, headers });
  return { reqPerSec: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

const hasWrk = spawnSync("sh", ["-c", "command -v wrk"]).status === 0;
if (!hasWrk) console.log("(wrk is not installed: measuring with autocannon only; `apt-get install -y wrk` adds the wrk figures.)");

/** The same load from wrk (2 threads, 50 connections), the tool the reference figures used. */
async function wrkLoad(url: string, headers: Record<string, string> = {}): Promise<Load> {
  const args = ["-t2", "-c50", `-d${duration}s`, "--latency", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url];
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  await new Promise((resolve) => child.once("exit", resolve));
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { reqPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50: ms("50"), p99: ms("99"), non2xx };
}

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Follows rel="next" links from `start`, timing each page (every one a first render). */
async function walk(base: string, start: string, headers: Record<string, string> = {}) {
  const times: number[] = [];
  let next: string | undefined = start;
  while (next) {
    const t0 = performance.now();
    const res = await fetch(base + next, { headers });
    const html = await res.text();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${next} answered ${res.status}`);
    next = /<a href="([^"]+)" rel="next">/.exec(html)?.[1]?.replace(/&amp;/g, "&");
  }
  return { pages: times.length, p50: percentile(times, 50), p95: percentile(times, 95) };
}


/** A separate process sending `bytes` for every request: a bare Express app, or plain node:http. */
async function baseline(bytes: Buffer, kind: "express" | "node:http") {
  const script = path.join(await mkdtemp(path.join(tmpdir(), "bench-baseline-")), "baseline.mjs");
  await writeFile(script.replace(/baseline\.mjs$/, "page.html"), bytes);
  const server =
    kind === "express"
      ? `import express from ${JSON.stringify(path.join(projectRoot, "node_modules/express/index.js"))};
const app = express();
app.get(/.*/, (_req, res) => res.type("html").send(page));
const server = app.listen(0, "127.0.0.1", () => console.log("Listening on http://localhost:" + server.address().port));`
      : `import http from "node:http";
const server = http.createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": page.length });
  res.end(page);
});
server.listen(0, "127.0.0.1", () => console.log("Listening on http://localhost:" + server.address().port));`;
  await writeFile(script, `import { readFileSync } from "node:fs";\nconst page = readFileSync(new URL("./page.html", import.meta.url));\n${server}\n`);
  return startProcess([script], {});
}

/** Loads a baseline server with autocannon (and wrk when installed), then stops it. */
async function measureBaseline(bytes: Buffer, kind: "express" | "node:http") {
  const base = await baseline(bytes, kind);
  try {
    return { autocannon: await load(base.url + ARTICLE), wrk: hasWrk ? await wrkLoad(base.url + ARTICLE) : undefined };
  } finally {
    await stop(base.child);
  }
}

async function nginxCheck(exportDir: string, appUrl: string) {
  if (spawnSync("sh", ["-c", "command -v nginx"]).status !== 0) return null;
  const dir = await mkdtemp(path.join(tmpdir(), "bench-nginx-"));
  await chmod(dir, 0o755);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = path.join(dir, "nginx.conf");
  await writeFile(
    conf,
    `user root; worker_processes 2; pid ${dir}/nginx.pid; error_log ${dir}/error.log; daemon off;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  types { text/html html; application/xml xml; text/css css; }
  server { listen 127.0.0.1:${port}; root ${exportDir}; location / { try_files $uri/index.html $uri =404; } }
}
`,
  );
  const nginx = spawn("nginx", ["-c", conf], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  try {
    const url = `http://127.0.0.1:${port}`;
    const [fromNginx, fromApp] = await Promise.all([fetch(url + ARTICLE).then((r) => r.arrayBuffer()), fetch(appUrl + ARTICLE, { headers: { "accept-encoding": "identity" } }).then((r) => r.arrayBuffer())]);
    const same = Buffer.from(fromNginx).equals(Buffer.from(fromApp));
    return { same, load: await load(url + ARTICLE) };
  } finally {
    nginx.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function benchDatabase(label: string, databaseUrl: string | undefined) {
  const work = await mkdtemp(path.join(tmpdir(), "bench-public-"));
  const dataDir = path.join(work, "pglite");
  let scratch: Awaited<ReturnType<typeof openScratchDatabase>> | undefined;
  const t0 = Date.now();
  // Seed before the app starts: the embedded database has one owner at a time.
  if (databaseUrl) {
    scratch = await openScratchDatabase(databaseUrl, "cms_bench_public");
    await seedDatabase(scratch.prisma, { demoUsers: true });
    await seedSyntheticArticles(scratch.prisma, articleCount);
  } else {
    const database = await openDatabase({ dataDir });
    await seedDatabase(database.prisma, { demoUsers: true });
    await seedSyntheticArticles(database.prisma, articleCount);
    await database.close();
  }
  console.error(`[${label}] seeded ${articleCount} synthetic articles in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const exportDir = path.join(work, "export");
  const app = await startProcess([path.join(projectRoot, "dist/src/server.js")], {
    PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, STATIC_EXPORT_DIR: exportDir, SEED_DEMO_USERS: "true",
    ...(scratch?.url ? { DATABASE_URL: scratch.url } : { DATABASE_URL: "" }),
  });
  try {
    // Wait for the initial export (the app writes it right after it starts listening).
    for (let i = 0; i < 600; i++) {
      const done = await readFile(path.join(exportDir, "feed.xml")).then(() => true, () => false);
      if (done) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const pageBytes = Buffer.from(await (await fetch(app.url + ARTICLE, { headers: { "accept-encoding": "identity" } })).arrayBuffer());
    const etag = (await fetch(app.url + ARTICLE, { headers: { "accept-encoding": "identity" } })).headers.get("etag")!;
    const results: Record<string, Load> = {};
    const nodeHttp = await measureBaseline(pageBytes, "node:http");
    const expressBaseline = await measureBaseline(pageBytes, "express");
    results.nodeHttp = nodeHttp.autocannon;
    results.baseline = expressBaseline.autocannon;
    if (nodeHttp.wrk) results.wrkNodeHttp = nodeHttp.wrk;
    if (expressBaseline.wrk) results.wrkBaseline = expressBaseline.wrk;
    if (hasWrk) results.wrkArticle = await wrkLoad(app.url + ARTICLE);
    results.article = await load(app.url + ARTICLE);
    results.revalidate = await load(app.url + ARTICLE, { "if-none-match": etag });
    results.index = await load(app.url + "/articles");
    const index = await walk(app.url, "/articles?after=a");
    const session = { cookie: await signInOverHttp(app.url, "sam.admin@demo.test") };
    const dashboard = await walk(app.url, "/editor", session);
    const nginx = await nginxCheck(exportDir, app.url);

    const rows = [
      ["node:http sending the same bytes (baseline)", results.nodeHttp!],
      ["Express sending the same bytes", results.baseline!],
      ["Article page", results.article!],
      ["Article page, 304 revalidation", results.revalidate!],
      ["Article index, first page", results.index!],
      ...(nginx ? [["nginx serving the static export", nginx.load] as const] : []),
    ] as const;
    console.log(`\n### ${label}: ${fmt(pageBytes.length)}-byte article page, ${fmt(articleCount)} synthetic articles, 50 connections, ${duration} s each\n`);
    console.log("| What (autocannon) | req/s | p50 | p99 | vs node:http | vs Express | non-2xx (304s here) |");
    console.log("|---|---|---|---|---|---|---|");
    for (const [what, r] of rows) {
      console.log(`| ${what} | ${fmt(r.reqPerSec)} | ${r.p50} ms | ${r.p99} ms | ${(r.reqPerSec / results.nodeHttp!.reqPerSec).toFixed(2)}× | ${(r.reqPerSec / results.baseline!.reqPerSec).toFixed(2)}× | ${r.non2xx} |`);
    }
    console.log(`\n- Article page vs WordPress (${WORDPRESS_REQ_S} req/s): ${fmt(results.article!.reqPerSec / WORDPRESS_REQ_S)}× (autocannon)`);
    if (results.wrkArticle && results.wrkBaseline && results.wrkNodeHttp) {
      const a = results.wrkArticle, b = results.wrkBaseline, n = results.wrkNodeHttp;
      console.log(`- With wrk (2 threads, 50 connections): node:http ${fmt(n.reqPerSec)} req/s (p99 ${n.p99} ms); Express ${fmt(b.reqPerSec)} req/s (p99 ${b.p99} ms); article page ${fmt(a.reqPerSec)} req/s (p50 ${a.p50} ms, p99 ${a.p99} ms): **${(a.reqPerSec / n.reqPerSec).toFixed(2)}× node:http**, ${(a.reqPerSec / b.reqPerSec).toFixed(2)}× Express, ${fmt(a.reqPerSec / WORDPRESS_REQ_S)}× WordPress`);
    } else {
      console.log("- wrk not installed: no wrk figures");
    }
    console.log(`- Public index, every page rendered once (${index.pages} pages): p50 ${index.p50.toFixed(1)} ms, p95 ${index.p95.toFixed(1)} ms`);
    console.log(`- Staff dashboard, every page (${dashboard.pages} pages, signed in): p50 ${dashboard.p50.toFixed(1)} ms, p95 ${dashboard.p95.toFixed(1)} ms`);
    if (nginx) console.log(`- Static export served by nginx: ${nginx.same ? "the same bytes as the app" : "DIFFERENT bytes from the app"}`);
    else console.log("- nginx not installed: static export not load-tested (`apt-get install -y nginx-light`)");
  } finally {
    await stop(app.child);
    await scratch?.close();
    await rm(work, { recursive: true, force: true });
  }
}

const build = spawnSync(process.execPath, [path.join(projectRoot, "scripts/ensure-build.mjs")], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
await benchDatabase("Embedded database (PGlite)", undefined);
if (process.env.BENCH_DATABASE_URL) await benchDatabase("PostgreSQL server", process.env.BENCH_DATABASE_URL);
else console.log("\n(Set BENCH_DATABASE_URL to also measure on a PostgreSQL server.)");
process.exit(0);
