// Every staff form that refuses input brings the person back to the form's own page
// (status 400 or 409), with the reason beside the field and what they typed kept, never
// the bare error page whose only link leads to the public list. The staff POST routes
// are read from the app's routers, so a new form without a case here fails the test.
import { recordReaderQuestion } from "../src/services/readers/index.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Express } from "express";
import { type Agents, auditEventsSince, contextOf, currentRevision, demo, editForm, formBody, lastAuditId, openSite, pending, publishSeeded, startAfresh, supplyMissingSources, type TestDatabase, tokenFor, userByEmail, visibleText, workflowActions } from "./support/index.js";
import { cancelSchedule, createSchedule, createPreviewLink, revokePreviewLink } from "../src/services/publishing/index.js";
import { addComment, setCommentResolved } from "../src/services/review/index.js";
import { revokeApiToken } from "../src/services/people/index.js";
import { scheduleInWords, wallTimeToUtc } from "../src/time.js";

let database: TestDatabase;
let app: Express;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite({ env: { PUBLIC_URL: "https://answers.example.org" } })));
afterAll(() => database?.close());
beforeEach(async () => {
  await database.prisma.publicationSchedule.deleteMany();
  await startAfresh(database, app, agents);
});

const { take, save, approve } = workflowActions(() => database);

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** Every POST route of the app, as "/editor/articles/:id/schedules", read from the routers themselves. */
function postRoutes(target: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        if (layer.route.methods.post) found.push(prefix + layer.route.path);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath : ""));
      }
    }
  };
  walk((target as unknown as { router: { stack: Layer[] } }).router.stack, "");
  // A router's own "/" is its mount point ("/account/tokens/" is "/account/tokens").
  return [...new Set(found.map((path) => (path.length > 1 ? path.replace(/\/$/, "") : path)))].sort();
}

const isStaffRoute = (path: string) => /^\/(editor|admin|account)\b/.test(path);

interface Refusal {
  /** Who posts. */
  as: keyof typeof demo;
  /** The concrete address posted to (set up the state the refusal needs first). */
  path: string;
  body: Record<string, unknown>;
  status: 400 | 404 | 409;
  /** The field refused, with the text typed into it (null for a password: never sent back). */
  field?: { name: string; typed: string | null };
  /** For a button with no field: words of the reason shown on the page. */
  reason?: string;
  /** Where the form sits when it is not posted to `path` (a button whose form opens a confirmation). */
  formAction?: string;
}

const ids = async () => {
  const { article, revision } = await currentRevision(database);
  return { article, revision, articleId: article.id };
};
const sam = () => userByEmail(database, demo.sam);
const alice = () => userByEmail(database, demo.alice);
const inTwoHours = () => new Date(Date.now() + 2 * 3_600_000).toISOString().slice(0, 16);

