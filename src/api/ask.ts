// GET /api/v1/ask: the instant answer of the /ask page as JSON (same service).
import { z } from "zod";
import type { Db } from "../db/database.js";
import { askQuerySchema, readerAudience } from "../services/readers/index.js";
import { askAndRecord, readerLimiter, type ReaderLimit } from "../routes/ask.js";
import { defineRoute } from "./define.js";

const askAnswerSchema = z.object({
  article: z.object({ slug: z.string(), title: z.string(), url: z.string() }),
  section: z.object({ heading: z.string(), url: z.string().meta({ description: "the section's anchor on the article page" }) }),
  text: z.string().meta({ description: "the passage word for word (list markers and emphasis removed), citations as [n] with the article's numbers" }),
  citations: z.array(z.object({ number: z.number().int(), title: z.string().nullable(), source: z.string().nullable(), year: z.number().int().nullable() })),
  reviewedBy: z.array(z.object({ name: z.string(), credentials: z.string().nullable(), meaning: z.string(), signedAt: z.string(), valid: z.boolean() })),
  lastReviewed: z.string().nullable(),
  pendingReview: z.boolean().meta({ description: "true when the passage is shown while pending review: show the caution banner" }),
});

export const askResultSchema = z.object({
  question: z.string(),
  status: z.enum(["answered", "no-reviewed-answer"]),
  answers: z.array(askAnswerSchema),
});

/** `limit` is shared with the /ask page: a flood is counted across both. */
export function askApiRoute(db: Db, options: { limit?: ReaderLimit }) {
  const limit = options.limit ?? readerLimiter(20);
  return defineRoute({
    method: "get", path: "/v1/ask", operationId: "ask", tag: "Public", access: "public",
    summary: "Answer a follow-up question from reviewed text",
    description: "Returns the passages of public articles (published, or shown while pending review with a caution) that answer the question, " +
      "with their citations and reviewers, or status \"no-reviewed-answer\". Nothing is generated. The question is kept, as text only, " +
      "for the editors' reader-questions queue. Questions with HTML, links, e-mail addresses or phone numbers are refused.",
    query: askQuerySchema,
    responses: { 200: { description: "The answer (or that no reviewed answer exists yet)", schema: askResultSchema } },
    refusals: [429],
    handler: async ({ query, req, res }) => {
      await limit(`ask:${req.ip}`);
      const audience = await readerAudience(db, query.for);
      const result = await askAndRecord(db, { q: query.q, article: query.article, audience: audience?.slug ?? null });
      // The question is the reader's own words: never stored by a shared cache.
      res.set("Cache-Control", "private, no-store");
      return {
        body: {
          question: result.question,
          status: result.status,
          answers: result.answers.map((a) => ({
            article: a.article, section: a.section, text: a.text, citations: a.citations,
            reviewedBy: a.reviewedBy, lastReviewed: a.lastReviewed, pendingReview: a.pendingReview,
          })),
        },
      };
    },
  });
}
