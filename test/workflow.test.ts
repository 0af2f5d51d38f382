import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, type Agents, auditEventsSince, changeDosingLine, currentRevision, decodeEntities, demo, editForm, formBody, lastAuditId, NEW_DOSING, openSite, SEEDED_SLUG, serverUrl, signedInAgent, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, workflowActions } from "./support/index.js";
import { publicDeliveryOf } from "../src/app.js";
import { createUser } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
beforeEach(() => startAfresh(database, app, agents));

const { take, save, approve: sign, editedAndUnderReview: reviewRound, requestChanges } = workflowActions(() => database);
const approve = (agent: Agent, password = DEMO_PASSWORD) => sign(agent, { password });

/** Fixes the seeded article's citation errors and takes it back to Under Review. */
const editedAndUnderReview = () => reviewRound(agents);

async function snapshot() {
  const revisions = await database.prisma.revision.findMany({ orderBy: [{ articleId: "asc" }, { number: "asc" }], select: { id: true, state: true } });
  const approvals = await database.prisma.approval.count();
  const article = await database.prisma.article.findUniqueOrThrow({ where: { slug: SEEDED_SLUG } });
  return { revisions, approvals, current: article.currentRevisionId, published: article.publishedRevisionId };
}

describe("transitions", () => {
  it("a reviewer starts the review, and the event records actor, revision and old and new state", async () => {
    const since = await lastAuditId(database);
    await take(agents.priya!, "start_review").expect(303);
    const { revision } = await currentRevision(database);
    expect(revision.state).toBe("UNDER_REVIEW");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["workflow.review_started"]);
    expect(events[0]).toMatchObject({ actorEmail: demo.priya, actorRole: "REVIEWER", revisionId: revision.id, entityType: "revision" });
    expect(events[0]!.payload).toMatchObject({ from: "SUBMITTED", to: "UNDER_REVIEW", revisionNumber: 1 });
  });

  it("an editor cannot start a review: 403, nothing changes, only a security event is written", async () => {
    const before = await snapshot();
    const since = await lastAuditId(database);
    const res = await take(agents.alice!, "start_review").expect(403);
    expect(res.text).toContain("Your role does not allow");
    expect(await snapshot()).toEqual(before);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden"]);
  });

  it("a transition from the wrong state is refused with 409 and changes nothing", async () => {
    const before = await snapshot();
    const since = await lastAuditId(database);
    await approve(agents.priya!).expect(409);
    await take(agents.sam!, "publish").expect(409);
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("acting on a state the user no longer sees is a 409 conflict", async () => {
    const { article, revision } = await currentRevision(database);
    await take(agents.priya!, "start_review").expect(303);
    const res = await agents.minh!
      .post(`/editor/articles/${article.id}/transitions/start_review`)
      .type("form")
      .send({ _csrf: agents.minh!.csrf, revisionId: revision.id, expectedState: "SUBMITTED" })
      .expect(409);
    expect(res.text).toContain("Someone else acted first");
  });

  it("a request without the CSRF token is refused and changes nothing", async () => {
    const { article, revision } = await currentRevision(database);
    const before = await snapshot();
    const missing = await agents.priya!.post(`/editor/articles/${article.id}/transitions/start_review`).type("form").send({ revisionId: revision.id, expectedState: "SUBMITTED" }).expect(403);
    expect(missing.text).toContain("This form has expired or did not come from this site");
    await agents.priya!.post(`/editor/articles/${article.id}/transitions/start_review`).type("form").send({ _csrf: "forged", revisionId: revision.id, expectedState: "SUBMITTED" }).expect(403);
    expect(await snapshot()).toEqual(before);
  });

  it("requesting changes needs a comment; invalid input is a 400 that writes nothing", async () => {
    await take(agents.priya!, "start_review").expect(303);
    const before = await snapshot();
    const since = await lastAuditId(database);
    await take(agents.priya!, "request_changes", { comment: "   " }).expect(400);
    await take(agents.priya!, "no_such_step").expect(404);
    const { article } = await currentRevision(database);
    await agents.priya!.post(`/editor/articles/${article.id}/transitions/start_review`).type("form").send({ _csrf: agents.priya!.csrf, revisionId: "not-a-uuid", expectedState: "BOGUS" }).expect(400);
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("requesting changes records the comment, which the editor then sees", async () => {
    await take(agents.priya!, "start_review").expect(303);
    const since = await lastAuditId(database);
    await take(agents.priya!, "request_changes", { comment: "Please check the tizanidine dosing." }).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["workflow.changes_requested", "comment.created"]);
    expect(events[0]!.comment).toBe("Please check the tizanidine dosing.");
    expect(new Set(events.map((e) => e.requestId)).size).toBe(1);
    const { article } = await currentRevision(database);
    const page = await agents.alice!.get(`/editor/articles/${article.id}`).expect(200);
    expect(page.text).toContain("Please check the tizanidine dosing.");
    expect(page.text).toContain("Changes requested");
  });

  it("the seeded article's three missing sources block submission until an editor supplies them", async () => {
    await requestChanges(agents, "Fix the dosing.");
    await save(agents.alice!, changeDosingLine).expect(303);
    const blocked = await take(agents.alice!, "submit").expect(409);
    expect(blocked.text).toContain("3 citation error(s)");
    await save(agents.alice!, supplyMissingSources).expect(303);
    await take(agents.alice!, "submit").expect(303);
    expect((await currentRevision(database)).revision.state).toBe("SUBMITTED");
  });

  it("the whole flow: review, change request, edit, approval, publication; the public sees only what is published", async () => {
    await editedAndUnderReview();
    // The public page shows the resubmitted revision only under the caution banner.
    const pending = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(pending.text).toContain("pending human review");
    const since = await lastAuditId(database);
    await approve(agents.minh!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["workflow.approved", "workflow.published"]);
    expect(events[0]!.payload).toMatchObject({ signature: { signerName: "Dr. Minh Nguyen", meaning: "Approved: medical accuracy", signaturesCount: 1 } });
    const live = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(live.text).toContain(NEW_DOSING);
    expect(live.text).not.toContain("pending human review");
    expect(live.text).toMatch(/<li class="current" aria-current="step">\s*Approved/);
    expect(live.text).toContain("Dr. Minh Nguyen");
    expect(live.text).toContain("PharmD, Clinical Pharmacology");
    expect(live.text).toContain("Next review due:");
  });

  it("the live version stays live while a newer revision is drafted and reviewed; publishing swaps it", async () => {
    await editedAndUnderReview();
    await approve(agents.minh!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    const published = (await currentRevision(database)).revision;
    await save(agents.ben!, (c) => { c.summary = c.summary.replace("Skeletal muscle relaxants", "Skeletal-muscle relaxants"); }).expect(303);
    const draft = (await currentRevision(database)).revision;
    expect(draft.state).toBe("DRAFT");
    // Approval is bound to the exact revision: the new draft has none.
    expect(draft.approvals).toHaveLength(0);
    let page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(page.text).not.toContain("Skeletal-muscle relaxants");
    expect(page.text).not.toMatch(/<li class="current" aria-current="step">\s*Approved/);
    await take(agents.ben!, "submit").expect(303);
    await take(agents.priya!, "start_review").expect(303);
    page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(page.text).not.toContain("Skeletal-muscle relaxants");
    expect(page.text).toMatch(/<li class="current" aria-current="step">\s*Under Review/);
    await approve(agents.priya!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(page.text).toContain("Skeletal-muscle relaxants");
    // Both stay what the board made them (approved); the article's pointer says which one is live.
    const states = await database.prisma.revision.findMany({ where: { id: { in: [published.id, draft.id] } }, select: { id: true, state: true } });
    expect(Object.fromEntries(states.map((s) => [s.id, s.state]))).toEqual({ [published.id]: "APPROVED", [draft.id]: "APPROVED" });
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(draft.id);
  });

  it("unpublishing needs a reason and takes the article off the public site", async () => {
    await editedAndUnderReview();
    await approve(agents.minh!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    await take(agents.sam!, "unpublish", { comment: "" }).expect(400);
    await take(agents.sam!, "unpublish", { comment: "Dosing under re-evaluation" }).expect(303);
    await request(app).get(`/articles/${SEEDED_SLUG}`).expect(404);
  });

  it("the live revision can be unpublished while a newer draft exists, and the draft is kept", async () => {
    await editedAndUnderReview();
    await approve(agents.minh!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    const live = (await currentRevision(database)).revision;
    await save(agents.ben!, (c) => { c.summary = `${c.summary} Draft addition.`; }).expect(303);
    const { article } = await currentRevision(database);
    const page = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    expect(page.text).toContain(`Unpublish (live revision r${live.number})`);
    const res = await agents.sam!.post(`/editor/articles/${article.id}/transitions/unpublish`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: live.id, expectedState: "APPROVED", comment: "Safety concern raised" });
    expect(res.status).toBe(303);
    await request(app).get(`/articles/${SEEDED_SLUG}`).expect(404);
    const after = await currentRevision(database);
    expect(after.revision.state).toBe("DRAFT");
    expect(after.article.publishedRevisionId).toBeNull();
  });

  it("resubmitting the very revision that was sent back leaves the change request open", async () => {
    await requestChanges(agents, "Supply the sources.");
    // The seed's citation errors block submission; make them pass without a new revision to model "unchanged".
    await database.pool.query(`UPDATE reference SET title = 'Title of ' || key, source = 'S', year = 2020, details_missing = false WHERE key LIKE 'missing-source-%'`);
    await take(agents.alice!, "submit").expect(303);
    expect(await database.prisma.comment.count({ where: { kind: "CHANGE_REQUEST", resolvedAt: null } })).toBe(1);
  });

  it("only the revision's author may withdraw it", async () => {
    await requestChanges(agents, "x");
    await save(agents.alice!, supplyMissingSources).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.ben!, "withdraw").expect(403);
    await take(agents.alice!, "withdraw").expect(303);
    expect((await currentRevision(database)).revision.state).toBe("DRAFT");
  });
});

describe("separation of duties and signatures", () => {
  it("nobody approves a revision they edited, whatever their role; the UI offers them no Approve button", async () => {
    await database.prisma.user.update({ where: { email: demo.sam }, data: { canReview: true } });
    try {
      await requestChanges(agents, "x");
      await save(agents.sam!, supplyMissingSources).expect(303);
      await take(agents.sam!, "submit").expect(303);
      await take(agents.sam!, "start_review").expect(303);
      const { article } = await currentRevision(database);
      const page = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
      expect(page.text).not.toContain('data-transition="approve"');
      const before = await snapshot();
      const res = await approve(agents.sam!).expect(403);
      expect(res.text).toContain("separation of duties");
      expect(await snapshot()).toEqual(before);
      const other = await agents.priya!.get(`/editor/articles/${article.id}`).expect(200);
      expect(other.text).toContain('data-transition="approve"');
    } finally {
      await database.prisma.user.update({ where: { email: demo.sam }, data: { canReview: false } });
    }
  });

  it("an editor forging an Approve request gets 403 and nothing changes", async () => {
    await editedAndUnderReview();
    const before = await snapshot();
    await approve(agents.alice!).expect(403);
    expect(await snapshot()).toEqual(before);
  });

  it("a signature with a wrong password is refused, changes nothing, and is recorded as a security event", async () => {
    await editedAndUnderReview();
    const before = await snapshot();
    const since = await lastAuditId(database);
    const res = await approve(agents.minh!, "wrong-password-123").expect(403);
    expect(res.text).toContain("password is not correct");
    expect(await snapshot()).toEqual(before);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["auth.forbidden"]);
    expect(events[0]!.payload).toMatchObject({ reason: "signature password incorrect" });
  });

  it("wrong signature passwords are throttled like sign-in: after 5, even the right one is refused for a while", async () => {
    await editedAndUnderReview();
    // A reviewer of this test's own, so the failures it records do not lock out the others.
    const email = `throttle.${Date.now()}@demo.test`;
    await createUser(database.prisma, systemContext(), { email, name: "Dr. Throttle", role: "REVIEWER", password: DEMO_PASSWORD });
    const reviewer = await signedInAgent(app, email);
    for (let i = 0; i < 5; i++) await approve(reviewer, `wrong-password-${i}`).expect(403);
    const res = await approve(reviewer).expect(429);
    expect(res.text).toContain("Too many wrong signature passwords");
    expect((await currentRevision(database)).revision.state).toBe("UNDER_REVIEW");
    // Another reviewer is not affected.
    await approve(agents.priya!).expect(303);
  });

  // The embedded database runs one statement at a time, so parallel requests cannot race there.
  it.skipIf(!serverUrl)("12 parallel wrong signature passwords: exactly 5 are checked and recorded, 7 must wait (PostgreSQL server only)", async () => {
    await editedAndUnderReview();
    const email = `parallel.${Date.now()}@demo.test`;
    await createUser(database.prisma, systemContext(), { email, name: "Dr. Parallel", role: "REVIEWER", password: DEMO_PASSWORD });
    const reviewer = await signedInAgent(app, email);
    const since = await lastAuditId(database);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => approve(reviewer, `wrong-password-${i}`)));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(5).fill(403), ...Array(7).fill(429)]);
    for (const r of results.filter((x) => x.status === 429)) expect(r.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ")).toMatch(/Too many wrong signature passwords. Try again in (2[5-9]|30) seconds./);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.actorEmail, (e.payload as { reason: string }).reason])).toEqual(Array(5).fill(["auth.forbidden", email, "signature password incorrect"]));
  });

  it("with two approvals required, a revision is approved only after two distinct non-author reviewers sign", async () => {
    await database.prisma.article.update({ where: { slug: SEEDED_SLUG }, data: { approvalsRequired: 2 } });
    await editedAndUnderReview();
    await approve(agents.minh!).expect(303);
    expect((await currentRevision(database)).revision.state).toBe("UNDER_REVIEW");
    await approve(agents.minh!).expect(409);
    await approve(agents.priya!).expect(303);
    const { revision } = await currentRevision(database);
    expect(revision.state).toBe("APPROVED");
    expect(revision.approvals.map((a) => a.signerName).sort()).toEqual(["Dr. Minh Nguyen", "Dr. Priya Patel"]);
  });

  it("a signature shows as invalid when the signed content was altered", async () => {
    await editedAndUnderReview();
    await approve(agents.minh!).expect(303);
    await take(agents.sam!, "publish").expect(303);
    const { revision } = await currentRevision(database);
    let page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(page.text).not.toContain("Signature invalid");
    // Tampering behind the application's back.
    await database.pool.query(`UPDATE section SET body = body || ' 100mg' WHERE revision_id = $1 AND key = 'skeletal-muscle-relaxants'`, [revision.id]);
    // Staff pages check signatures on every view; the public page when it is next rendered
    // (a tampered row writes no audit event, so only the periodic re-render catches it).
    const preview = await agents.minh!.get(`/editor/articles/${revision.articleId}/revisions/${revision.number}`).expect(200);
    expect(preview.text).toContain("Signature invalid");
    publicDeliveryOf(app).cache.invalidate(["all"]);
    page = await request(app).get(`/articles/${SEEDED_SLUG}`).expect(200);
    expect(page.text).toContain("Signature invalid");
  });
});