/** One refusal per staff POST route, keyed by the route as the router declares it. */
const refusals: Record<string, () => Promise<Refusal>> = {
  "/account/tokens": async () => ({ as: "alice", path: "/account/tokens", body: { name: "x".repeat(101), scopes: "read" }, status: 400, field: { name: "name", typed: "x".repeat(101) } }),
  "/account/tokens/:tokenId/revoke": async () => {
    const { id, user } = await tokenFor(database, demo.alice);
    await revokeApiToken(database.prisma, contextOf(user), user, id);
    return { as: "alice", path: `/account/tokens/${id}/revoke`, body: { confirmed: "yes" }, status: 409, reason: "is already revoked", formAction: "/account/tokens" };
  },
  "/admin/audiences": async () => ({ as: "sam", path: "/admin/audiences", body: { slug: "Not A Slug", name: "Carers", description: "People caring for a patient", schemaAudienceType: "Patient", maxGrade: "" }, status: 400, field: { name: "slug", typed: "Not A Slug" } }),
  "/admin/audiences/:id": async () => {
    const audience = await database.prisma.audience.findFirstOrThrow({ where: { isDefault: false } });
    return { as: "sam", path: `/admin/audiences/${audience.id}`, body: { name: audience.name, description: audience.description, schemaAudienceType: audience.schemaAudienceType, maxGrade: "twelve" }, status: 400, field: { name: "maxGrade", typed: "twelve" } };
  },
  "/admin/audiences/:id/archive": async () => {
    const archived = await database.prisma.audience.create({
      data: { slug: "archived-example", name: "Archived example", description: "An audience already archived", schemaAudienceType: "Patient", archivedAt: new Date() },
    });
    return { as: "sam", path: `/admin/audiences/${archived.id}/archive`, body: {}, status: 409, reason: "is already archived", formAction: `/admin/audiences/${archived.id}/unarchive` };
  },
  "/admin/audiences/:id/unarchive": async () => {
    const audience = await database.prisma.audience.findFirstOrThrow({ where: { isDefault: false, archivedAt: null } });
    return { as: "sam", path: `/admin/audiences/${audience.id}/unarchive`, body: {}, status: 409, reason: "is not archived", formAction: `/admin/audiences/${audience.id}/archive` };
  },
  "/admin/jobs/:id/retry": async () => {
    // A schedule job that gave up, for a schedule that no longer exists: retrying it is refused.
    const job = await database.prisma.job.create({
      data: { kind: "publication.run", payload: { scheduleId: crypto.randomUUID() }, status: "GAVE_UP", attempts: 9, lastError: "database unavailable", gaveUpAt: new Date(), failingSince: new Date() },
    });
    return { as: "sam", path: `/admin/jobs/${job.id}/retry`, body: {}, status: 409, reason: "schedule the publication again instead", formAction: `/admin/jobs/${job.id}/retry` };
  },
  "/admin/vocabulary": async () => ({
    as: "sam", path: "/admin/vocabulary", body: { layTerm: "s".repeat(81), professionalTerm: "sedation" }, status: 400, field: { name: "layTerm", typed: "s".repeat(81) },
  }),
  "/admin/vocabulary/:id/remove": async () => ({
    as: "sam", path: `/admin/vocabulary/${crypto.randomUUID()}/remove`, body: {}, status: 404, reason: "That vocabulary entry does not exist", formAction: "/admin/vocabulary",
  }),
  "/editor/questions/:id/draft": async () => {
    const { groupId } = await recordReaderQuestion(database.prisma, { kind: "CORRECTION", text: "Reference 3 has the wrong year", normalized: "reference wrong year", answerShown: false });
    return { as: "alice", path: `/editor/questions/${groupId}/draft`, body: {}, status: 409, reason: "Only an open reader question can start a draft", formAction: `/editor/questions/${groupId}/decline` };
  },
  "/editor/questions/:id/answered": async () => {
    const { groupId } = await recordReaderQuestion(database.prisma, { kind: "QUESTION", text: "Can I take baclofen with alcohol?", normalized: "alcohol baclofen", answerShown: false });
    return { as: "alice", path: `/editor/questions/${groupId}/answered`, body: { slug: "no-such-article" }, status: 400, reason: "There is no article at the address", formAction: `/editor/questions/${groupId}/answered` };
  },
  "/editor/questions/:id/decline": async () => {
    const { groupId } = await recordReaderQuestion(database.prisma, { kind: "QUESTION", text: "Is heat better than ice for a spasm?", normalized: "heat ice spasm", answerShown: false });
    return { as: "alice", path: `/editor/questions/${groupId}/decline`, body: { reason: "" }, status: 400, reason: "", formAction: `/editor/questions/${groupId}/decline` };
  },
  "/account/security/totp/confirm": async () => ({
    as: "alice", path: "/account/security/totp/confirm", body: { code: "123456" }, status: 400, reason: "has expired", formAction: "/account/security/totp/start",
  }),
  "/account/security/totp/remove": async () => ({
    as: "alice", path: "/account/security/totp/remove", body: {}, status: 404, reason: "No authenticator app is set up.", formAction: "/account/security/totp/start",
  }),
  "/account/security/recovery-codes": async () => ({
    as: "alice", path: "/account/security/recovery-codes", body: {}, status: 409, reason: "", formAction: "/account/security/totp/start",
  }),
  "/account/security/passkeys/:id/rename": async () => ({
    as: "alice", path: `/account/security/passkeys/${crypto.randomUUID()}/rename`, body: { name: "Work laptop" }, status: 404, reason: "That passkey does not exist.", formAction: "/account/security/totp/start",
  }),
  "/account/security/passkeys/:id/remove": async () => ({
    as: "alice", path: `/account/security/passkeys/${crypto.randomUUID()}/remove`, body: {}, status: 404, reason: "That passkey does not exist.", formAction: "/account/security/totp/start",
  }),
  "/admin/users": async () => ({ as: "sam", path: "/admin/users", body: { email: "not-an-address", name: "New Person", role: "EDITOR", credentials: "", password: "a long enough password" }, status: 400, field: { name: "email", typed: "not-an-address" } }),
  "/admin/users/:id": async () => {
    const user = await alice();
    return { as: "sam", path: `/admin/users/${user.id}`, body: { name: "A", role: "EDITOR", credentials: "RN" }, status: 400, field: { name: "name", typed: "A" } };
  },
  "/admin/users/:id/password": async () => {
    const user = await alice();
    return { as: "sam", path: `/admin/users/${user.id}/password`, body: { password: "short" }, status: 400, field: { name: "password", typed: null } };
  },
  "/admin/users/:id/deactivate": async () => {
    const user = await sam();
    return { as: "sam", path: `/admin/users/${user.id}/deactivate`, body: {}, status: 409, reason: "You cannot deactivate your own account.", formAction: `/admin/users/${user.id}/deactivate` };
  },
  "/admin/users/:id/reactivate": async () => {
    const user = await alice();
    return { as: "sam", path: `/admin/users/${user.id}/reactivate`, body: {}, status: 409, reason: "That user is already active.", formAction: `/admin/users/${user.id}/deactivate` };
  },
  "/editor/articles": async () => ({ as: "alice", path: "/editor/articles", body: { title: "Why?", slug: "" }, status: 400, field: { name: "title", typed: "Why?" } }),
  "/editor/articles/:id/edit": async () => {
    await take(agents.alice!, "withdraw").expect(303);
    const { articleId } = await ids();
    const form = await editForm(database, () => {});
    return { as: "alice", path: `/editor/articles/${articleId}/edit`, body: { ...form, title: "Hmm?" }, status: 400, field: { name: "title", typed: "Hmm?" } };
  },
  "/editor/articles/:id/transitions/:name": async () => {
    await take(agents.priya!, "start_review").expect(303);
    const { articleId, revision } = await ids();
    return { as: "priya", path: `/editor/articles/${articleId}/transitions/request_changes`, body: { revisionId: revision.id, expectedState: revision.state, comment: "y".repeat(5001) }, status: 400, field: { name: "comment", typed: "y".repeat(5001) } };
  },
  "/editor/articles/:id/assignments": async () => {
    const { articleId, revision } = await ids();
    const priya = await userByEmail(database, demo.priya);
    return { as: "alice", path: `/editor/articles/${articleId}/assignments`, body: { revisionId: revision.id, reviewerIds: [priya.id], reviewDue: "2020-01-02" }, status: 400, field: { name: "reviewDue", typed: "2020-01-02" } };
  },
  "/editor/articles/:id/comments": async () => {
    const { articleId, revision } = await ids();
    return { as: "priya", path: `/editor/articles/${articleId}/comments`, body: { revisionId: revision.id, sectionKey: "", quote: "q".repeat(1001), body: "Kept remark" }, status: 400, field: { name: "quote", typed: "q".repeat(1001) } };
  },
  "/editor/articles/:id/comments/:commentId/replies": async () => {
    const { articleId, revision } = await ids();
    const priya = await userByEmail(database, demo.priya);
    const comment = await addComment(database.prisma, contextOf(priya), priya, articleId, { revisionId: revision.id, sectionKey: null, audience: null, quote: null, body: "Check the dosing." });
    return { as: "alice", path: `/editor/articles/${articleId}/comments/${comment.id}/replies`, body: { body: "r".repeat(5001) }, status: 400, field: { name: "body", typed: "r".repeat(5001) } };
  },
  "/editor/articles/:id/comments/:commentId/resolve": async () => {
    const { articleId, revision } = await ids();
    const priya = await userByEmail(database, demo.priya);
    const comment = await addComment(database.prisma, contextOf(priya), priya, articleId, { revisionId: revision.id, sectionKey: null, audience: null, quote: null, body: "Check the dosing." });
    await setCommentResolved(database.prisma, contextOf(priya), priya, articleId, comment.id, true);
    return { as: "priya", path: `/editor/articles/${articleId}/comments/${comment.id}/resolve`, body: {}, status: 409, reason: "This comment is already resolved.", formAction: `/editor/articles/${articleId}/comments/${comment.id}/reopen` };
  },
  "/editor/articles/:id/comments/:commentId/reopen": async () => {
    const { articleId, revision } = await ids();
    const priya = await userByEmail(database, demo.priya);
    const comment = await addComment(database.prisma, contextOf(priya), priya, articleId, { revisionId: revision.id, sectionKey: null, audience: null, quote: null, body: "Check the dosing." });
    return { as: "priya", path: `/editor/articles/${articleId}/comments/${comment.id}/reopen`, body: {}, status: 409, reason: "This comment is already open.", formAction: `/editor/articles/${articleId}/comments/${comment.id}/resolve` };
  },
  "/editor/articles/:id/preview-links": async () => {
    const { articleId, revision } = await ids();
    return { as: "alice", path: `/editor/articles/${articleId}/preview-links`, body: { revisionId: revision.id, days: "45" }, status: 400, field: { name: "days", typed: "45" } };
  },
  "/editor/articles/:id/preview-links/:linkId/revoke": async () => {
    const { articleId, revision } = await ids();
    const user = await alice();
    const { link } = await createPreviewLink(database.prisma, contextOf(user), user, articleId, { revisionId: revision.id, days: 3 });
    await revokePreviewLink(database.prisma, contextOf(user), user, articleId, link.id);
    return { as: "alice", path: `/editor/articles/${articleId}/preview-links/${link.id}/revoke`, body: { confirmed: "yes" }, status: 409, reason: "That preview link is already revoked.", formAction: `/editor/articles/${articleId}/preview-links` };
  },
  "/editor/articles/:id/revisions/:number/restore": async () => {
    await publishSeeded(database);
    const { articleId } = await ids();
    const r1 = await database.prisma.revision.findFirstOrThrow({ where: { articleId, number: 1 } });
    // Opened on r1 while r2 was saved meanwhile: a stale page.
    return { as: "alice", path: `/editor/articles/${articleId}/revisions/1/restore`, body: { baseRevisionId: r1.id }, status: 409, reason: "", formAction: `/editor/articles/${articleId}/revisions/1/restore` };
  },
  "/editor/articles/:id/schedules": async () => {
    await publishSeeded(database);
    const { articleId, revision } = await ids();
    return { as: "sam", path: `/editor/articles/${articleId}/schedules`, body: { revisionId: revision.id, action: "PUBLISH", runAt: "2020-01-01T10:00", reason: "Kept reason" }, status: 400, field: { name: "runAt", typed: "2020-01-01T10:00" } };
  },
  "/editor/articles/:id/schedules/:scheduleId/cancel": async () => {
    await publishSeeded(database);
    const { articleId, revision } = await ids();
    const admin = await sam();
    const { schedule } = await createSchedule(database.prisma, contextOf(admin), admin, articleId, { revisionId: revision.id, action: "UNPUBLISH", runAt: new Date(Date.now() + 3_600_000), timeZone: "UTC", reason: "Check" });
    await cancelSchedule(database.prisma, contextOf(admin), admin, articleId, schedule.id);
    return { as: "sam", path: `/editor/articles/${articleId}/schedules/${schedule.id}/cancel`, body: { confirmed: "yes" }, status: 409, reason: "This schedule is already cancelled", formAction: `/editor/articles/${articleId}/schedules` };
  },
  "/editor/articles/:id/settings": async () => {
    const { articleId, article } = await ids();
    return { as: "sam", path: `/editor/articles/${articleId}/settings`, body: { version: String(article.version), slug: article.slug, approvalsRequired: "9", nextReviewDue: "" }, status: 400, field: { name: "approvalsRequired", typed: "9" } };
  },
  "/editor/articles/:id/slug": async () => {
    await take(agents.alice!, "withdraw").expect(303);
    const { articleId, article } = await ids();
    return { as: "alice", path: `/editor/articles/${articleId}/slug`, body: { version: String(article.version), slug: "Not Valid!" }, status: 400, field: { name: "slug", typed: "Not Valid!" } };
  },
  "/editor/media/:hash/delete": async () => {
    const user = await alice();
    const { processUpload } = await import("../src/content/images.js");
    const { storeImage } = await import("../src/services/editorial/index.js");
    const sharp = (await import("sharp")).default;
    const image = await processUpload(await sharp({ create: { width: 64, height: 32, channels: 3, background: "white" } }).png().toBuffer(), { name: "chart.png", maxBytes: 1e7 });
    await database.prisma.$transaction((tx) => storeImage(tx, contextOf(user), user, image, { originalName: "chart.png", via: "editor" }));
    return { as: "alice", path: `/editor/media/${image.hash}/delete`, body: { confirmed: "yes", reason: "r".repeat(501) }, status: 400, field: { name: "reason", typed: "r".repeat(501) } };
  },
  "/editor/notifications/preferences": async () => ({
    as: "alice", path: "/editor/notifications/preferences", body: { email: ["workflow.approved", "no.such.kind"] }, status: 400, field: { name: "email", typed: "workflow.approved" },
  }),
};

