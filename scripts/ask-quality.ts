// Answer quality on the quality set (scripts/ask-quality-set.ts): hit@3 (one of the first
// three passages comes from a section that answers the question) and the share of
// off-topic questions left unanswered. Shared by `npm run bench:ask` and its test.
// Run alone (`npx tsx scripts/ask-quality.ts`) it prints both for the seeded article in a
// scratch database: embedded, or on the server named by BENCH_DATABASE_URL or TEST_DATABASE_URL.
import { pathToFileURL } from "node:url";
import type { Db } from "../src/db/database.js";
import { openScratchDatabase } from "../src/db/scratch.js";
import { seedDatabase } from "../src/services/seed.js";
import { answerQuestion } from "../src/services/readers/index.js";
import { offTopicQuestions, onTopicQuestions } from "./ask-quality-set.js";

const sectionOf = (url: string) => /#section-(.+)$/.exec(url)?.[1] ?? "summary";

export async function measureAnswerQuality(db: Db) {
  const misses: string[] = [];
  let hits = 0;
  for (const { question, sections } of onTopicQuestions) {
    const result = await answerQuestion(db, question);
    if (result.answers.slice(0, 3).some((a) => sections.includes(sectionOf(a.section.url)))) hits++;
    else misses.push(question);
  }
  const wronglyAnswered: string[] = [];
  for (const question of offTopicQuestions) {
    const result = await answerQuestion(db, question);
    if (result.status !== "no-reviewed-answer") wronglyAnswered.push(question);
  }
  return {
    hitAt3: hits / onTopicQuestions.length,
    offTopicUnanswered: (offTopicQuestions.length - wronglyAnswered.length) / offTopicQuestions.length,
    misses,
    wronglyAnswered,
  };
}

/** The figures as the benchmark prints them. */
export function qualityLines(quality: Awaited<ReturnType<typeof measureAnswerQuality>>): string[] {
  return [
    `quality: hit@3 ${(quality.hitAt3 * 100).toFixed(0)}% of ${onTopicQuestions.length} (aim ≥ 90%), off-topic left unanswered ${(quality.offTopicUnanswered * 100).toFixed(0)}% of ${offTopicQuestions.length} (aim 100%)`,
    ...(quality.misses.length ? [`missed: ${quality.misses.join(" | ")}`] : []),
    ...(quality.wronglyAnswered.length ? [`answered although off-topic: ${quality.wronglyAnswered.join(" | ")}`] : []),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const database = await openScratchDatabase(process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL, "cms_ask_quality");
  try {
    await seedDatabase(database.prisma, { demoUsers: false });
    for (const line of qualityLines(await measureAnswerQuality(database.prisma))) console.log(line);
  } finally {
    await database.close();
  }
}
