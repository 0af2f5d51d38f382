// npm run bench:ask [-- --count 10000 --queries 300]
// Instant answers at scale, on the embedded PGlite and (when BENCH_DATABASE_URL or
// TEST_DATABASE_URL names one) on a PostgreSQL server, in the same run: seeds COUNT synthetic
// published articles (one in five with a newer draft) beside the seeded article, then prints
// - answer quality on the quality set (scripts/ask-quality-set.ts): hit@3 and the share of
//   off-topic questions left unanswered (aims: ≥ 90% and 100%);
// - answer time p50/p95/p99 (service), beside a bare full-text query of the same words on
//   the same passages in the same run. Target: answer p95 < 50 ms at 10,000 articles.
// A benchmark, not a test: figures on a shared machine are noisy.
import { randomUUID } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { clinical, newTopic, publishSyntheticSql, rare, restartRandom, syntheticArticleSql, words } from "./synthetic-text.js";
import { openScratchDatabase } from "../src/db/scratch.js";
import { seedDatabase } from "../src/services/seed.js";
import { answerQuestion, bareFullTextQuery } from "../src/services/readers/index.js";
import { measureAnswerQuality, qualityLines } from "./ask-quality.js";
import { offTopicQuestions, onTopicQuestions } from "./ask-quality-set.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "10000" }, queries: { type: "string", default: "300" } } });
const count = Number(values.count);
const queryCount = Number(values.queries);
const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
const TARGET_P95_MS = 50;

function syntheticArticle(i: number) {
  newTopic();
  return {
    articleId: randomUUID(), revisionId: randomUUID(), draftId: i % 5 === 0 ? randomUUID() : null, slug: `synthetic-${i}`,
    title: `What about ${words(4)}?`, summary: words(40),
    sections: Array.from({ length: 6 }, () => ({ heading: words(3), body: Array.from({ length: 5 }, () => `- ${words(18)}`).join("\n") })),
  };
}

const insertSql = [...syntheticArticleSql, publishSyntheticSql];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(label: string, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < queryCount; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(times, p)) as [number, number, number];
  console.log(`  ${label.padEnd(40)} p50 ${p50.toFixed(1).padStart(6)} ms  p95 ${p95.toFixed(1).padStart(6)} ms  p99 ${p99.toFixed(1).padStart(6)} ms`);
  return { p50, p95 };
}

const questions = [
  ...onTopicQuestions.map((q) => q.question), ...offTopicQuestions,
  ...Array.from({ length: 40 }, (_, i) => `Does ${clinical[i % clinical.length]} help ${clinical[(i * 7 + 3) % clinical.length]}?`),
  ...rare.slice(0, 20).map((w, i) => `What is ${w} used for with ${clinical[i]}?`),
];

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
console.log(`${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; load average ${load()}`);

let failed = false;
for (const target of [undefined, ...(serverUrl ? [serverUrl] : [])]) {
  restartRandom();
  const database = await openScratchDatabase(target, "cms_bench_ask");
  try {
    console.log(`\n${target ? "PostgreSQL server" : "Embedded PGlite"}: seeding ${count.toLocaleString("en-US")} synthetic articles and the seeded article…`);
    const t0 = performance.now();
    await seedDatabase(database.prisma, { demoUsers: false });
    for (let start = 0; start < count; start += 500) {
      const batch = JSON.stringify(Array.from({ length: Math.min(500, count - start) }, (_, k) => syntheticArticle(start + k)));
      const client = await database.pool.connect();
      try {
        await client.query("BEGIN");
        for (const sql of insertSql) await client.query(sql, [batch]);
        await client.query("COMMIT"); // passages are written here, by the deferred trigger
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      } finally {
        client.release();
      }
    }
    await database.pool.query("ANALYZE");
    const passages = (await database.pool.query("SELECT count(*)::int AS n FROM answer_passage")).rows[0].n as number;
    console.log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${passages.toLocaleString("en-US")} passages`);

    const quality = await measureAnswerQuality(database.prisma);
    for (const line of qualityLines(quality)) console.log(`  ${line}`);

    const answer = await measure("answer (service)", (i) => answerQuestion(database.prisma, questions[i % questions.length]!));
    await measure("bare full-text query, same words", (i) => bareFullTextQuery(database.prisma, questions[i % questions.length]!));
    const leaked = (await answerQuestion(database.prisma, "unreleasedword")).answers.length;
    console.log(`  draft words in answers: ${leaked} (must be 0); answer p95 ${answer.p95.toFixed(1)} ms — target < ${TARGET_P95_MS} ms: ${answer.p95 < TARGET_P95_MS ? "met" : "NOT met"} (load average ${load()})`);
    if (leaked || answer.p95 >= TARGET_P95_MS || quality.hitAt3 < 0.9 || quality.offTopicUnanswered < 1) failed = true;
  } finally {
    await database.close();
  }
}
if (failed) process.exitCode = 1;
