// Answer quality on the seeded article, asserted as a floor (these are not timings):
// the quality set's follow-up questions, in professional and lay wording, find a passage
// of a section that answers them among the first three; off-topic questions get none.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSeededDatabase, type TestDatabase } from "./support/index.js";
import { measureAnswerQuality } from "../scripts/ask-quality.js";

let database: TestDatabase;
beforeAll(async () => (database = await createSeededDatabase()));
afterAll(() => database?.close());

it("answers at least 90% of the quality set within the first three passages and leaves every off-topic question unanswered", async () => {
  const quality = await measureAnswerQuality(database.prisma);
  expect(quality.wronglyAnswered).toEqual([]);
  expect(quality.offTopicUnanswered).toBe(1);
  expect(quality.hitAt3, `missed: ${quality.misses.join(" | ")}`).toBeGreaterThanOrEqual(0.9);
});