/** Staff POST routes that take no input and cannot be refused: nothing to bring back. */
const cannotBeRefused: Record<string, string> = {
  "/editor/notifications/read": "marks the person's own notifications read; always succeeds",
  "/account/security/totp/start": "takes no input; starts a set-up in the person's own session",
  "/account/security/totp/cancel": "takes no input; forgets the set-up in progress, always succeeds",
  "/account/security/passkeys/options": "JSON for the passkey script; its refusals are sentences the script shows beside the button",
  "/account/security/passkeys": "JSON for the passkey script; its refusals are sentences the script shows beside the button",
  "/editor/articles/:id/signature-options": "JSON for the passkey script; its refusals are sentences the script shows beside the button",
  "/admin/users/:id/second-factors/reset": "takes no input; refused only by permission (a 403 page, decision 0021)",
};

/** The HTML of the form that posts to `action` (the first one), or "" when there is none. */
function formPostingTo(html: string, action: string): string {
  const start = html.search(new RegExp(`<form[^>]*action="${action.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`));
  if (start < 0) return "";
  return html.slice(start, html.indexOf("</form>", start));
}

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;");

describe("every staff form brings a refusal back to its page", () => {
  it("lists each staff POST route with a refusal case (a new form needs one)", () => {
    const staff = postRoutes(app).filter(isStaffRoute);
    expect(staff.length).toBeGreaterThan(20);
    const missing = staff.filter((route) => !refusals[route] && !cannotBeRefused[route]);
    expect(missing, "staff forms without a refusal case in test/staff-forms.test.ts").toEqual([]);
    const stale = Object.keys(refusals).filter((route) => !staff.includes(route));
    expect(stale, "cases for routes that no longer exist").toEqual([]);
  });

  for (const route of Object.keys(refusals)) {
    it(`${route}: the page again, the reason beside the field, the value kept, nothing changed`, async () => {
      const refusal = await refusals[route]!();
      const agent = agents[refusal.as]!;
      const since = await lastAuditId(database);
      const send = agent.post(refusal.path).type("form").send(formBody({ _csrf: agent.csrf, ...refusal.body }));
      const res = await pending(send).expect(refusal.status);
      expect(res.text, "not the bare error page").not.toContain("Back to the articles");
      expect(res.headers["content-type"]).toContain("text/html");
      const form = formPostingTo(res.text, refusal.formAction ?? refusal.path);
      expect(form, `the page shows the form posting to ${refusal.formAction ?? refusal.path}`).not.toBe("");
      if (refusal.field) {
        const { name, typed } = refusal.field;
        // The field, marked invalid and tied to its message, which is beside it.
        expect(form).toMatch(new RegExp(`<(input|textarea|select|fieldset)[^>]*(name="${name.replace(/[[\]]/g, "\\$&")}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*>[\\s\\S]*?name="${name}")`));
        expect(form).toMatch(/<p class="field-error"( id="[^"]+")?>[^<]+<\/p>/);
        if (typed === null) expect(form).not.toContain(String(refusal.body[name]));
        else expect(form, "the value typed is kept").toContain(escapeHtml(typed));
      } else {
        expect(visibleText(res.text)).toContain(refusal.reason ?? "");
        expect(res.text).toMatch(/role="alert"/);
      }
      // Refused input changes nothing: no audit event but a recorded refusal of a signature.
      expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual([]);
    });
  }

  it("the schedule form names its fields by their labels in the reason, and keeps the reason typed", async () => {
    const refusal = await refusals["/editor/articles/:id/schedules"]!();
    const res = await pending(agents.sam!.post(refusal.path).type("form").send({ _csrf: agents.sam!.csrf, ...refusal.body })).expect(400);
    const form = formPostingTo(res.text, refusal.path);
    expect(visibleText(form)).toMatch(/Not saved\. When: must be in the future \(it is now \w+day \d+ \w+ \d{4} at \d\d:\d\d UTC\)\./);
    expect(form).toContain('<p class="field-error" id="schedule-runAt-error">must be in the future');
    expect(form).toMatch(/<input type="text" id="schedule-reason" name="reason" value="Kept reason"/);
    expect(form).not.toContain("runAt:");
  });
});

describe("unpublishing", () => {
  it("with a reason refused goes back to the confirmation page, the reason kept and the message beside it", async () => {
    const { article, revision } = await publishSeeded(database);
    const reason = "z".repeat(5001);
    const res = await pending(agents.sam!.post(`/editor/articles/${article.id}/transitions/unpublish`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: revision.id, expectedState: "APPROVED", comment: reason })).expect(400);
    expect(visibleText(res.text)).toContain(`Unpublish r${revision.number}?`);
    const form = formPostingTo(res.text, `/editor/articles/${article.id}/transitions/unpublish`);
    expect(form).toMatch(/<textarea id="comment-unpublish" name="comment" required aria-invalid="true" aria-describedby="unpublish-comment-error">z{5001}<\/textarea>/);
    expect(form).toContain('<p class="field-error" id="unpublish-comment-error">must be at most 5,000 characters</p>');
    expect(res.text).not.toContain("Back to the articles");
    expect((await currentRevision(database)).article.publishedRevisionId).toBe(revision.id);
  });
});

