// The staff screens' rough edges: audience versions compared as read, readability figures
// as the editor types, signature meanings where they apply, one staff header with the bell,
// notifications read by opening them, e-mail choices by role, one date format, confirmation
// before revoking or cancelling, and staff search snippets that quote the match.
import { readFile, readdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import vm from "node:vm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { type Agent, type Agents, articleContent, auditEventsSince, currentRevision, demo, lastAuditId, openSite, reseedContent, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { axeViolations, type BrowserLog, type BrowserSite, clickAndWait, describeInBrowser, openBrowserSite, seriousAxeViolations, signIn } from "./support/browser.js";
import { expectValidHtml } from "./support/html-validator.js";
import { readability, type Readability } from "../src/content/readability.js";
import type { RevisionContent } from "../src/content/revision-content.js";
import { compareRevisions, createArticle } from "../src/services/editorial/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { searchAllRevisions } from "../src/services/readers/index.js";
import { createApiToken } from "../src/services/people/index.js";
import { createJobHandlers } from "../src/job-handlers.js";
import { createMailer } from "../src/jobs/mailer.js";
import { runDueJobs } from "../src/jobs/queue.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};
const { take, save, approve, requestChanges, revisedAndPublished } = workflowActions(() => database);

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

const fresh = () => startAfresh(database, app, agents);

const SECTION = "skeletal-muscle-relaxants";
const PATIENT_TEXT = "These medicines **relax** tight muscles.\n\n- Ask your doctor which one is right for you [@tizanidine-update-2008].";
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const userId = async (email: string) => (await database.prisma.user.findUniqueOrThrow({ where: { email } })).id;
const longDate = (day: string) => new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }).format(new Date(`${day}T00:00:00Z`));

const withPatientVersion = (body: string) => (c: RevisionContent) => {
  supplyMissingSources(c);
  c.variants = [...c.variants.filter((v) => !(v.audience === "patients" && v.sectionKey === SECTION)), { audience: "patients", sectionKey: SECTION, body }];
};

const openForEditing = () => requestChanges(agents, "Please add a patient version.");

const variantBlock = (html: string) => /<section class="diff-variant" data-variant="patients\|skeletal-muscle-relaxants">([\s\S]*?)<\/section>/.exec(html)?.[1];

describe("the reviewer's comparison of audience versions", () => {
  beforeEach(fresh);

  it("shows an added version rendered, as the public reads it, not as Markdown", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion(PATIENT_TEXT)).expect(303);
    const { article } = await currentRevision(database);
    const page = (await agents.priya!.get(`/editor/articles/${article.id}/compare?from=1&to=2`).expect(200)).text;
    const block = variantBlock(page);
    expect(block, "the version is in the comparison").toBeDefined();
    expect(block).toContain("<strong>");
    expect(block).toContain("<li>");
    expect(block).toMatch(/<sup[^>]*>/);
    expect(block).not.toContain("**");
    expect(block).not.toContain("[@tizanidine-update-2008]");
    expect(block).toContain("<ins>");
    // The Markdown view still shows the source.
    const source = variantBlock((await agents.priya!.get(`/editor/articles/${article.id}/compare?from=1&to=2&view=markdown`).expect(200)).text);
    expect(source).toContain("**relax**");
  });

  it("marks the changed words inside the rendered version", async () => {
    const base = (await currentRevision(database)).content;
    const before: RevisionContent = { ...base, variants: [{ audience: "patients", sectionKey: SECTION, body: "Take **one** tablet a day." }] };
    const after: RevisionContent = { ...base, variants: [{ audience: "patients", sectionKey: SECTION, body: "Take **two** tablets a day." }] };
    const [change] = compareRevisions(before, after).variants;
    expect(change!.status).toBe("changed");
    expect(change!.renderedHtml).toMatch(/<strong><del>one<\/del><ins>two<\/ins><\/strong>/);
    expect(change!.renderedHtml).toContain("<del>tablet</del><ins>tablets</ins>");
    expect(change!.renderedHtml).not.toContain("**");
  });
});

