// npm run bench:figures [-- --duration 10]
// A published figure under load, beside a baseline measured in the same run: a plain node:http
// server sending the very same image bytes from memory. Each server runs in its own process (this
// one only generates load: autocannon, and wrk when installed), 50 connections. Also prints how
// long processing a 12-megapixel photo takes (check, orientation, metadata removed, re-encoded).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import http from "node:http";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import sharp from "sharp";
import { projectRoot } from "../src/paths.js";

const { values } = parseArgs({ options: { duration: { type: "string", default: "10" }, serve: { type: "string" }, file: { type: "string" } } });
const duration = Number(values.duration);

/** A 12-megapixel "photo" (4000 × 3000, noisy like a real one) with EXIF and GPS, as a phone writes it. */
async function twelveMegapixelPhoto(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (((i * 2654435761) >>> 24) ^ Math.floor(i / 3 / width)) & 255;
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: "Phone" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 24/1" } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** Serve mode (a child process): the app with a published figure, or node:http with the bytes. */
async function serve(kind: string) {
  if (kind === "baseline") {
    const { readFile } = await import("node:fs/promises");
    const body = await readFile(values.file!);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "image/webp", "Content-Length": body.length, "Cache-Control": "public, max-age=31536000, immutable" });
      res.end(body);
    });
    server.listen(0, "127.0.0.1", () => console.log(`Listening on http://127.0.0.1:${(server.address() as { port: number }).port}`));
    return;
  }
  const { openScratchDatabase } = await import("../src/db/scratch.js");
  const { seedDatabase } = await import("../src/services/seed.js");
  const { createApp, createServer, publicDeliveryOf } = await import("../src/app.js");
  const { loadConfig } = await import("../src/config.js");
  const { processUpload } = await import("../src/content/images.js");
  const { storeImage, saveRevision } = await import("../src/services/editorial/index.js");
  const { applyTransition } = await import("../src/services/review/index.js");
  const { systemContext } = await import("../src/audit/audit-log.js");
  const { DEMO_PASSWORD } = await import("../seed/demo-users.js");
  const database = await openScratchDatabase(process.env.BENCH_DATABASE_URL || undefined, "cms_bench_figures");
  await seedDatabase(database.prisma, { demoUsers: true });
  const db = database.prisma;
  const user = async (email: string) => db.user.findUniqueOrThrow({ where: { email } });
  const [alice, priya, sam] = [await user("alice.editor@demo.test"), await user("priya.reviewer@demo.test"), await user("sam.admin@demo.test")];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900"><rect width="1600" height="900" fill="white"/><rect x="80" y="80" width="500" height="200" fill="#0b5cad"/><rect x="800" y="500" width="500" height="200" fill="#1f7a3a"/></svg>`;
  const image = await processUpload(await sharp(Buffer.from(svg)).png().toBuffer(), { name: "algorithm.png", maxBytes: 10 * 1024 * 1024 });
  await db.$transaction((tx) => storeImage(tx, systemContext("bench"), alice, image, { originalName: "algorithm.png", via: "seed" }));
  const article = await db.article.findFirstOrThrow({ include: { currentRevision: true } });
  const { findRevision, toContent } = await import("../src/services/editorial/index.js");
  const step = async (who: typeof alice, name: "withdraw" | "submit" | "start_review" | "approve" | "publish", extra: Record<string, string> = {}) => {
    const a = await db.article.findUniqueOrThrow({ where: { id: article.id }, include: { currentRevision: true } });
    await applyTransition(db, systemContext("bench"), who, a.id, name, {
      revisionId: a.currentRevision!.id, expectedState: a.currentRevision!.state, comment: "", password: "", meaning: "", overrideReason: "", reviewerIds: [], reviewDue: null, ...extra,
    });
  };
  await step(alice, "withdraw");
  const current = (await findRevision(db, (await db.article.findUniqueOrThrow({ where: { id: article.id } })).currentRevisionId!))!;
  const content = toContent(current);
  for (const r of content.references) if (r.detailsMissing) Object.assign(r, { title: `Source ${r.key}`, source: "Journal", year: 2020, detailsMissing: false });
  content.figures = [{ key: "algorithm", sectionKey: "treatment-algorithm", image: image.hash, decorative: false, alt: "Treatment algorithm", caption: "", credit: "", licence: "", referenceKey: null, variants: [] }];
  await saveRevision(db, systemContext("bench"), alice, article.id, { baseRevisionId: current.id, content, changeNote: "figure" });
  await step(alice, "submit");
  await step(priya, "start_review");
  await step(priya, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" });
  await step(sam, "publish");
  const app = createApp({ config: loadConfig({ NODE_ENV: "test", COOKIE_SECURE: "false" }), database });
  await publicDeliveryOf(app).ready;
  const server = createServer(app);
  server.listen(0, "127.0.0.1", () => console.log(`Listening on http://127.0.0.1:${(server.address() as { port: number }).port} FIGURE /media/${image.hash}-960.webp`));
}