describe("the editor of a revision in review", () => {
  it("says a submitted revision can be withdrawn by its author, with the withdraw button (no 'someone else changed this')", async () => {
    const { article } = await ids();
    const res = await pending(agents.alice!.get(`/editor/articles/${article.id}/edit`)).expect(409);
    const text = visibleText(res.text);
    expect(text).not.toContain("Someone else changed this");
    expect(text).toContain("r1 is submitted for review, so it cannot be edited now. Withdraw it to edit it");
    const withdraw = formPostingTo(res.text, `/editor/articles/${article.id}/transitions/withdraw`);
    expect(withdraw).toContain("Withdraw r1 from review");
    // The button works: the revision goes back to draft and the editor opens.
    const since = await lastAuditId(database);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(withdraw)![1]!;
    const revisionId = /name="revisionId" value="([^"]+)"/.exec(withdraw)![1]!;
    await agents.alice!.post(`/editor/articles/${article.id}/transitions/withdraw`).type("form").send({ _csrf: csrf, revisionId, expectedState: "SUBMITTED" }).expect(303);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["workflow.withdrawn"]);
    await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200);
  });

  it("offers no withdraw button to someone the workflow would refuse, and says who can", async () => {
    const { article } = await ids();
    // Alice's own submission: Ben, another editor, may not withdraw it.
    await take(agents.alice!, "withdraw").expect(303);
    await save(agents.alice!, (c) => { supplyMissingSources(c); c.summary = `${c.summary} Clarified.`; }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    const res = await pending(agents.ben!.get(`/editor/articles/${article.id}/edit`)).expect(409);
    expect(formPostingTo(res.text, `/editor/articles/${article.id}/transitions/withdraw`)).toBe("");
    expect(visibleText(res.text)).toContain("r2 is submitted for review, so it cannot be edited now. Its author can withdraw it before a reviewer starts");
  });

  it("says a revision under review waits for its reviewer, naming them", async () => {
    await take(agents.priya!, "start_review").expect(303);
    const { article } = await ids();
    const res = await pending(agents.alice!.get(`/editor/articles/${article.id}/edit`)).expect(409);
    const text = visibleText(res.text);
    expect(text).toContain("r1 is under review by Dr. Priya Patel, so it cannot be edited now.");
    expect(text).toContain("Wait for the review");
    expect(formPostingTo(res.text, `/editor/articles/${article.id}/transitions/withdraw`)).toBe("");
  });
});