describe("readability figures in the browser use the server's code", () => {
  const texts = [
    "Baclofen relaxes muscles. It is usually taken three times a day.",
    "# Dosing\n\n- Start at 2 mg at bedtime, e.g. with food [@a].\n- Increase by 2 mg every 3–4 days; max. 36 mg daily.\n\n*Note:* see [the label](https://example.org).",
    "Cyclobenzaprine's anticholinergic adverse effects (dry mouth, somnolence) are dose-dependent: 0.5 mg vs. 10 mg differ.",
    "",
    "Ask your doctor! Does it hurt? Yes.",
  ];

  it("the bundle served to the page computes the same figures as the server on several texts", async () => {
    const bundle = await readFile(path.resolve(import.meta.dirname, "..", "public", "build", "readability-live.js"), "utf8");
    const sandbox: { clinicalAnswersReadability?: { readability(text: string): Readability | null } } = {};
    vm.createContext(sandbox);
    vm.runInContext(bundle, sandbox);
    expect(sandbox.clinicalAnswersReadability, "the bundle exposes its readability function").toBeDefined();
    for (const text of texts) {
      // JSON round trip: the sandbox's objects come from another realm.
      expect(JSON.parse(JSON.stringify(sandbox.clinicalAnswersReadability!.readability(text))), text).toEqual(readability(text));
    }
  });

  it("the edit page loads the script and names, for each figure, the text box it measures", async () => {
    await openForEditing();
    const { article } = await currentRevision(database);
    const page = (await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200)).text;
    expect(page).toContain('<script src="/static/build/readability-live.js" defer></script>');
    expect(page).toMatch(/data-readability-for="summary" data-max-grade=""/);
    expect(page).toMatch(/data-readability-for="s0-body"/);
    expect(page).toMatch(/data-readability-for="summary-patients" data-max-grade="\d+(\.\d+)?"/);
    const script = await agents.alice!.get("/static/build/readability-live.js").expect(200);
    expect(script.headers["content-type"]).toMatch(/javascript/);
  });
});

describe("signature meanings where they apply", () => {
  beforeEach(fresh);

  it("a plain-language approval is shown on the audience version's page, not on the page as written; staff see every signature", async () => {
    await openForEditing();
    await revisedAndPublished(agents, withPatientVersion(PATIENT_TEXT), "Approved: plain-language version");
    const { article } = await currentRevision(database);
    const asWritten = (await agents.alice!.get(`/articles/${article.slug}`).expect(200)).text;
    expect(visibleText(asWritten)).not.toContain("plain-language");
    const forPatients = (await agents.alice!.get(`/articles/${article.slug}?for=patients`).expect(200)).text;
    expect(visibleText(forPatients)).toContain("Approved: plain-language version");
    const workspace = (await agents.alice!.get(`/editor/articles/${article.id}`).expect(200)).text;
    expect(visibleText(workspace)).toContain("Approved: plain-language version");
  });

  it("a medical-accuracy approval is shown on the page as written", async () => {
    await openForEditing();
    await revisedAndPublished(agents, withPatientVersion(PATIENT_TEXT), "Approved: medical accuracy");
    const { article } = await currentRevision(database);
    expect(visibleText((await agents.alice!.get(`/articles/${article.slug}`).expect(200)).text)).toContain("Approved: medical accuracy");
  });
});

