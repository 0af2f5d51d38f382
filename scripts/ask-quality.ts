// Answer quality on the quality set (scripts/ask-quality-set.ts): hit@3 (one of the first
// three passages comes from a section that answers the question) and the share of
// off-topic questions left unanswered. Shared by `npm run bench:ask` and its test.
import type { Db } from "../src/db/database.js";
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
