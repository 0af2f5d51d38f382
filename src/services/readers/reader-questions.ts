// The reader-questions queue: what readers asked (text only), grouped when they use the
// same terms, with how often, whether an answer was shown and whether it helped; problem
// reports about an article; and the editors' decisions on them (decision 0033).
//
// Readers have no session (decision 0007), so the public forms carry a signed token
// instead of a CSRF token: it names what the form is about, expires, and (for votes)
// carries a nonce that is accepted once. Floods are limited per address in memory.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext, type Tx } from "../../audit/audit-log.js";
import type { ReaderQuestionKind, ReaderQuestionStatus, User } from "../../generated/prisma/client.js";
import { slugify } from "../../content/revision-content.js";
import { createNewArticle, findPublicArticle } from "../editorial/index.js";
import { questionTerms } from "./ask.js";
import { enqueue } from "../../jobs/queue.js";

export const QUESTION_MAX_CHARS = 300;
export const REPORT_MAX_CHARS = 1000;

const personalData: [RegExp, string][] = [
  [/<\s*\/?\s*[a-z!][^>]*>/i, "Please write plain text: HTML tags are not accepted."],
  [/[^\s@<>]+@[^\s@<>]+\.[a-z]{2,}/i, "Please leave out e-mail addresses: what you type is kept for our editors to read, and we keep no personal details with it."],
  [/(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+\.(?:com|org|net|info|io|co|uk|de|fr|ru|biz|ly|me)\b/i, "Please leave out links: answers come only from our reviewed articles."],
];
const PHONE = /\+?\d[\d\s().-]{5,}\d/g;
const PHONE_SENTENCE = "Please leave out phone numbers: what you type is kept for our editors to read, and we keep no personal details with it.";

/** Reader text: plain, no links, no contact details. Refusals are sentences shown beside the box. */
function readerText(max: number, empty: string) {
  return z.string().trim().superRefine((text, ctx) => {
    if (text === "") return void ctx.addIssue({ code: "custom", message: empty });
    if (text.length > max) return void ctx.addIssue({ code: "custom", message: `Please keep it under ${max} characters (this is ${text.length}).` });
    for (const [pattern, sentence] of personalData) if (pattern.test(text)) return void ctx.addIssue({ code: "custom", message: sentence });
    for (const match of text.match(PHONE) ?? []) {
      if (match.replace(/\D/g, "").length >= 7) return void ctx.addIssue({ code: "custom", message: PHONE_SENTENCE });
    }
  });
}

const slug = z.string().trim().max(200).regex(/^[a-z0-9-]*$/, "is not an article address").optional().transform((v) => v || undefined);
const audienceSlug = z.string().trim().max(60).regex(/^[a-z0-9-]*$/, "is not an audience").optional().transform((v) => v || undefined);

export const askQuerySchema = z.object({
  q: readerText(QUESTION_MAX_CHARS, "Type your question in the box."),
  article: slug,
  for: audienceSlug,
});

export const reportSchema = z.object({
  text: readerText(REPORT_MAX_CHARS, "Tell us what is wrong or missing."),
  token: z.string().min(1, "The form is incomplete: reload the article and try again.").max(500),
});

export const feedbackSchema = z.object({
  token: z.string().min(1).max(500),
  helpful: z.enum(["yes", "no"], { message: "Choose Yes or No." }),
});

export const notifySchema = z.object({
  token: z.string().min(1, "The form is incomplete: ask your question again.").max(500),
  email: z.string().trim().max(254, "That address is too long.").pipe(z.email("That does not look like an e-mail address.")),
  consent: z.literal("yes", { message: "Tick the box to agree, or leave the address out." }),
});

// ---- signed tokens for the public forms

type TokenPurpose = "feedback" | "report" | "notify";
const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = { feedback: 24 * 3600_000, report: 2 * 3600_000, notify: 2 * 3600_000 };

export function signToken(secret: string, purpose: TokenPurpose, subject: string, now = Date.now()): string {
  const nonce = randomBytes(9).toString("base64url");
  const body = Buffer.from(JSON.stringify({ p: purpose, s: subject, n: nonce, t: now })).toString("base64url");
  const mac = createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${mac}`;
}

export function verifyToken(secret: string, purpose: TokenPurpose, token: string, now = Date.now()): { subject: string; nonce: string } {
  const refused = new AppError("BAD_REQUEST", "This form has expired or did not come from this site. Go back, reload the page and try again.");
  const [body, mac] = token.split(".");
  if (!body || !mac) throw refused;
  const expected = createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused;
  const parsed = z.object({ p: z.string(), s: z.string(), n: z.string(), t: z.number() }).safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  if (!parsed.success || parsed.data.p !== purpose || now - parsed.data.t > TOKEN_LIFETIME_MS[purpose] || parsed.data.t > now + 60_000) throw refused;
  return { subject: parsed.data.s, nonce: parsed.data.n };
}

// ---- recording what readers ask

/**
 * Counts a question: one group per kind and set of terms, one row per wording. The same
 * wording again only raises counts. Stores the text and nothing about who asked.
 */
export async function recordReaderQuestion(
  db: Db,
  input: { kind: ReaderQuestionKind; text: string; normalized: string; articleSlug?: string; articleId?: string | null; answerShown: boolean },
): Promise<{ groupId: string; questionId: string }> {
  return db.$transaction(async (tx) => {
    const [group] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO reader_question_group (id, kind, normalized, article_id, times_asked, times_answered)
      VALUES (gen_random_uuid(), ${input.kind}::"ReaderQuestionKind", ${input.normalized}, ${input.articleId ?? null}::uuid, 1, ${input.answerShown ? 1 : 0})
      ON CONFLICT (kind, normalized) DO UPDATE SET
        times_asked = reader_question_group.times_asked + 1,
        times_answered = reader_question_group.times_answered + ${input.answerShown ? 1 : 0},
        last_asked_at = CURRENT_TIMESTAMP
      RETURNING id::text`;
    const [question] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO reader_question (id, group_id, text, article_slug, answer_shown)
      VALUES (gen_random_uuid(), ${group!.id}::uuid, ${input.text}, ${input.articleSlug ?? null}, ${input.answerShown})
      ON CONFLICT (group_id, lower(text)) DO UPDATE SET
        times_asked = reader_question.times_asked + 1,
        answer_shown = reader_question.answer_shown OR EXCLUDED.answer_shown,
        last_asked_at = CURRENT_TIMESTAMP
      RETURNING id::text`;
    return { groupId: group!.id, questionId: question!.id };
  });
}

/** A reader's Yes/No under an answer: one vote per answer shown (the token's nonce). */
export async function recordFeedback(db: Db, secret: string, input: z.output<typeof feedbackSchema>) {
  const { subject: groupId, nonce } = verifyToken(secret, "feedback", input.token);
  return db.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO reader_feedback (nonce, group_id, helpful) SELECT ${nonce}, id, ${input.helpful === "yes"} FROM reader_question_group WHERE id = ${groupId}::uuid
      ON CONFLICT (nonce) DO NOTHING`;
    if (inserted === 0) return { counted: false };
    if (input.helpful === "yes") await tx.readerQuestionGroup.update({ where: { id: groupId }, data: { helpfulYes: { increment: 1 } } });
    else await tx.readerQuestionGroup.update({ where: { id: groupId }, data: { helpfulNo: { increment: 1 } } });
    return { counted: true };
  });
}

