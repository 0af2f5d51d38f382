// A refused workflow step brings the person back to the page they were on, with what
// they typed kept and the reason beside the field or button; a step that succeeds says
// what happens next and who acts; Publish and Unpublish are confirmed first.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agents, auditEventsSince, currentRevision, lastAuditId, openSite, pending, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
beforeEach(() => startAfresh(database, app, agents));

const { take, save, approve, requestChanges } = workflowActions(() => database);

/** r2 with the sources supplied, submitted, and under review by Minh. */
async function underReviewByMinh() {
  await requestChanges(agents, "Please supply sources 4 to 6.");
  await save(agents.alice!, supplyMissingSources).expect(303);
  await take(agents.alice!, "submit").expect(303);
  await take(agents.minh!, "start_review").expect(303);
}

async function snapshot() {
  const { revision } = await currentRevision(database);
  return { state: revision.state, approvals: await database.prisma.approval.count(), comments: await database.prisma.comment.count() };
}

/** The HTML of one workflow form on the workspace page. */
function form(html: string, transition: string): string {
  const start = html.indexOf(`data-transition="${transition}"`);
  expect(start, `the ${transition} form is on the page`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf("</form>", start));
}

describe("a refused step", () => {
  it("with a wrong signature password keeps the reviewer on the review page, the meaning chosen and the error beside the password field", async () => {
    await underReviewByMinh();
    const before = await snapshot();
    const since = await lastAuditId(database);
    const res = await approve(agents.minh!, { password: "not-my-password", meaning: "Approved: references verified" }).expect(403);
    const approveForm = form(res.text, "approve");
    expect(approveForm).toMatch(/<option value="Approved: references verified" selected>/);
    expect(approveForm).toMatch(/<input type="password" id="password"[^>]*aria-describedby="approve-password-error"/);
    expect(approveForm).toContain('<p class="field-error" id="approve-password-error">not correct: enter the password you sign in with</p>');
    expect(approveForm).not.toContain("not-my-password");
    expect(visibleText(res.text)).toContain("Approve and sign");
    expect(res.text).not.toContain("Back to the articles");
    // Nothing changed but the security event of the wrong password.
    expect(await snapshot()).toEqual(before);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden"]);
  });

  it("without its required comment keeps the page and points at the comment field", async () => {
    await take(agents.priya!, "start_review").expect(303);
    const before = await snapshot();
    const since = await lastAuditId(database);
    const res = await take(agents.priya!, "request_changes", { comment: "   " }).expect(400);
    const requestForm = form(res.text, "request_changes");
    expect(requestForm).toContain('<p class="field-error" id="request_changes-comment-error">explain what needs to change</p>');
    expect(requestForm).toContain("A comment is required to request changes.");
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("when someone else acted first re-renders the page as it now is, keeping the text typed, with the reason", async () => {
    await take(agents.priya!, "start_review").expect(303);
    const { article, revision } = await currentRevision(database);
    // Minh requests changes while Priya is still writing hers on the page she loaded.
    await take(agents.minh!, "request_changes", { comment: "Dosing first." }).expect(303);
    const before = await snapshot();
    const since = await lastAuditId(database);
    const res = await pending(
      agents.priya!.post(`/editor/articles/${article.id}/transitions/request_changes`).type("form")
        .send({ _csrf: agents.priya!.csrf, revisionId: revision.id, expectedState: "UNDER_REVIEW", comment: "My long review text" }),
    ).expect(409);
    const text = visibleText(res.text);
    expect(text).toContain('Someone else acted first: revision 1 is now "Changes requested", not "Under review".');
    expect(res.text).toContain('data-testid="state">Changes requested<');
    expect(res.text).toContain('<blockquote class="kept-input" data-testid="kept-input">My long review text</blockquote>');
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("for a revision that is no longer the newest (a stale page) says so beside the button", async () => {
    await requestChanges(agents, "Please supply sources.");
    const r1 = (await currentRevision(database)).revision;
    await save(agents.alice!, supplyMissingSources).expect(303);
    const { article } = await currentRevision(database);
    const before = await snapshot();
    const res = await pending(
      agents.alice!.post(`/editor/articles/${article.id}/transitions/submit`).type("form")
        .send({ _csrf: agents.alice!.csrf, revisionId: r1.id, expectedState: "CHANGES_REQUESTED" }),
    );
    expect([400, 409]).toContain(res.status);
    expect(res.text).toMatch(/<p class="field-error refusal" role="alert" id="(submit-)?refusal">/);
    expect(res.text).toContain("<h1>What are the treatment options for muscle spasms?</h1>");
    expect(await snapshot()).toEqual(before);
  });

  it("for a comment whose quote is not in the section keeps the comment typed and says why beside the quote", async () => {
    const { article, revision } = await currentRevision(database);
    const before = await snapshot();
    const res = await pending(
      agents.priya!.post(`/editor/articles/${article.id}/comments`).type("form")
        .send({ _csrf: agents.priya!.csrf, revisionId: revision.id, sectionKey: "skeletal-muscle-relaxants", quote: "words nobody wrote", body: "A long remark I do not want to lose." }),
    ).expect(400);
    const commentForm = res.text.slice(res.text.indexOf('id="new-comment"'), res.text.indexOf("</form>", res.text.indexOf('id="new-comment"')));
    expect(commentForm).toContain('<option value="skeletal-muscle-relaxants" selected>');
    expect(commentForm).toMatch(/<input type="text" id="quote" name="quote" value="words nobody wrote" aria-invalid="true" aria-describedby="quote-error">/);
    expect(commentForm).toContain('<p class="field-error" id="quote-error">quote text from the section</p>');
    expect(commentForm).toMatch(/<textarea id="body" name="body" required\s*>A long remark I do not want to lose\.<\/textarea>/);
    expect(await snapshot()).toEqual(before);
  });

  it("by role is still a 403 page", async () => {
    await underReviewByMinh();
    const res = await approve(agents.alice!).expect(403);
    expect(visibleText(res.text)).toContain("Your role does not allow");
  });
});

describe("notices", () => {
  it("after a change request, name the editors who act next and what the reviewer will see", async () => {
    await take(agents.priya!, "start_review").expect(303);
    const res = await take(agents.priya!, "request_changes", { comment: "Please revise." }).expect(303);
    const page = await agents.priya!.get(res.headers.location!).expect(200);
    expect(visibleText(page.text)).toContain("Changes requested on r1. Alice Carter and Ben Okafor can now edit it; you will see the new revision on your dashboard when it is submitted.");
  });

  it("after a save, say the draft is seen by staff only and what to do next", async () => {
    await requestChanges(agents, "Please supply sources.");
    const res = await save(agents.alice!, supplyMissingSources).expect(303);
    const page = await agents.alice!.get(res.headers.location!).expect(200);
    expect(visibleText(page.text)).toContain("Saved revision 2. It is a draft that only staff see: submit it for review when it is ready");
  });

  it("after a submission, name the reviewers who act next", async () => {
    await requestChanges(agents, "Please supply sources.");
    await save(agents.alice!, supplyMissingSources).expect(303);
    const res = await take(agents.alice!, "submit").expect(303);
    const page = await agents.alice!.get(res.headers.location!).expect(200);
    expect(visibleText(page.text)).toContain("Submitted r2 for review. Dr. Minh Nguyen and Dr. Priya Patel can now start the review");
  });
});

describe("publishing", () => {
  it("is confirmed on a page that shows what the public will see, then done by its button", async () => {
    await underReviewByMinh();
    await approve(agents.minh!).expect(303);
    const { article, revision } = await currentRevision(database);
    const workspace = (await agents.sam!.get(`/editor/articles/${article.id}`).expect(200)).text;
    const publishForm = form(workspace, "publish");
    expect(workspace).toMatch(new RegExp(`<form method="get" action="/editor/articles/${article.id}/confirm/publish"[^>]*data-transition="publish">`));
    expect(publishForm).toContain("Publish…");

    const confirm = await agents.sam!.get(`/editor/articles/${article.id}/confirm/publish?revisionId=${revision.id}&expectedState=APPROVED`).expect(200);
    const text = visibleText(confirm.text);
    expect(text).toContain(`The article will appear at /articles/${article.slug} for the first time, as r2`);
    expect(text).toContain("Reviewed by: Dr. Minh Nguyen, PharmD, Clinical Pharmacology");
    expect(confirm.text).toContain(`href="/editor/articles/${article.id}/revisions/2"`);
    // Looking at the confirmation changes nothing.
    expect((await currentRevision(database)).article.publishedRevisionId).toBeNull();

    const res = await take(agents.sam!, "publish").expect(303);
    const after = await agents.sam!.get(res.headers.location!).expect(200);
    expect(visibleText(after.text)).toContain(`Published r2. The public now sees it at /articles/${article.slug}`);
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(revision.id);
  });

  it("confirmation pages are for admins only and refuse a malformed link", async () => {
    const { article, revision } = await currentRevision(database);
    await agents.alice!.get(`/editor/articles/${article.id}/confirm/publish?revisionId=${revision.id}&expectedState=APPROVED`).expect(403);
    await agents.sam!.get(`/editor/articles/${article.id}/confirm/publish?revisionId=nope&expectedState=APPROVED`).expect(400);
    await agents.sam!.get(`/editor/articles/${article.id}/confirm/approve?revisionId=${revision.id}&expectedState=APPROVED`).expect(404);
  });
});
