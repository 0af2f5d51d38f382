// The reader-questions queue: votes and problem reports without a session, the editors'
// decisions, the vocabulary admins edit, and readers' e-mail addresses (told once, then deleted).
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditEventsSince, demo, lastAuditId, openSite, publishSeeded, reseedContent, SEEDED_SLUG, signedInAgent, type TestApp, type TestDatabase, visibleText } from "./support/index.js";
import { runDueJobs } from "../src/jobs/queue.js";
import { createJobHandlers } from "../src/job-handlers.js";
import type { OutgoingMail } from "../src/jobs/mailer.js";
import { notifyAnsweredQuestions, signToken, answerQuestion } from "../src/services/readers/index.js";
import { formatEvent } from "../src/services/editorial/index.js";

let database: TestDatabase;
let app: TestApp;
const SECRET_OVERRIDES = { ASK_RATE_LIMIT_PER_MINUTE: "1000", SESSION_SECRET: "s".repeat(40) };
beforeAll(async () => ({ database, app } = await openSite({ env: SECRET_OVERRIDES })));
afterAll(() => database?.close());
beforeEach(async () => {
  await database.pool.query("TRUNCATE reader_question_group CASCADE");
  await reseedContent(database);
});

/** The history sentence of a stored event. */
const sentenceOf = (e: { action: string; payload: unknown; actorName: string | null }) =>
  formatEvent(e.action, e.payload, true, { actor: e.actorName ?? "System", comment: null, comments: new Map(), referenceNumber: () => undefined, sectionHeading: () => undefined }).sentence;

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];

async function ask(q: string) {
  return request(app).get("/ask").query({ q }).expect(200);
}