describe("the staff header, the bell and notifications", () => {
  beforeEach(fresh);

  const headerOf = (html: string) => /<header class="site-header">[\s\S]*?<\/header>/.exec(html)?.[0];

  it("every staff page has the same header, bell included (an SVG with a text label, no emoji)", async () => {
    // The notifications page first: opening it reads them, so the count is the same on every page after.
    const pages = ["/editor/notifications", "/editor", "/account/tokens", "/editor/search", "/admin/users"];
    const headers = [];
    for (const p of pages) headers.push(headerOf((await agents.sam!.get(p).expect(200)).text));
    for (const [i, header] of headers.entries()) {
      expect(header, pages[i]).toBeDefined();
      expect(header, pages[i]).toBe(headers[0]);
    }
    const bell = /<a href="\/editor\/notifications" class="bell" data-testid="bell">([\s\S]*?)<\/a>/.exec(headers[0]!)?.[1];
    expect(bell).toContain('<svg class="bell-icon" aria-hidden="true"');
    expect(visibleText(bell!)).toBe("Notifications 0");
    expect(bell).not.toMatch(/&#128276;|\u{1F514}/u);
  });

  it("opening the notifications page marks those shown as read (not audited); they show as new that once", async () => {
    await database.prisma.notification.updateMany({ data: { readAt: new Date() } });
    await requestChanges(agents, "Please fix.");
    await save(agents.alice!, supplyMissingSources).expect(303);
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: inDays(5) }).expect(303);
    const minh = await userId(demo.minh);
    expect(await database.prisma.notification.count({ where: { userId: minh, readAt: null } })).toBe(1);
    const since = await lastAuditId(database);
    const first = (await agents.minh!.get("/editor/notifications").expect(200)).text;
    expect(visibleText(first)).toContain("New ·");
    expect(visibleText(headerOf(first)!)).toContain("Notifications 0");
    expect(await database.prisma.notification.count({ where: { userId: minh, readAt: null } })).toBe(0);
    expect(await auditEventsSince(database, since)).toEqual([]);
    const again = (await agents.minh!.get("/editor/notifications").expect(200)).text;
    expect(visibleText(again)).not.toContain("New ·");
    expect(visibleText(again)).toContain("asked you to review");
  });

  it("offers e-mail choices only for the kinds a role receives, and refuses the others", async () => {
    const choices = async (agent: Agent) => [...(await agent.get("/editor/notifications").expect(200)).text.matchAll(/name="email" value="([^"]+)"/g)].map((m) => m[1]);
    const editor = await choices(agents.alice!);
    expect(editor).not.toContain("review.assigned");
    expect(editor).not.toContain("review.due_soon");
    expect(editor).not.toContain("review.overdue");
    expect(editor).toEqual(expect.arrayContaining(["workflow.changes_requested", "workflow.approved", "comment.mention"]));
    const reviewer = await choices(agents.priya!);
    expect(reviewer).toEqual(expect.arrayContaining(["review.assigned", "review.due_soon", "review.overdue", "workflow.published", "comment.mention"]));
    expect(reviewer).not.toContain("workflow.changes_requested");
    expect(reviewer).not.toContain("schedule.failed");
    expect(await choices(agents.sam!)).toEqual(expect.arrayContaining(["workflow.approved", "schedule.failed"]));

    const before = await database.prisma.notificationPreference.findMany({ where: { userId: await userId(demo.alice) } });
    const res = await agents.alice!.post("/editor/notifications/preferences").type("form").send({ _csrf: agents.alice!.csrf, email: ["review.assigned"] }).expect(400);
    expect(visibleText(res.text)).toContain("You do not receive that kind of notification");
    expect(await database.prisma.notificationPreference.findMany({ where: { userId: await userId(demo.alice) } })).toEqual(before);
    await agents.alice!.post("/editor/notifications/preferences").type("form").send({ _csrf: agents.alice!.csrf, email: ["comment.mention"] }).expect(303);
  });

  it("e-mail and pages write dates the same way", async () => {
    const outboxDir = await mkdtemp(path.join(tmpdir(), "cms-polish-outbox-"));
    try {
      await requestChanges(agents, "Please fix.");
      await save(agents.alice!, supplyMissingSources).expect(303);
      const due = inDays(5);
      await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: due }).expect(303);
      await runDueJobs(database.prisma, createJobHandlers({ mailer: createMailer({ outboxDir }) }));
      const mails = await Promise.all((await readdir(outboxDir)).map(async (f) => (await readFile(path.join(outboxDir, f), "utf8")).replace(/=\n/g, "")));
      const mail = mails.find((m) => m.includes("asked you to review"));
      expect(mail, "the assignment's e-mail").toBeDefined();
      expect(mail).toContain(`by ${longDate(due)}`);
      expect(mail).not.toContain(due);
      const dashboard = (await agents.minh!.get("/editor").expect(200)).text;
      expect(visibleText(dashboard)).toContain(longDate(due));
    } finally {
      await rm(outboxDir, { recursive: true, force: true });
    }
  });
});