describe("scheduling in the reader's time zone", () => {
  it("converts a wall-clock time in an IANA zone to UTC, across daylight saving", () => {
    expect(wallTimeToUtc("2026-12-06T14:00", "UTC")!.toISOString()).toBe("2026-12-06T14:00:00.000Z");
    expect(wallTimeToUtc("2026-12-06T14:00", "Europe/Paris")!.toISOString()).toBe("2026-12-06T13:00:00.000Z");
    expect(wallTimeToUtc("2026-07-06T14:00", "Europe/Paris")!.toISOString()).toBe("2026-07-06T12:00:00.000Z");
    expect(wallTimeToUtc("2026-12-06T09:30", "America/New_York")!.toISOString()).toBe("2026-12-06T14:30:00.000Z");
    expect(wallTimeToUtc("2026-12-06T14:00", "Asia/Kolkata")!.toISOString()).toBe("2026-12-06T08:30:00.000Z");
    expect(wallTimeToUtc("2026-02-30T10:00", "UTC")).toBeNull();
    expect(scheduleInWords(new Date("2026-12-06T14:00:00Z"), "UTC", new Date("2026-12-06T12:00:00Z"))).toBe("in 2 hours, on Sunday 6 December 2026 at 14:00 UTC");
    expect(scheduleInWords(new Date("2026-12-06T14:00:00Z"), "Europe/Paris", new Date("2026-12-06T12:00:00Z"))).toBe("in 2 hours, on Sunday 6 December 2026 at 14:00 UTC (Sunday 6 December 2026 at 15:00 Europe/Paris)");
  });

  it("shows the time now in UTC beside the field, stores the local time given as UTC, and says when it will run in words", async () => {
    await publishSeeded(database);
    const { article, revision } = await ids();
    const page = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    const form = formPostingTo(page.text, `/editor/articles/${article.id}/schedules`);
    expect(visibleText(form)).toMatch(/It is now \w+day \d+ \w+ \d{4} at \d\d:\d\d UTC\./);
    expect(form).toContain('<input type="hidden" name="timeZone" value="" data-time-zone>');
    expect(page.text).toContain('<script src="/static/schedule-time.js" defer></script>');

    // 15:00 in Paris in December is 14:00 UTC; two days ahead so it is in the future (38 hours to
    // 3 days away, depending on the time of day the test runs).
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await agents.sam!.post(`/editor/articles/${article.id}/schedules`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: revision.id, action: "UNPUBLISH", runAt: `${day}T15:00`, timeZone: "Europe/Paris", reason: "Planned check" }).expect(303);
    const stored = await database.prisma.publicationSchedule.findFirstOrThrow();
    expect(stored.runAt.toISOString()).toBe(wallTimeToUtc(`${day}T15:00`, "Europe/Paris")!.toISOString());
    const after = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    const notice = /<p class="notice" role="status">([^<]+)<\/p>/.exec(after.text)![1]!;
    expect(notice).toMatch(/unpublication scheduled in \d+ (hours|days), on \w+day \d+ \w+ \d{4} at \d\d:00 UTC \(\w+day \d+ \w+ \d{4} at 15:00 Europe\/Paris\)/);
    expect(after.text).toContain(`<time datetime="${stored.runAt.toISOString()}" data-local-time>`);
  });

  it("refuses a time zone the server does not know, keeping the time typed", async () => {
    await publishSeeded(database);
    const { article, revision } = await ids();
    const res = await pending(agents.sam!.post(`/editor/articles/${article.id}/schedules`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: revision.id, action: "PUBLISH", runAt: inTwoHours(), timeZone: "Mars/Olympus" })).expect(400);
    expect(visibleText(res.text)).toContain("Time zone: not a time zone this server knows");
    expect(res.text).toContain(`value="${inTwoHours().slice(0, 13)}`);
    expect(await database.prisma.publicationSchedule.count()).toBe(0);
  });
});

