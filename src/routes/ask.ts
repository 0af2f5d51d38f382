// The public "Have a follow-up question?" pages: /ask (answers from reviewed text only),
// the Yes/No vote under each answer, the optional e-mail to be told once, and "Report a
// problem with this article". Mounted before sessions: readers get no cookie (decision
// 0007), so the POST forms carry signed tokens instead of CSRF tokens (decision 0033).
import { Router, type Request, type Response } from "express";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { answerQuestion, readerAudience, type AskResult, askQuerySchema, feedbackSchema, notifySchema, QUESTION_MAX_CHARS, recordFeedback, recordReaderQuestion, REPORT_MAX_CHARS, reportableArticle, reportProblem, reportSchema, signToken, storeNotificationAddress } from "../services/readers/index.js";
import { auditContext } from "../web/context.js";
import { fieldErrorsOf } from "../web/validate.js";
import { rememberedAudience } from "../public/serve.js";

export type ReaderLimit = (key: string) => Promise<void>;

export interface AskRouteOptions {
  secret: string;
  /** Shared with GET /api/v1/ask. */
  limit: ReaderLimit;
  retentionDays: number;
}

/** One limiter per process for everything a reader can send (questions, votes, reports, addresses). */
export function readerLimiter(ratePerMinute: number): ReaderLimit {
  const limiter = new RateLimiterMemory({ points: ratePerMinute, duration: 60 });
  return async (key: string) => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError("TOO_MANY_REQUESTS", `You have sent many questions in a short time. Please wait ${retryAfterSeconds} seconds and try again.`, { retryAfterSeconds });
    }
  };
}

function noindex(res: Response) {
  res.setHeader("X-Robots-Tag", "noindex, nofollow");
  res.setHeader("Cache-Control", "private, no-store");
}

/** A question, its answer and the counting: shared by the page and the API. */
export async function askAndRecord(db: Db, input: { q: string; article?: string; audience: string | null }): Promise<AskResult & { groupId: string }> {
  const result = await answerQuestion(db, input.q, { audience: input.audience });
  const { groupId } = await recordReaderQuestion(db, { kind: "QUESTION", text: input.q, normalized: result.normalized, articleSlug: input.article, answerShown: result.status === "answered" });
  return { ...result, groupId };
}