describe("revoking and cancelling ask first", () => {
  beforeEach(fresh);

  it("a token: the page's form needs the second button; without it a confirmation page, and nothing changes", async () => {
    const alice = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.alice } });
    const { record } = await createApiToken(database.prisma, systemContext("test"), alice, { name: "Script", scopes: ["read"] });
    const page = (await agents.alice!.get("/account/tokens").expect(200)).text;
    expect(page).toMatch(/<details class="confirm-action">\s*<summary class="button secondary">Revoke<\/summary>/);
    expect(page).toContain('name="confirmed" value="yes"');

    const since = await lastAuditId(database);
    const asked = await agents.alice!.post(`/account/tokens/${record.id}/revoke`).type("form").send({ _csrf: agents.alice!.csrf }).expect(200);
    expect(visibleText(asked.text)).toContain('Revoke the token "Script"?');
    expect(asked.text).toContain(`action="/account/tokens/${record.id}/revoke"`);
    expect((await database.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).toBeNull();
    expect(await auditEventsSince(database, since)).toEqual([]);
    // Someone else's token does not exist for them, asked or not.
    await agents.ben!.post(`/account/tokens/${record.id}/revoke`).type("form").send({ _csrf: agents.ben!.csrf }).expect(404);

    await agents.alice!.post(`/account/tokens/${record.id}/revoke`).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes" }).expect(303);
    expect((await database.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).not.toBeNull();
  });

  it("a preview link and a schedule: same question first, and the article page offers the second button", async () => {
    await openForEditing();
    await save(agents.alice!, supplyMissingSources).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
    await approve(agents.minh!).expect(303);
    const { article, revision } = await currentRevision(database);
    await agents.alice!.post(`/editor/articles/${article.id}/preview-links`).type("form").send({ _csrf: agents.alice!.csrf, revisionId: revision.id, days: "7" }).expect(303);
    const link = await database.prisma.previewLink.findFirstOrThrow();
    const runAt = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    await agents.sam!.post(`/editor/articles/${article.id}/schedules`).type("form").send({ _csrf: agents.sam!.csrf, revisionId: revision.id, action: "PUBLISH", runAt }).expect(303);
    const schedule = await database.prisma.publicationSchedule.findFirstOrThrow();

    const workspace = (await agents.sam!.get(`/editor/articles/${article.id}`).expect(200)).text;
    expect(workspace).toContain(`action="/editor/articles/${article.id}/schedules/${schedule.id}/cancel"`);
    // Each row's button opens a confirmation page (GET); only its form sends confirmed=yes.
    expect(workspace.match(/<form method="get" action="[^"]+\/(revoke|cancel)"/g)?.length).toBe(2);
    expect(workspace).not.toMatch(/<th>\s*<\/th>/);

    const since = await lastAuditId(database);
    const askLink = await agents.alice!.post(`/editor/articles/${article.id}/preview-links/${link.id}/revoke`).type("form").send({ _csrf: agents.alice!.csrf }).expect(200);
    expect(visibleText(askLink.text)).toContain("Revoke the preview link to r2?");
    const askSchedule = await agents.sam!.post(`/editor/articles/${article.id}/schedules/${schedule.id}/cancel`).type("form").send({ _csrf: agents.sam!.csrf }).expect(200);
    expect(visibleText(askSchedule.text)).toContain("Cancel the publication of r2");
    // An editor may not cancel schedules: refused before any question.
    await agents.alice!.post(`/editor/articles/${article.id}/schedules/${schedule.id}/cancel`).type("form").send({ _csrf: agents.alice!.csrf }).expect(403);
    expect(await auditEventsSince(database, since).then((events) => events.filter((e) => e.action !== "auth.forbidden"))).toEqual([]);
    expect((await database.prisma.previewLink.findUniqueOrThrow({ where: { id: link.id } })).revokedAt).toBeNull();
    expect((await database.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: schedule.id } })).status).toBe("SCHEDULED");

    await agents.alice!.post(`/editor/articles/${article.id}/preview-links/${link.id}/revoke`).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes" }).expect(303);
    await agents.sam!.post(`/editor/articles/${article.id}/schedules/${schedule.id}/cancel`).type("form").send({ _csrf: agents.sam!.csrf, confirmed: "yes" }).expect(303);
    expect((await database.prisma.previewLink.findUniqueOrThrow({ where: { id: link.id } })).revokedAt).not.toBeNull();
    expect((await database.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: schedule.id } })).status).toBe("CANCELLED");
  });
});