describe("concurrency", () => {
  // Concurrency is only tested on a PostgreSQL server: the embedded database runs one
  // transaction at a time, so parallel requests there cannot race at all.
  it.skipIf(!serverUrl)("20 simultaneous approvals of one revision: exactly one succeeds, 19 get a clear 409 (PostgreSQL server only)", async () => {
    await editedAndUnderReview();
    const since = await lastAuditId(database);
    const results = await Promise.all(Array.from({ length: 20 }, () => approve(agents.priya!)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const { revision } = await currentRevision(database);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(decodeEntities(r.text)).toContain(`Someone else acted first: revision ${revision.number} is now "Approved", not "Under review". This page now shows the article as it is.`);
    }
    expect(revision.state).toBe("APPROVED");
    expect(revision.approvals).toHaveLength(1);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["workflow.approved"]);
  });

  // Concurrency is only tested on a PostgreSQL server: the embedded database runs one
  // transaction at a time, so parallel requests there cannot race at all.
  it.skipIf(!serverUrl)("20 simultaneous saves from the same revision: exactly one new revision, 19 conflicts (PostgreSQL server only)", async () => {
    await requestChanges(agents, "x");
    const { article } = await currentRevision(database);
    const forms = await Promise.all(Array.from({ length: 20 }, (_, i) => editForm(database, (c) => { c.summary = `${c.summary} (edit ${i})`; })));
    const since = await lastAuditId(database);
    const results = await Promise.all(forms.map((form) => agents.alice!.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: agents.alice!.csrf, ...form }))));
    expect(results.map((r) => r.status).filter((s) => s === 303)).toHaveLength(1);
    expect(results.map((r) => r.status).filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(decodeEntities(r.text)).toContain("Someone else saved revision 2 while you were editing. Your text has not been saved");
    }
    expect(await database.prisma.revision.count({ where: { articleId: article.id } })).toBe(2);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["article.revision.created"]);
  });
});