describe("votes and reports need no session", () => {
  it("a Yes under an answer counts once; a forged or replayed token changes nothing", async () => {
    const page = await ask("Does baclofen make you sleepy?");
    const token = hidden(page.text, "token")!;
    const res = await request(app).post("/ask/feedback").type("form").send({ token, helpful: "yes" }).expect(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(visibleText(res.text)).toContain("Thank you");
    await request(app).post("/ask/feedback").type("form").send({ token, helpful: "no" }).expect(200);
    const forged = await request(app).post("/ask/feedback").type("form").send({ token: `${token.split(".")[0]}.AAAA`, helpful: "no" }).expect(400);
    expect(visibleText(forged.text)).toContain("did not come from this site");
    const group = await database.prisma.readerQuestionGroup.findFirstOrThrow();
    expect([group.helpfulYes, group.helpfulNo]).toEqual([1, 0]);
  });

  it("a report about an article goes into the queue as a correction; personal data is refused with the text kept", async () => {
    const form = await request(app).get("/ask/report").query({ article: SEEDED_SLUG }).expect(200);
    const token = hidden(form.text, "token")!;
    const refused = await request(app).post("/ask/report").type("form").send({ token, text: "Wrong dose, call me at 0151 234 5678" }).expect(400);
    expect(visibleText(refused.text)).toContain("leave out phone numbers");
    expect(refused.text).toContain("Wrong dose, call me at 0151 234 5678</textarea>");
    expect(await database.prisma.readerQuestionGroup.count()).toBe(0);
    await request(app).post("/ask/report").type("form").send({ token, text: "The tizanidine maximum dose looks wrong." }).expect(200);
    const group = await database.prisma.readerQuestionGroup.findFirstOrThrow({ include: { questions: true, article: true } });
    expect(group.kind).toBe("CORRECTION");
    expect(group.article?.slug).toBe(SEEDED_SLUG);
    // A token for another purpose (a vote) is not a report form.
    const vote = signToken("s".repeat(40), "feedback", group.id);
    await request(app).post("/ask/report").type("form").send({ token: vote, text: "Another report" }).expect(400);
  });
});

describe("the editors' queue", () => {
  it("lists questions with counts; editors start a draft from one, mark another answered, decline a third with a reason; all audited", async () => {
    await ask("Is quinine useful for night cramps?");
    await ask("Is quinine useful for night cramps?");
    await ask("What is the vaccine schedule for a two-year-old?");
    await ask("Does baclofen make you sleepy?");
    const alice = await signedInAgent(app, demo.alice);
    const page = await alice.get("/editor/questions").expect(200);
    expect(visibleText(page.text)).toContain("Is quinine useful for night cramps?");
    const groups = await database.prisma.readerQuestionGroup.findMany({ include: { questions: true } });
    const byText = (t: string) => groups.find((g) => g.questions.some((q) => q.text === t))!;
    expect(byText("Is quinine useful for night cramps?").timesAsked).toBe(2);
    const since = await lastAuditId(database);

    const draft = await alice.post(`/editor/questions/${byText("Is quinine useful for night cramps?").id}/draft`).type("form").send({ _csrf: alice.csrf }).expect(303);
    const article = await database.prisma.article.findFirstOrThrow({ where: { slug: "is-quinine-useful-for-night-cramps" }, include: { currentRevision: true } });
    expect(draft.headers.location).toBe(`/editor/articles/${article.id}/edit`);
    expect(article.currentRevision!.title).toBe("Is quinine useful for night cramps?");
    expect(article.currentRevision!.state).toBe("DRAFT");
    // Its draft text never answers readers.
    expect((await answerQuestion(database.prisma, "Is quinine useful for night cramps?")).status).toBe("no-reviewed-answer");

    const emptyReason = await alice.post(`/editor/questions/${byText("What is the vaccine schedule for a two-year-old?").id}/decline`).type("form").send({ _csrf: alice.csrf, reason: "  " }).expect(400);
    expect(visibleText(emptyReason.text)).toContain("Give the reason");
    await alice.post(`/editor/questions/${byText("What is the vaccine schedule for a two-year-old?").id}/decline`).type("form").send({ _csrf: alice.csrf, reason: "Outside our topic" }).expect(303);

    const unknown = await alice.post(`/editor/questions/${byText("Does baclofen make you sleepy?").id}/answered`).type("form").send({ _csrf: alice.csrf, slug: "no-such-article" }).expect(400);
    expect(unknown.text).toContain('value="no-such-article"');
    await alice.post(`/editor/questions/${byText("Does baclofen make you sleepy?").id}/answered`).type("form").send({ _csrf: alice.csrf, slug: SEEDED_SLUG }).expect(303);

    const after = await database.prisma.readerQuestionGroup.findMany({ include: { questions: true } });
    expect(after.map((g) => [g.questions[0]!.text, g.status]).sort()).toEqual([
      ["Does baclofen make you sleepy?", "ANSWERED"], ["Is quinine useful for night cramps?", "DRAFTING"], ["What is the vaccine schedule for a two-year-old?", "DECLINED"],
    ]);
    const events = await auditEventsSince(database, since);
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["article.created", "reader_question.draft_started", "reader_question.declined", "reader_question.answered"]));
    const sentences = events.filter((e) => e.action.startsWith("reader_question.")).map((e) => sentenceOf(e));
    expect(sentences.join(" ")).toContain("declined the reader question “What is the vaccine schedule for a two-year-old?”: Outside our topic");

    // Acting twice on the same question: a conflict on the same page, nothing changes.
    await alice.post(`/editor/questions/${byText("Is quinine useful for night cramps?").id}/draft`).type("form").send({ _csrf: alice.csrf }).expect(409);
  });

  it("reviewers may read the queue but not act; readers may not open it; a missing CSRF token is refused", async () => {
    await ask("Does baclofen make you sleepy?");
    const group = await database.prisma.readerQuestionGroup.findFirstOrThrow();
    const priya = await signedInAgent(app, demo.priya);
    await priya.get("/editor/questions").expect(200);
    await priya.post(`/editor/questions/${group.id}/decline`).type("form").send({ _csrf: priya.csrf, reason: "no" }).expect(403);
    const anonymous = await request(app).get("/editor/questions");
    expect([302, 303, 401]).toContain(anonymous.status);
    const alice = await signedInAgent(app, demo.alice);
    await alice.post(`/editor/questions/${group.id}/decline`).type("form").send({ reason: "no" }).expect(403);
    expect((await database.prisma.readerQuestionGroup.findFirstOrThrow()).status).toBe("OPEN");
  });
});