function start(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/bench-figures.ts", ...args], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const port = /Listening on http:\/\/[^:]+:(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}`, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

const stop = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGTERM"))));

async function load(url: string) {
  const result = await autocannon({ url, connections: 50, duration });
  return { reqPerSec: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx };
}

function wrk(url: string): number | null {
  if (spawnSync("sh", ["-c", "command -v wrk"]).status !== 0) return null;
  const out = spawnSync("wrk", ["-t2", "-c50", `-d${duration}s`, url], { encoding: "utf8" }).stdout;
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

async function main() {
  // Processing a 12-megapixel photo: what an editor waits for after choosing one.
  const { processUpload } = await import("../src/content/images.js");
  const photo = await twelveMegapixelPhoto();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await processUpload(photo, { name: "photo.jpg", maxBytes: 50 * 1024 * 1024 });
    times.push(performance.now() - started);
  }
  const best = Math.min(...times);
  console.log(`12-megapixel photo (${(photo.length / 1024 / 1024).toFixed(1)} MB JPEG with EXIF and GPS): processed in ${(best / 1000).toFixed(2)} s (best of 3; runs ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s; goal < 1.5 s)`);

  const app = await start(["--serve", "app"]);
  const figurePath = /FIGURE (\S+)/.exec(app.output())![1]!;
  const figureUrl = `${app.url}${figurePath}`;
  const first = await fetch(figureUrl);
  if (first.status !== 200) throw new Error(`the figure answered ${first.status}`);
  const bytes = Buffer.from(await first.arrayBuffer());
  const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const dir = await mkdtemp(path.join(tmpdir(), "bench-figures-"));
  const file = path.join(dir, "figure.webp");
  await writeFile(file, bytes);
  const baseline = await start(["--serve", "baseline", "--file", file]);
  try {
    const figure = await load(figureUrl);
    const plain = await load(`${baseline.url}/figure.webp`);
    console.log(`Figure ${figurePath.slice(0, 24)}… (${(bytes.length / 1024).toFixed(1)} KB webp, 50 connections, ${duration} s, autocannon):`);
    console.log(`  app (hot path, cached): ${figure.reqPerSec.toFixed(0)} req/s, p99 ${figure.p99} ms, non-2xx ${figure.non2xx}`);
    console.log(`  node:http, same bytes:  ${plain.reqPerSec.toFixed(0)} req/s, p99 ${plain.p99} ms`);
    console.log(`  ratio: ${(figure.reqPerSec / plain.reqPerSec).toFixed(2)}x (goal >= 0.7x)`);
    const wrkApp = wrk(figureUrl);
    if (wrkApp !== null) {
      const wrkPlain = wrk(`${baseline.url}/figure.webp`)!;
      console.log(`  wrk: app ${wrkApp.toFixed(0)} req/s, node:http ${wrkPlain.toFixed(0)} req/s, ratio ${(wrkApp / wrkPlain).toFixed(2)}x`);
    } else console.log("  (wrk is not installed: `apt-get install -y wrk` adds its figures)");
  } finally {
    await stop(app.child);
    await stop(baseline.child);
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.serve) await serve(values.serve);
else await main();