/** The article a report form is for: only one the public can read (a draft's address is not revealed). */
export async function reportableArticle(db: Db, slug: unknown) {
  const found = typeof slug === "string" && /^[a-z0-9-]{1,200}$/.test(slug) ? await findPublicArticle(db, slug) : null;
  if (!found) throw new AppError("NOT_FOUND", "There is no published article at this address to report a problem with.");
  return { slug: found.article.slug };
}

/** "Report a problem with this article": into the queue as a correction for the board. */
export async function reportProblem(db: Db, secret: string, input: z.output<typeof reportSchema>) {
  const { subject: articleSlug } = verifyToken(secret, "report", input.token);
  const article = await db.article.findUnique({ where: { slug: articleSlug }, select: { id: true } });
  if (!article) throw new AppError("NOT_FOUND", "That article does not exist any more.");
  const { normalized } = await questionTerms(db, input.text);
  return recordReaderQuestion(db, { kind: "CORRECTION", text: input.text, normalized: `${articleSlug}: ${normalized}`, articleSlug, articleId: article.id, answerShown: false });
}

/** Stores a reader's address, with their consent, to tell them once when the question is answered. */
export async function storeNotificationAddress(db: Db, ctx: RequestContext, secret: string, input: z.output<typeof notifySchema>) {
  const { subject: groupId } = verifyToken(secret, "notify", input.token);
  await db.$transaction(async (tx) => {
    const group = await tx.readerQuestionGroup.findUnique({ where: { id: groupId }, select: { id: true, status: true } });
    if (!group) throw new AppError("NOT_FOUND", "That question is no longer in our queue.");
    const inserted = await tx.$executeRaw`
      INSERT INTO reader_question_email (id, group_id, email) VALUES (gen_random_uuid(), ${groupId}::uuid, ${input.email})
      ON CONFLICT (group_id, lower(email)) DO NOTHING`;
    // The trail says that an address was stored, never which.
    if (inserted) await recordEvent(tx, { ...ctx, ip: null, userAgent: null }, { action: "reader_question.email_stored", entityType: "reader_question", entityId: groupId, payload: { groupId } });
  });
}