describe("the vocabulary", () => {
  it("admins add and remove pairs (audited, with history sentences) and a new pair changes answers at once; editors may not", async () => {
    expect((await answerQuestion(database.prisma, "Does zanaflex help spasticity?")).answers.some((a) => a.text.includes("Tizanidine"))).toBe(false);
    const sam = await signedInAgent(app, demo.sam);
    const since = await lastAuditId(database);
    const bad = await sam.post("/admin/vocabulary").type("form").send({ _csrf: sam.csrf, layTerm: "<b>", professionalTerm: "tizanidine" }).expect(400);
    expect(bad.text).toContain("may contain only letters");
    await sam.post("/admin/vocabulary").type("form").send({ _csrf: sam.csrf, layTerm: "zanaflex", professionalTerm: "tizanidine" }).expect(303);
    await sam.post("/admin/vocabulary").type("form").send({ _csrf: sam.csrf, layTerm: "Zanaflex", professionalTerm: "Tizanidine" }).expect(409);
    expect((await answerQuestion(database.prisma, "Does zanaflex help spasticity?")).answers.some((a) => a.text.includes("Tizanidine"))).toBe(true);
    const row = await database.prisma.askVocabulary.findFirstOrThrow({ where: { layTerm: "zanaflex" } });
    await sam.post(`/admin/vocabulary/${row.id}/remove`).type("form").send({ _csrf: sam.csrf }).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => sentenceOf(e))).toEqual([
      expect.stringContaining("readers' “zanaflex” means “tizanidine”"),
      expect.stringContaining("removed “zanaflex” → “tizanidine”"),
    ]);
    const alice = await signedInAgent(app, demo.alice);
    await alice.get("/admin/vocabulary").expect(403);
  });
});

describe("telling readers once", () => {
  it("stores an address only with consent, tells the reader once when an answering article is published, then deletes it; the address is in no audit event", async () => {
    const page = await ask("Is quinine useful for night cramps?");
    const token = hidden(page.text, "token")!;
    const noConsent = await request(app).post("/ask/notify").type("form").send({ token, email: "reader@example.org" }).expect(400);
    expect(visibleText(noConsent.text)).toContain("Tick the box");
    expect(noConsent.text).toContain('value="reader@example.org"');
    await request(app).post("/ask/notify").type("form").send({ token, email: "not-an-address", consent: "yes" }).expect(400);
    expect(await database.prisma.readerQuestionEmail.count()).toBe(0);
    const since = await lastAuditId(database);
    await request(app).post("/ask/notify").type("form").send({ token, email: "reader@example.org", consent: "yes" }).expect(200);
    expect(await database.prisma.readerQuestionEmail.count()).toBe(1);

    // Answered by the seeded article, which is then published: one message, then no address.
    const group = await database.prisma.readerQuestionGroup.findFirstOrThrow();
    await database.prisma.readerQuestionGroup.update({ where: { id: group.id }, data: { status: "ANSWERED", articleId: (await database.prisma.article.findUniqueOrThrow({ where: { slug: SEEDED_SLUG } })).id } });
    await notifyAnsweredQuestions(database.prisma, 90);
    expect(await database.prisma.job.count({ where: { kind: "reader_question.email", doneAt: null } })).toBe(0); // not published yet
    await publishSeeded(database);
    await notifyAnsweredQuestions(database.prisma, 90);
    await notifyAnsweredQuestions(database.prisma, 90);
    const sent: OutgoingMail[] = [];
    await runDueJobs(database.prisma, createJobHandlers({ mailer: { send: async (m) => void sent.push(m) }, publicUrl: "https://answers.example" }));
    // (The workflow's own notifications to staff are in the queue too.)
    const toReader = sent.filter((m) => m.to === "reader@example.org");
    expect(toReader).toHaveLength(1);
    expect(toReader[0]!.text).toContain(`https://answers.example/articles/${SEEDED_SLUG}`);
    expect(await database.prisma.readerQuestionEmail.count()).toBe(0);

    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["reader_question.email_stored", "reader_question.email_deleted"]));
    expect(JSON.stringify(events, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain("reader@example.org");
  });

  it("deletes addresses not used within the retention period", async () => {
    const page = await ask("Is quinine useful for night cramps?");
    await request(app).post("/ask/notify").type("form").send({ token: hidden(page.text, "token")!, email: "old@example.org", consent: "yes" }).expect(200);
    await database.pool.query("UPDATE reader_question_email SET created_at = now() - interval '91 days'");
    const since = await lastAuditId(database);
    await notifyAnsweredQuestions(database.prisma, 90);
    expect(await database.prisma.readerQuestionEmail.count()).toBe(0);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => sentenceOf(e))).toEqual([expect.stringContaining("not used within the retention period")]);
  });
});