describe("editing after approval while a publication is scheduled", () => {
  it("warns on the save notice and on the schedule row that rN goes live without the new edit, and cancels it after confirmation", async () => {
    // r2 approved and live; r3 approved and scheduled; then r4 is saved.
    await publishSeeded(database);
    await save(agents.alice!, (c) => { c.summary = `${c.summary} Approved correction.`; }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.priya!, "start_review").expect(303);
    await approve(agents.priya!).expect(303);
    const { article, revision: r3 } = await ids();
    await agents.sam!.post(`/editor/articles/${article.id}/schedules`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: r3.id, action: "PUBLISH", runAt: inTwoHours() }).expect(303);
    const schedule = await database.prisma.publicationSchedule.findFirstOrThrow();

    const saved = await save(agents.ben!, (c) => { c.summary = `${c.summary} A later edit.`; }).expect(303);
    expect(saved.headers.location).toBe(`/editor/articles/${article.id}#overtaken-schedules`);
    const bens = await agents.ben!.get(`/editor/articles/${article.id}`).expect(200);
    const notice = /<p class="notice" role="status">([^<]+)<\/p>/.exec(bens.text)![1]!;
    expect(notice).toMatch(/Saved revision 4\..* Note: r3 is still scheduled to go live in (1|2) hours?, on .* UTC, without this edit; ask an admin to cancel that schedule/);
    expect(visibleText(bens.text)).toContain("r3 is scheduled to go live");

    const page = await agents.sam!.get(`/editor/articles/${article.id}`).expect(200);
    expect(visibleText(page.text)).toContain("r3 will go live without the newer edits in r4.");
    const cancelPath = `/editor/articles/${article.id}/schedules/${schedule.id}/cancel`;
    expect(page.text).toMatch(new RegExp(`<form method="get" action="${cancelPath}"`));
    // The button asks first; the confirmation page holds the real cancel.
    const confirm = await agents.sam!.get(cancelPath).expect(200);
    expect(visibleText(confirm.text)).toContain("Cancel the scheduled publication of r3?");
    expect(formPostingTo(confirm.text, cancelPath)).toContain('method="post"');
    expect(await database.prisma.publicationSchedule.count({ where: { status: "SCHEDULED" } })).toBe(1);
    await agents.sam!.post(cancelPath).type("form").send({ _csrf: agents.sam!.csrf, confirmed: "yes" }).expect(303);
    expect((await database.prisma.publicationSchedule.findFirstOrThrow()).status).toBe("CANCELLED");
    expect(visibleText((await agents.sam!.get(`/editor/articles/${article.id}`)).text)).not.toContain("will go live without");
  });
});