// ---- telling readers, and forgetting their addresses

export const QUESTION_EMAIL_JOB = "reader_question.email";

/**
 * Run on every worker tick: queues one message per stored address whose question an
 * article now answers publicly, and deletes addresses older than the retention period.
 */
export async function notifyAnsweredQuestions(db: Db, retentionDays: number) {
  await db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<{ id: string }[]>`
      SELECT e.id::text FROM reader_question_email e
      JOIN reader_question_group g ON g.id = e.group_id
      JOIN article a ON a.id = g.article_id
      WHERE e.queued_at IS NULL AND g.status IN ('ANSWERED', 'DRAFTING') AND a.published_revision_id IS NOT NULL
      FOR UPDATE OF e SKIP LOCKED`;
    for (const row of due) {
      await tx.readerQuestionEmail.update({ where: { id: row.id }, data: { queuedAt: new Date() } });
      await enqueue(tx, QUESTION_EMAIL_JOB, { emailId: row.id });
    }
    const expired = await tx.$queryRaw<{ group_id: string }[]>`
      DELETE FROM reader_question_email WHERE queued_at IS NULL AND created_at < now() - make_interval(days => ${retentionDays}::int)
      RETURNING group_id::text`;
    if (expired.length) {
      await recordEvent(tx, { actor: null, ip: null, userAgent: "question e-mail retention", requestId: crypto.randomUUID() }, {
        action: "reader_question.email_deleted", entityType: "reader_question", payload: { groupId: null, count: expired.length, reason: "expired" },
      });
    }
  });
}

/** The job: sends the one message, then deletes the address (same transaction as the job's completion). */
export async function sendQuestionAnsweredEmail(tx: Tx, emailId: string, send: (mail: { id: string; to: string; subject: string; text: string }) => Promise<void>, publicUrl: string) {
  const row = await tx.readerQuestionEmail.findUnique({
    where: { id: emailId },
    include: { group: { include: { article: { select: { slug: true, publishedRevision: { select: { title: true } } } }, questions: { orderBy: { timesAsked: "desc" }, take: 1 } } } },
  });
  if (!row) return;
  const article = row.group.article;
  if (article?.publishedRevision) {
    const question = row.group.questions[0]?.text ?? "your question";
    await send({
      id: row.id, to: row.email, subject: "Clinical Answers: your question has an answer",
      text: `You asked: “${question}”\n\nOur medical advisory board has reviewed an article that answers it:\n${article.publishedRevision.title}\n${publicUrl}/articles/${article.slug}\n\nWe have now deleted your e-mail address; you will not hear from us again about this question.\n`,
    });
  }
  await tx.readerQuestionEmail.delete({ where: { id: row.id } });
  await recordEvent(tx, { actor: null, ip: null, userAgent: "question e-mail", requestId: crypto.randomUUID() }, {
    action: "reader_question.email_deleted", entityType: "reader_question", entityId: row.groupId, payload: { groupId: row.groupId, count: 1, reason: "told" },
  });
}

// ---- the editors' queue

export const queueFilterSchema = z.object({
  status: z.enum(["OPEN", "DRAFTING", "ANSWERED", "DECLINED", "ALL"]).default("OPEN"),
  kind: z.enum(["QUESTION", "CORRECTION", "ALL"]).default("ALL"),
});

export async function listQuestionQueue(db: Db, filter: z.output<typeof queueFilterSchema>, options: { withEmails: boolean }) {
  return db.readerQuestionGroup.findMany({
    where: { ...(filter.status === "ALL" ? {} : { status: filter.status }), ...(filter.kind === "ALL" ? {} : { kind: filter.kind }) },
    orderBy: [{ timesAsked: "desc" }, { lastAskedAt: "desc" }],
    take: 200,
    include: {
      article: { select: { slug: true } },
      questions: { orderBy: [{ timesAsked: "desc" }, { createdAt: "asc" }], take: 10 },
      _count: { select: { emails: true } },
      ...(options.withEmails ? { emails: { select: { email: true, createdAt: true } } } : {}),
    },
  });
}