export function askRoutes(db: Db, options: AskRouteOptions) {
  const router = Router();
  const limit = options.limit;

  const renderAsk = (res: Response, status: number, locals: Record<string, unknown>) => {
    noindex(res);
    res.status(status).render("ask", {
      title: "Ask a follow-up question", noindex: true, maxChars: QUESTION_MAX_CHARS, retentionDays: options.retentionDays,
      q: "", article: "", forAudience: "", error: null, result: null, feedbackTokens: [], notifyToken: null, notice: null, ...locals,
    });
  };

  router.get("/ask", async (req, res) => {
    const typed = typeof req.query.q === "string" ? req.query.q.slice(0, 2000) : "";
    const article = typeof req.query.article === "string" && /^[a-z0-9-]{1,200}$/.test(req.query.article) ? req.query.article : "";
    const forAudience = typeof req.query.for === "string" && /^[a-z0-9-]{1,60}$/.test(req.query.for) ? req.query.for : "";
    if (req.query.q === undefined) return renderAsk(res, 200, { article, forAudience });
    const parsed = askQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const error = Object.values(fieldErrorsOf(parsed.error))[0] ?? "Please check your question.";
      return renderAsk(res, 400, { q: typed, article, forAudience, error });
    }
    try {
      await limit(`ask:${req.ip}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
      return renderAsk(res, 429, { q: typed, article, forAudience, error: error.message });
    }
    const audience = await readerAudience(db, parsed.data.for ?? rememberedAudience.exec(req.headers.cookie ?? "")?.[1]);
    const result = await askAndRecord(db, { q: parsed.data.q, article: parsed.data.article, audience: audience?.slug ?? null });
    renderAsk(res, 200, {
      q: parsed.data.q, article, forAudience, result, audience,
      feedbackTokens: result.answers.map(() => signToken(options.secret, "feedback", result.groupId)),
      notifyToken: result.status === "no-reviewed-answer" ? signToken(options.secret, "notify", result.groupId) : null,
    });
  });

  // Votes, addresses and reports: a refusal is a sentence on the same kind of page, nothing changes.
  const refusal = (res: Response, error: unknown, locals: Record<string, unknown>, view: string) => {
    if (!(error instanceof AppError) || !["BAD_REQUEST", "NOT_FOUND", "TOO_MANY_REQUESTS"].includes(error.code)) throw error;
    if (typeof error.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
    noindex(res);
    const status = { BAD_REQUEST: 400, NOT_FOUND: 404, TOO_MANY_REQUESTS: 429 }[error.code as "BAD_REQUEST"];
    const fieldErrors = error.details.fieldErrors ?? {};
    res.status(status).render(view, { title: "Clinical Answers", noindex: true, error: Object.values(fieldErrors)[0] ?? error.message, ...locals });
  };
  const body = (req: Request, field: string) => (typeof req.body?.[field] === "string" ? (req.body[field] as string).slice(0, 2000) : "");

  router.post("/ask/feedback", async (req, res) => {
    try {
      await limit(`vote:${req.ip}`);
      const input = feedbackSchema.safeParse(req.body);
      if (!input.success) throw new AppError("BAD_REQUEST", "Choose Yes or No under the answer.");
      const { counted } = await recordFeedback(db, options.secret, input.data);
      noindex(res);
      res.render("ask-done", { title: "Thank you", noindex: true, message: counted ? "Thank you: your answer helps our editors decide what to write and improve next." : "Thank you: we have your answer already." });
    } catch (error) {
      refusal(res, error, {}, "ask-done");
    }
  });

  router.post("/ask/notify", async (req, res) => {
    const values = { email: body(req, "email"), token: body(req, "token") };
    try {
      await limit(`notify:${req.ip}`);
      const parsed = notifySchema.safeParse(req.body);
      if (!parsed.success) throw new AppError("BAD_REQUEST", Object.values(fieldErrorsOf(parsed.error))[0] ?? "Please check the form.");
      // The address is only ever recorded as "an address was stored", without the reader's network address.
      await storeNotificationAddress(db, auditContext(req), options.secret, parsed.data);
      noindex(res);
      res.render("ask-done", { title: "We will tell you", noindex: true, message: `Thank you. We will send one message to this address when an article answering your question is published, and then delete the address (or after ${options.retentionDays} days if no such article is published).` });
    } catch (error) {
      refusal(res, error, { notifyForm: { ...values, retentionDays: options.retentionDays } }, "ask-done");
    }
  });

  router.get("/ask/report", async (req, res) => {
    const found = await reportableArticle(db, req.query.article);
    noindex(res);
    res.render("ask-report", { title: "Report a problem with this article", noindex: true, article: found.slug, text: "", token: signToken(options.secret, "report", found.slug), error: null, maxChars: REPORT_MAX_CHARS, done: false });
  });

  router.post("/ask/report", async (req, res) => {
    const text = body(req, "text");
    const token = body(req, "token");
    try {
      await limit(`report:${req.ip}`);
      const parsed = reportSchema.safeParse(req.body);
      if (!parsed.success) throw new AppError("BAD_REQUEST", Object.values(fieldErrorsOf(parsed.error))[0] ?? "Please check the form.");
      await reportProblem(db, options.secret, parsed.data);
      noindex(res);
      res.render("ask-report", { title: "Thank you for your report", noindex: true, article: "", text: "", token: "", error: null, maxChars: REPORT_MAX_CHARS, done: true });
    } catch (error) {
      refusal(res, error, { article: "", text, token, maxChars: REPORT_MAX_CHARS, done: false }, "ask-report");
    }
  });

  return router;
}