describe("staff search snippets", () => {
  beforeEach(() => reseedContent(database));

  const content = (overrides: Partial<Record<keyof RevisionContent, unknown>>) =>
    articleContent({
      title: "Is this a plain question?", summary: "An ordinary summary about nothing in particular.",
      sections: [], references: [{ key: "a", type: "RESEARCH", title: "An ordinary study", source: "A journal", year: 2020 }],
      ...overrides,
    });

  it("quote the section that matched, even far past the article's opening", async () => {
    const filler = Array.from({ length: 120 }, (_, i) => `Ordinary sentence number ${i} says little of note.`).join(" ");
    await createArticle(database.prisma, systemContext("test"), {
      slug: "far-match", authorId: null,
      content: content({ sections: [
        { key: "one", depth: 1, heading: "Background", body: filler },
        { key: "two", depth: 1, heading: "Dosing", body: "Give zolpidemqx at bedtime only." },
      ] }),
    });
    const [hit] = await searchAllRevisions(database.prisma, "zolpidemqx");
    expect(hit?.slug).toBe("far-match");
    expect(hit!.snippetHtml).toContain("<mark>zolpidemqx</mark>");
    expect(hit!.snippet).not.toContain("An ordinary summary");
  });

  it("quote the reference when only a reference matched", async () => {
    await createArticle(database.prisma, systemContext("test"), {
      slug: "ref-match", authorId: null,
      content: content({ sections: [{ key: "one", depth: 1, heading: "Background", body: "Nothing relevant [@a]." }], references: [{ key: "a", type: "RESEARCH", title: "Trial of quixotrelin in adults", source: "A journal", year: 2020 }] }),
    });
    const [hit] = await searchAllRevisions(database.prisma, "quixotrelin");
    expect(hit?.slug).toBe("ref-match");
    expect(hit!.snippetHtml).toContain("<mark>quixotrelin</mark>");
  });
});