describe("preview links", () => {
  it("are listed with their full address (from PUBLIC_URL), a copy button shown by script, expiry, and revoked after confirmation", async () => {
    const { article, revision } = await ids();
    const created = await agents.alice!.post(`/editor/articles/${article.id}/preview-links`).type("form")
      .send({ _csrf: agents.alice!.csrf, revisionId: revision.id, days: "3" }).expect(303);
    const link = await database.prisma.previewLink.findFirstOrThrow();
    expect(created.headers.location).toBe(`/editor/articles/${article.id}?created=${link.id}#preview-link-${link.id}`);
    const page = await agents.alice!.get(created.headers.location!.split("#")[0]!).expect(200);
    const item = page.text.slice(page.text.indexOf(`id="preview-link-${link.id}"`), page.text.indexOf("</li>", page.text.indexOf(`id="preview-link-${link.id}"`)));
    const url = /value="(https:\/\/answers\.example\.org\/preview\/[^"]+)"/.exec(item)?.[1];
    expect(url, "the full address is shown").toBeTruthy();
    expect(item).toContain("<strong>New:</strong>");
    expect(item).toMatch(/<button type="button" class="secondary copy-button" data-copy="preview-url-[^"]+" hidden>Copy<\/button>/);
    expect(item).toContain("expires");
    // The address works, and is shown again on a later visit (it is rebuilt from the row, not stored).
    await pending(agents.alice!.get(new URL(url!).pathname)).expect(200);
    const later = await agents.alice!.get(`/editor/articles/${article.id}`).expect(200);
    expect(later.text).toContain(url);
    expect(later.text).not.toContain("<strong>New:</strong>");

    const revokePath = `/editor/articles/${article.id}/preview-links/${link.id}/revoke`;
    const confirm = await agents.alice!.get(revokePath).expect(200);
    expect(visibleText(confirm.text)).toContain("Revoke the preview link to r1?");
    expect(await database.prisma.previewLink.count({ where: { revokedAt: null } })).toBe(1);
    await agents.alice!.post(revokePath).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes" }).expect(303);
    const after = await agents.alice!.get(`/editor/articles/${article.id}`).expect(200);
    expect(after.text).not.toContain(url);
    await pending(agents.alice!.get(new URL(url!).pathname)).expect(404);
  });

  it("are not shown to a role that may not create them", async () => {
    const { article, revision } = await ids();
    const user = await alice();
    await createPreviewLink(database.prisma, contextOf(user), user, article.id, { revisionId: revision.id, days: 3 });
    const page = await agents.priya!.get(`/editor/articles/${article.id}`).expect(200);
    expect(page.text).not.toContain("/preview/");
  });
});