export const declineSchema = z.object({ reason: z.string().trim().min(1, "Give the reason, for the other editors.").max(500, "Keep the reason under 500 characters.") });
export const answeredBySchema = z.object({ slug: z.string().trim().min(1, "Give the address of the article that answers it.").max(200) });

async function lockedGroup(tx: Tx, groupId: string, allowed: ReaderQuestionStatus[]) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM reader_question_group WHERE id = ${groupId}::uuid FOR UPDATE`;
  if (!rows.length) throw new AppError("NOT_FOUND", "That question is not in the queue.");
  const group = await tx.readerQuestionGroup.findUniqueOrThrow({ where: { id: groupId }, include: { questions: { orderBy: [{ timesAsked: "desc" }, { createdAt: "asc" }], take: 1 } } });
  if (!allowed.includes(group.status)) throw new AppError("CONFLICT", "Someone has already acted on this question: reload the queue.");
  return { group, text: group.questions[0]?.text ?? group.normalized };
}

export async function declineQuestion(db: Db, ctx: RequestContext, groupId: string, input: z.output<typeof declineSchema>) {
  await db.$transaction(async (tx) => {
    const { text } = await lockedGroup(tx, groupId, ["OPEN", "DRAFTING"]);
    await tx.readerQuestionGroup.update({ where: { id: groupId }, data: { status: "DECLINED", declineReason: input.reason } });
    await recordEvent(tx, ctx, { action: "reader_question.declined", entityType: "reader_question", entityId: groupId, payload: { groupId, question: text, reason: input.reason } });
  });
}

export async function markAnsweredBy(db: Db, ctx: RequestContext, groupId: string, input: z.output<typeof answeredBySchema>) {
  await db.$transaction(async (tx) => {
    const { text } = await lockedGroup(tx, groupId, ["OPEN", "DRAFTING", "DECLINED"]);
    const article = await tx.article.findUnique({ where: { slug: input.slug }, select: { id: true, slug: true } });
    if (!article) throw new AppError("BAD_REQUEST", `There is no article at the address “${input.slug}”.`, { fieldErrors: { slug: "no article has this address" } });
    await tx.readerQuestionGroup.update({ where: { id: groupId }, data: { status: "ANSWERED", articleId: article.id, declineReason: null } });
    await recordEvent(tx, ctx, { action: "reader_question.answered", entityType: "reader_question", entityId: groupId, articleId: article.id, payload: { groupId, question: text, slug: article.slug } });
  });
}

/** Starts a draft article whose title is the question (the usual createArticle path), linked to the group. */
export async function startDraftFromQuestion(db: Db, ctx: RequestContext, user: User, groupId: string) {
  const group = await db.readerQuestionGroup.findUnique({ where: { id: groupId }, include: { questions: { orderBy: [{ timesAsked: "desc" }, { createdAt: "asc" }], take: 1 } } });
  if (!group) throw new AppError("NOT_FOUND", "That question is not in the queue.");
  if (group.status !== "OPEN" || group.kind !== "QUESTION") throw new AppError("CONFLICT", "Only an open reader question can start a draft: reload the queue.");
  const title = group.questions[0]?.text ?? group.normalized;
  let slug = slugify(title).slice(0, 80).replace(/-+$/, "") || "reader-question";
  if (await db.article.findUnique({ where: { slug } })) slug = `${slug}-${groupId.slice(0, 8)}`;
  const { article } = await createNewArticle(db, ctx, user, { title, slug });
  // A second transaction: createArticle owns its own. If someone acted meanwhile, the draft
  // stays (an editor can use or delete it) and the queue says so.
  await db.$transaction(async (tx) => {
    const { text } = await lockedGroup(tx, groupId, ["OPEN"]);
    await tx.readerQuestionGroup.update({ where: { id: groupId }, data: { status: "DRAFTING", articleId: article.id } });
    await recordEvent(tx, ctx, { action: "reader_question.draft_started", entityType: "reader_question", entityId: groupId, articleId: article.id, articleTitle: title, payload: { groupId, question: text, slug: article.slug } });
  });
  return article;
}