describeInBrowser("the polished staff screens in a real browser", () => {
  let web: BrowserSite | undefined;
  const log: BrowserLog = { messages: [] };

  beforeAll(async () => (web = await openBrowserSite(app, log)), 180_000);
  afterAll(() => web?.close(), 60_000);

  async function person(email: string): Promise<Page> {
    const { page } = await web!.newPerson(email);
    await signIn(page, email);
    return page;
  }

  /** No serious or critical violation, and none of the minor ones these screens used to have. */
  async function expectAccessible(page: Page) {
    const where = new URL(page.url()).pathname;
    expect(await seriousAxeViolations(page), `accessibility of ${where}`).toEqual([]);
    expect(await axeViolations(page, (v) => ["empty-table-header", "landmark-unique"].includes(v.id)), `minor findings on ${where}`).toEqual([]);
  }

  it("the edit page updates its figures as the editor types, with the server's figures", { timeout: 300_000 }, async () => {
    await fresh();
    await openForEditing();
    const { article } = await currentRevision(database);
    const page = await person(demo.alice);
    await page.goto(`/editor/articles/${article.id}/edit`);
    await expectAccessible(page);
    const figure = page.locator('[data-readability-for="summary-patients"]');
    expect(await figure.innerText()).toBe("No text to measure.");
    const text = "Muscle relaxants help tight muscles. Ask your doctor before you take one.";
    await page.locator("#summary-patients").fill(text);
    const expected = readability(text)!;
    await expect.poll(() => figure.innerText()).toBe(`Reading grade ${expected.grade.toFixed(1)} · reading ease ${expected.ease.toFixed(1)}`);
    const hard = "Pharmacological antispasmodic interventions necessitate individualized consideration of anticholinergic contraindications.";
    await page.locator("#summary-patients").fill(hard);
    await expect.poll(() => figure.innerText()).toContain(`Reading grade ${readability(hard)!.grade.toFixed(1)}`);
    expect(await figure.innerText()).toContain("the limit for this audience");
    expect(await figure.getAttribute("class")).toContain("too-hard");
    await page.locator("#summary-patients").fill("");
    await expect.poll(() => figure.innerText()).toBe("No text to measure.");
    expect(log.messages).toEqual([]);
  });

  it("tokens, notifications, a comparison with an audience version and the schedule table pass axe; revoking asks first", { timeout: 300_000 }, async () => {
    await fresh();
    await openForEditing();
    await save(agents.alice!, withPatientVersion(PATIENT_TEXT)).expect(303);
    await take(agents.alice!, "submit", { reviewerIds: await userId(demo.minh), reviewDue: inDays(5) }).expect(303);
    await take(agents.minh!, "start_review").expect(303);
    await approve(agents.minh!).expect(303);
    const { article, revision } = await currentRevision(database);
    await agents.sam!.post(`/editor/articles/${article.id}/schedules`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: revision.id, action: "PUBLISH", runAt: new Date(Date.now() + 3_600_000).toISOString().slice(0, 16) }).expect(303);

    const minh = await person(demo.minh);
    await minh.goto(`/editor/articles/${article.id}/compare?from=1&to=2`);
    expect(await minh.locator(".diff-variant strong").count()).toBeGreaterThan(0);
    await expectAccessible(minh);
    await minh.goto("/editor/notifications");
    expect(await minh.getByTestId("bell").innerText()).toContain("Notifications 0");
    await expectAccessible(minh);
    await minh.goto("/editor/search?q=tizanidine");
    await expectAccessible(minh);

    const sam = await person(demo.sam);
    await sam.goto(`/editor/articles/${article.id}`);
    await expectAccessible(sam);
    await clickAndWait(sam, sam.locator("#schedules").getByRole("button", { name: /^Cancel r\d+'s schedule…$/ }));
    await expectAccessible(sam);
    await clickAndWait(sam, sam.getByRole("button", { name: /^Yes, cancel the publication of r\d+$/ }));
    expect(await sam.getByRole("status").innerText()).toContain("Schedule cancelled");

    await sam.goto("/account/tokens");
    await sam.getByLabel("Name (what it is for)").fill("Axe check");
    await clickAndWait(sam, sam.getByRole("button", { name: "Create token" }));
    await expectAccessible(sam);
    await sam.locator("summary", { hasText: "Revoke" }).first().click();
    await expectAccessible(sam);
    await clickAndWait(sam, sam.getByRole("button", { name: "Yes, revoke" }));
    expect(await sam.locator(".notice").innerText()).toContain("revoked");
    expect(log.messages).toEqual([]);
  });

  it("every page visited is valid HTML (Nu Html Checker, as served)", { timeout: 180_000 }, async () => {
    await expectValidHtml(web!.servedHtml);
  });
});
