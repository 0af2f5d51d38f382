// Review tools: comparing revisions, review comments and citation checks, tested
// through their services and through the staff pages that show them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, type Agents, auditEventsSince, changeDosingLine, currentRevision, decodeEntities, demo, lastAuditId, NEW_DOSING, openSite, pending, SEEDED_SLUG, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { compareRevisions, type RevisionComparison, checkCitations, type CitationIssue } from "../src/services/editorial/index.js";
import { revisionContentSchema, type RevisionContent } from "../src/content/revision-content.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
/** For tests that use the database: the seeded article afresh, and every demo account signed in. */
const freshArticleAndSessions = () => startAfresh(database, app, agents);

const { take, save, approve, requestChanges } = workflowActions(() => database);

async function snapshot() {
  const revisions = await database.prisma.revision.findMany({ orderBy: [{ articleId: "asc" }, { number: "asc" }], select: { id: true, state: true } });
  const approvals = await database.prisma.approval.count();
  const comments = await database.prisma.comment.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, resolvedAt: true } });
  const article = await database.prisma.article.findUniqueOrThrow({ where: { slug: SEEDED_SLUG } });
  return { revisions, approvals, comments, current: article.currentRevisionId, published: article.publishedRevisionId };
}

// ---- helpers for this file

const DOSING_SECTION = "skeletal-muscle-relaxants";
const DOSING_QUOTE = "up to 36mg daily in divided doses";

/** Reviewer starts the review and asks for changes, so an editor may save revision 2. */
const openForEditing = () => requestChanges(agents, "Please check the tizanidine dosing.");

function comment(agent: Agent, fields: Record<string, string>) {
  return pending(
    currentRevision(database).then(({ article, revision }) =>
      agent.post(`/editor/articles/${article.id}/comments`).type("form").send({ _csrf: agent.csrf, revisionId: revision.id, ...fields }),
    ),
  );
}

function onThread(agent: Agent, threadId: string, action: "replies" | "resolve" | "reopen", fields: Record<string, string> = {}) {
  return pending(
    currentRevision(database).then(({ article }) =>
      agent.post(`/editor/articles/${article.id}/comments/${threadId}/${action}`).type("form").send({ _csrf: agent.csrf, ...fields }),
    ),
  );
}

async function workspace(agent: Agent) {
  const { article } = await currentRevision(database);
  return (await agent.get(`/editor/articles/${article.id}`).expect(200)).text;
}

/** The HTML of one comment thread on the workspace page, up to the next thread. */
function threadHtml(page: string, threadId: string): string {
  const start = page.indexOf(`id="comment-${threadId}"`);
  expect(start, `thread ${threadId} is on the page`).toBeGreaterThan(-1);
  const next = page.indexOf('id="comment-', start + 10);
  const end = next === -1 ? page.indexOf("</section>", start) : next;
  return page.slice(start, end);
}

/** Each `<section class="diff-section">` of a comparison page, by section key. */
function diffSections(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<section class="diff-section" data-section="([^"]+)">([\s\S]*?)<\/section>/g)) out.set(m[1]!, m[2]!);
  return out;
}

const withoutTag = (html: string, tag: "ins" | "del") => html.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, "g"), "");
const stripTags = (html: string) => decodeEntities(html.replace(/<\/?(ins|del)>/g, ""));
const tagTexts = (html: string, tag: "ins" | "del") => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => decodeEntities(m[1]!));

/** Small, valid content for unit tests; `overrides` replaces whole fields. */
function content(overrides: Record<string, unknown> = {}): RevisionContent {
  const ref = (key: string, title: string, year: number) => ({ key, type: "RESEARCH", title, source: "Journal of Examples", year });
  return revisionContentSchema.parse({
    title: "What treats muscle cramps?",
    summaryHeading: "Summary",
    summary: "Stretching helps most people [@ref-a].",
    lastUpdated: "2025-01-15",
    disclaimerHeading: "Disclaimer",
    disclaimer: "For healthcare professionals.",
    sections: [
      { key: "overview", depth: 1, heading: "Overview", body: "Cramps are common [@ref-a]." },
      { key: "drugs", depth: 1, heading: "Drugs", body: "" },
      { key: "dosing", depth: 2, heading: "Dosing", body: "- Give 5 mg daily [@ref-b]" },
      { key: "monitoring", depth: 1, heading: "Monitoring", body: "- Check electrolytes [@ref-c]" },
      { key: "follow-up", depth: 1, heading: "Follow-up", body: "See the patient again in a month." },
    ],
    references: [ref("ref-a", "Stretching for cramps", 2019), ref("ref-b", "Dosing trial", 2020), ref("ref-c", "Electrolytes and cramps", 2021)],
    ...overrides,
  });
}

function edited(base: RevisionContent, change: (c: RevisionContent) => void): RevisionContent {
  const copy = structuredClone(base);
  change(copy);
  return revisionContentSchema.parse(copy);
}

const flagged = (comparison: RevisionComparison) =>
  comparison.sections
    .filter((s) => s.status !== "unchanged" || s.moved)
    .map((s) => ({ key: s.key, status: s.status, moved: s.moved, renamed: s.renamed, depthChanged: s.depthChanged }));

const summaryOf = (issues: CitationIssue[]) => issues.map((i) => ({ severity: i.severity, code: i.code, where: i.where }));

// ---- 1. comparing revisions

describe("the compare page", () => {
  beforeEach(freshArticleAndSessions);

  it("the compare page shows exactly the dosing edit, word by word, in the skeletal-muscle-relaxants section and nowhere else", async () => {
    await openForEditing();
    const before = (await currentRevision(database)).content;
    await save(agents.alice!, changeDosingLine, { changeNote: "Dosing updated" }).expect(303);
    const { article, revision, content: after } = await currentRevision(database);
    expect(revision.number).toBe(2);

    // The Markdown source view (the default view shows the rendered text: test/rendered-diff.test.ts).
    const res = await agents.priya!.get(`/editor/articles/${article.id}/compare?from=1&to=2&view=markdown`).expect(200);
    const diff = res.text.slice(res.text.indexOf('<div class="diff diff-source">'), res.text.indexOf("</main>"));
    expect(diff).not.toBe("");
    const sections = diffSections(diff);
    expect([...sections.keys()]).toEqual([DOSING_SECTION]);
    const section = sections.get(DOSING_SECTION)!;
    expect(section).toContain('<span class="badge">Changed</span>');
    expect(section).not.toContain("Moved");
    expect(section).not.toContain("Renamed");
    expect(section).not.toContain("Level changed");

    const body = /<pre class="value">([\s\S]*)<\/pre>/.exec(section)![1]!;
    const oldBody = before.sections.find((s) => s.key === DOSING_SECTION)!.body;
    const newBody = after.sections.find((s) => s.key === DOSING_SECTION)!.body;
    expect(newBody).toContain(NEW_DOSING);
    // Dropping the insertions gives the old text back; dropping the deletions gives the new text.
    expect(stripTags(withoutTag(body, "ins"))).toBe(oldBody);
    expect(stripTags(withoutTag(body, "del"))).toBe(newBody);
    // Every marked word is on the dosing line, and the marks are the changed words.
    const markedLines = body.split("\n").filter((line) => /<(ins|del)>/.test(line));
    expect(markedLines).toHaveLength(1);
    expect(markedLines[0]).toMatch(/^ {2}- Dosing: Start at /);
    expect(tagTexts(body, "ins").join(" ")).toBe("2mg at bedtime by 2mg every 3-4 days");
    expect(tagTexts(body, "del").join("|")).toBe("low|dose|(2-4mg)|gradually |to|effect");

    // No field, reference or citation changed.
    expect(diff.match(/<h3>/g)).toHaveLength(1);
    expect(diff).not.toContain("<h3>References</h3>");
    expect(diff).not.toContain("<h3>Citations</h3>");
  });

  it("comparing a revision with itself shows no differences", async () => {
    const { article } = await currentRevision(database);
    const res = await agents.priya!.get(`/editor/articles/${article.id}/compare?from=1&to=1`).expect(200);
    expect(res.text).toContain("No differences.");
    expect(res.text).not.toContain('class="diff-section"');
  });

  it("the workspace page offers a “Changes since r1” link once a second revision exists", async () => {
    const first = await workspace(agents.priya!);
    expect(first).not.toContain("Changes since r");
    await openForEditing();
    await save(agents.alice!, changeDosingLine).expect(303);
    const { article } = await currentRevision(database);
    const page = await workspace(agents.priya!);
    expect(page).toMatch(new RegExp(`<a [^>]*href="/editor/articles/${article.id}/compare\\?from=1&amp;to=2"[^>]*>Changes since r1</a>`));
    // The link leads to the comparison.
    const res = await agents.priya!.get(`/editor/articles/${article.id}/compare?from=1&to=2`).expect(200);
    expect(res.text).toContain("Changes from r1 to r2");
  });
});

describe("compareRevisions()", () => {
  it("an added section is reported as added, in place, and nothing else is flagged", () => {
    const before = content();
    const after = edited(before, (c) => c.sections.splice(3, 0, { key: "interactions", depth: 2, heading: "Interactions", body: "None known." }));
    const comparison = compareRevisions(before, after);
    expect(flagged(comparison)).toEqual([{ key: "interactions", status: "added", moved: false, renamed: false, depthChanged: false }]);
    expect(comparison.sections.map((s) => s.key)).toEqual(["overview", "drugs", "dosing", "interactions", "monitoring", "follow-up"]);
    expect(comparison.sections[3]).toMatchObject({ headingHtml: "<ins>Interactions</ins>", bodyHtml: "<ins>None known.</ins>", oldHeading: null });
    expect(comparison.changed).toBe(true);
  });

  it("a removed section is reported as removed where it used to be", () => {
    const before = content();
    const after = edited(before, (c) => { c.sections = c.sections.filter((s) => s.key !== "follow-up"); });
    const comparison = compareRevisions(before, after);
    expect(flagged(comparison)).toEqual([{ key: "follow-up", status: "removed", moved: false, renamed: false, depthChanged: false }]);
    expect(comparison.sections.map((s) => s.key)).toEqual(["overview", "drugs", "dosing", "monitoring", "follow-up"]);
    expect(comparison.sections[4]).toMatchObject({ headingHtml: "<del>Follow-up</del>", bodyHtml: "<del>See the patient again in a month.</del>", newHeading: null });
  });

  it("moving one section to the end marks only that section as moved", () => {
    const before = content();
    const after = edited(before, (c) => { c.sections.push(c.sections.splice(0, 1)[0]!); });
    const comparison = compareRevisions(before, after);
    expect(flagged(comparison)).toEqual([{ key: "overview", status: "unchanged", moved: true, renamed: false, depthChanged: false }]);
    expect(comparison.references).toEqual([]);
    expect(comparison.changed).toBe(true);
  });

  it("a renamed section is reported as renamed with a word diff of its heading, its body untouched", () => {
    const before = content();
    const after = edited(before, (c) => { c.sections[3]!.heading = "Monitoring and review"; });
    const comparison = compareRevisions(before, after);
    expect(flagged(comparison)).toEqual([{ key: "monitoring", status: "changed", moved: false, renamed: true, depthChanged: false }]);
    const section = comparison.sections.find((s) => s.key === "monitoring")!;
    expect(section).toMatchObject({ oldHeading: "Monitoring", newHeading: "Monitoring and review", headingHtml: "Monitoring<ins> and review</ins>" });
    expect(section.bodyHtml).toBe("- Check electrolytes [@ref-c]");
  });

  it("a section moved to another level is reported as a level change", () => {
    const before = content();
    const after = edited(before, (c) => { c.sections[2]!.depth = 1; });
    const comparison = compareRevisions(before, after);
    expect(flagged(comparison)).toEqual([{ key: "dosing", status: "changed", moved: false, renamed: false, depthChanged: true }]);
  });

  it("references added, removed and edited are reported field by field", () => {
    const before = content({
      references: [
        { key: "ref-a", type: "RESEARCH", title: "Stretching for cramps", source: "Journal of Examples", year: 2019 },
        { key: "ref-b", type: "RESEARCH", title: "Dosing trial", source: "Journal of Examples", year: 2020 },
        { key: "ref-c", type: "RESEARCH", title: "Electrolytes and cramps", source: "Journal of Examples", year: 2021 },
        { key: "ref-old", type: "REVIEW", title: "An old review", source: "Old Journal", year: 1999 },
      ],
    });
    const after = edited(before, (c) => {
      c.references = c.references.filter((r) => r.key !== "ref-old");
      c.references[1]!.year = 2022;
      c.references[1]!.pmid = "12345678";
      c.references.push({ key: "ref-new", type: "GUIDELINE", title: "A new guideline", authors: null, source: "Society", year: 2024, doi: null, pmid: null, url: null, detailsMissing: false, note: null });
    });
    const comparison = compareRevisions(before, after);
    expect(comparison.references).toEqual([
      { key: "ref-b", name: "Reference 2: Dosing trial", status: "changed", changes: [{ field: "year", label: "Year", old: "2020", new: "2022" }, { field: "pmid", label: "PMID", old: "—", new: "12345678" }] },
      { key: "ref-new", name: "Reference (not cited): A new guideline", status: "added", changes: [
        { field: "type", label: "Type", old: "—", new: "Guideline" }, { field: "title", label: "Title", old: "—", new: "A new guideline" },
        { field: "source", label: "Journal or publisher", old: "—", new: "Society" }, { field: "year", label: "Year", old: "—", new: "2024" },
      ] },
      { key: "ref-old", name: "Reference (not cited): An old review", status: "removed", changes: [] },
    ]);
    expect(flagged(comparison)).toEqual([]);
    expect(comparison.citations).toEqual({ added: [], removed: [], renumbered: [] });
  });

  it("citations are reported renumbered when the order of first citation changes", () => {
    const before = content();
    // Monitoring (citing ref-c) now comes before the dosing section (citing ref-b).
    const after = edited(before, (c) => { c.sections.splice(1, 0, c.sections.splice(3, 1)[0]!); });
    const comparison = compareRevisions(before, after);
    expect(comparison.citations).toEqual({
      added: [], removed: [],
      renumbered: [{ key: "ref-c", old: 3, new: 2 }, { key: "ref-b", old: 2, new: 3 }],
    });
    expect(flagged(comparison)).toEqual([{ key: "monitoring", status: "unchanged", moved: true, renamed: false, depthChanged: false }]);
  });

  it("citations newly made and no longer made are reported", () => {
    const before = content();
    const after = edited(before, (c) => {
      c.sections[3]!.body = "- Check electrolytes";
      c.sections[4]!.body = "See the patient again in a month [@ref-d].";
      c.references.push({ key: "ref-d", type: "RESEARCH", title: "Follow-up study", authors: null, source: "Journal", year: 2023, doi: null, pmid: null, url: null, detailsMissing: false, note: null });
    });
    const comparison = compareRevisions(before, after);
    expect(comparison.citations.added).toEqual(["ref-d"]);
    expect(comparison.citations.removed).toEqual(["ref-c"]);
  });

  it("identical content compares as unchanged, and text is escaped in the diff", () => {
    const before = content();
    expect(compareRevisions(before, structuredClone(before)).changed).toBe(false);
    const after = edited(before, (c) => { c.sections[4]!.body = "See the patient <b>again</b> & soon."; });
    const section = compareRevisions(before, after).sections.find((s) => s.key === "follow-up")!;
    expect(section.bodyHtml).not.toContain("<b>");
    expect(withoutTag(section.bodyHtml, "del").replace(/<\/?ins>/g, "")).toBe("See the patient &lt;b&gt;again&lt;/b&gt; &amp; soon.");
  });
});

// ---- 2. review comments

describe("review comments", () => {
  beforeEach(freshArticleAndSessions);

  it("a reviewer comments on a section with a quote, an editor replies, the thread is resolved and reopened, each with its audit event and actor", async () => {
    const { article, revision } = await currentRevision(database);
    let since = await lastAuditId(database);
    await comment(agents.priya!, { sectionKey: DOSING_SECTION, quote: DOSING_QUOTE, body: "Is 36mg the right ceiling?" }).expect(303);
    const thread = await database.prisma.comment.findFirstOrThrow({ where: { articleId: article.id, parentId: null, kind: "COMMENT" } });
    expect(thread).toMatchObject({ revisionId: revision.id, sectionKey: DOSING_SECTION, quote: DOSING_QUOTE, body: "Is 36mg the right ceiling?", resolvedAt: null });
    let events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["comment.created"]);
    expect(events[0]).toMatchObject({ actorEmail: demo.priya, actorRole: "REVIEWER", entityType: "comment", entityId: thread.id, articleId: article.id, revisionId: revision.id });
    expect(events[0]!.payload).toMatchObject({ commentId: thread.id, sectionKey: DOSING_SECTION, quote: DOSING_QUOTE, body: "Is 36mg the right ceiling?" });

    since = await lastAuditId(database);
    await onThread(agents.alice!, thread.id, "replies", { body: "Yes, per the label." }).expect(303);
    const reply = await database.prisma.comment.findFirstOrThrow({ where: { parentId: thread.id } });
    events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["comment.replied"]);
    expect(events[0]).toMatchObject({ actorEmail: demo.alice, actorRole: "EDITOR", entityId: reply.id });
    expect(events[0]!.payload).toMatchObject({ commentId: reply.id, parentId: thread.id, body: "Yes, per the label." });

    // The editor the comment is addressed to cannot close it; that is a refused (security) request.
    since = await lastAuditId(database);
    await onThread(agents.alice!, thread.id, "resolve").expect(403);
    expect((await database.prisma.comment.findUniqueOrThrow({ where: { id: thread.id } })).resolvedAt).toBeNull();
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.forbidden"]);

    since = await lastAuditId(database);
    await onThread(agents.priya!, thread.id, "resolve").expect(303);
    const priya = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.priya } });
    expect(await database.prisma.comment.findUniqueOrThrow({ where: { id: thread.id } })).toMatchObject({ resolvedById: priya.id, resolvedAt: expect.any(Date) });
    events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["comment.resolved"]);
    expect(events[0]).toMatchObject({ actorEmail: demo.priya, entityId: thread.id });
    expect(events[0]!.payload).toEqual({ commentId: thread.id, old: "open", new: "resolved" });
    expect(visibleText(threadHtml(await workspace(agents.alice!), thread.id))).toContain("· Resolved");

    since = await lastAuditId(database);
    await onThread(agents.alice!, thread.id, "reopen").expect(303);
    expect(await database.prisma.comment.findUniqueOrThrow({ where: { id: thread.id } })).toMatchObject({ resolvedById: null, resolvedAt: null });
    events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["comment.reopened"]);
    expect(events[0]).toMatchObject({ actorEmail: demo.alice, entityId: thread.id });
    expect(events[0]!.payload).toEqual({ commentId: thread.id, old: "resolved", new: "open" });

    const html = threadHtml(await workspace(agents.priya!), thread.id);
    const text = visibleText(html);
    expect(text).toContain("Dr. Priya Patel on r1, section “Skeletal Muscle Relaxants”");
    expect(text).toContain(DOSING_QUOTE);
    expect(text).toContain("Is 36mg the right ceiling?");
    expect(text).toContain("Yes, per the label.");
    expect(text).toContain("· Open");
  });

  it("reopening an open thread is a 409 that writes nothing", async () => {
    await comment(agents.priya!, { sectionKey: DOSING_SECTION, body: "A general remark." }).expect(303);
    const thread = await database.prisma.comment.findFirstOrThrow({ where: { parentId: null, kind: "COMMENT" } });
    const before = await snapshot();
    const since = await lastAuditId(database);
    await onThread(agents.priya!, thread.id, "reopen").expect(409);
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("a quote that is not in the section is refused with 400 and writes nothing", async () => {
    const before = await snapshot();
    const since = await lastAuditId(database);
    // The passage exists in the article, but in another section.
    const res = await comment(agents.priya!, { sectionKey: "medications-to-avoid", quote: DOSING_QUOTE, body: "Which section?" }).expect(400);
    expect(res.text).toContain("The quoted passage does not appear in that section.");
    await comment(agents.priya!, { sectionKey: DOSING_SECTION, quote: "up to 360mg daily", body: "Typo?" }).expect(400);
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  it("a comment on the revision as a whole may quote any of its text, but not text that is not in it", async () => {
    const before = await snapshot();
    const since = await lastAuditId(database);
    const res = await comment(agents.priya!, { quote: "up to 360mg daily", body: "Where is this?" }).expect(400);
    expect(res.text).toContain("The quoted passage does not appear in this revision.");
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);
    await comment(agents.priya!, { quote: "first-line pharmacological treatment", body: "Too strong a claim?" }).expect(303);
    const thread = await database.prisma.comment.findFirstOrThrow({ where: { kind: "COMMENT" } });
    expect(thread).toMatchObject({ sectionKey: null, sectionHash: null, quote: "first-line pharmacological treatment" });
  });

  it("after the editor changes the commented section, the thread still shows on the article page, marked “Section changed since”", async () => {
    await take(agents.priya!, "start_review").expect(303);
    await comment(agents.priya!, { sectionKey: DOSING_SECTION, quote: DOSING_QUOTE, body: "Check the ceiling dose." }).expect(303);
    await comment(agents.priya!, { sectionKey: "medications-to-avoid", quote: "diazepam", body: "Name more benzodiazepines?" }).expect(303);
    const changedThread = await database.prisma.comment.findFirstOrThrow({ where: { sectionKey: DOSING_SECTION } });
    const untouchedThread = await database.prisma.comment.findFirstOrThrow({ where: { sectionKey: "medications-to-avoid" } });
    let page = await workspace(agents.alice!);
    expect(threadHtml(page, changedThread.id)).not.toContain("Section changed since");

    await take(agents.priya!, "request_changes", { comment: "See my comments." }).expect(303);
    await save(agents.alice!, changeDosingLine).expect(303);
    expect((await currentRevision(database)).revision.number).toBe(2);

    page = await workspace(agents.alice!);
    const changed = threadHtml(page, changedThread.id);
    expect(visibleText(changed)).toContain("Dr. Priya Patel on r1, section “Skeletal Muscle Relaxants”");
    expect(visibleText(changed)).toContain("Check the ceiling dose.");
    expect(changed).toContain('<span class="badge">Section changed since</span>');
    expect(visibleText(changed)).toContain("· Open");
    const untouched = threadHtml(page, untouchedThread.id);
    expect(visibleText(untouched)).toContain("Name more benzodiazepines?");
    expect(untouched).not.toContain("Section changed since");
  });

  it("an unresolved comment blocks approval with 409 unless the reviewer gives an override reason, which the approval event records", async () => {
    await take(agents.priya!, "start_review").expect(303);
    await comment(agents.priya!, { sectionKey: DOSING_SECTION, quote: DOSING_QUOTE, body: "Check the ceiling dose." }).expect(303);
    await take(agents.priya!, "request_changes", { comment: "Please fix the sources and the dosing." }).expect(303);
    await save(agents.alice!, (c) => { changeDosingLine(c); supplyMissingSources(c); }, { changeNote: "Dosing and sources" }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);

    // The change request closed on resubmission; the section comment is still open.
    expect(await database.prisma.comment.count({ where: { parentId: null, resolvedAt: null } })).toBe(1);
    const page = await workspace(agents.minh!);
    expect(page).toContain("1 comment(s) are unresolved. Reason to approve anyway");

    const before = await snapshot();
    let since = await lastAuditId(database);
    const blocked = await approve(agents.minh!).expect(409);
    expect(blocked.text).toContain("1 review comment(s) are unresolved");
    await approve(agents.minh!, { overrideReason: "   " }).expect(409);
    expect(await snapshot()).toEqual(before);
    expect(await auditEventsSince(database, since)).toEqual([]);

    since = await lastAuditId(database);
    const reason = "Ceiling dose matches the current label; discussed with the editor.";
    await approve(agents.minh!, { overrideReason: reason }).expect(303);
    const { revision } = await currentRevision(database);
    expect(revision.state).toBe("APPROVED");
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["workflow.approved"]);
    expect(events[0]).toMatchObject({ actorEmail: demo.minh, revisionId: revision.id });
    expect(events[0]!.comment).toContain(reason);
    expect(events[0]!.payload).toMatchObject({ overriddenComments: 1, to: "APPROVED" });
  });

  it("once the comment is resolved, approval needs no override and records none", async () => {
    await take(agents.priya!, "start_review").expect(303);
    await comment(agents.priya!, { sectionKey: DOSING_SECTION, quote: DOSING_QUOTE, body: "Check the ceiling dose." }).expect(303);
    const thread = await database.prisma.comment.findFirstOrThrow({ where: { kind: "COMMENT" } });
    await take(agents.priya!, "request_changes", { comment: "Please fix the sources." }).expect(303);
    await save(agents.alice!, (c) => { changeDosingLine(c); supplyMissingSources(c); }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
    await onThread(agents.priya!, thread.id, "resolve").expect(303);
    const since = await lastAuditId(database);
    await approve(agents.minh!).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["workflow.approved"]);
    expect(events[0]!.payload).not.toHaveProperty("overriddenComments");
  });
});

// ---- 3. citation checks

describe("checkCitations()", () => {
  it("a citation naming no reference is an error, located by section and item", () => {
    const issues = checkCitations(content({
      sections: [{ key: "s", depth: 1, heading: "Therapy", body: "- Stretch daily [@ref-a]\n- Use heat [@ghost]" }],
      references: [{ key: "ref-a", type: "RESEARCH", title: "T", source: "S", year: 2020 }, { key: "ref-b", type: "RESEARCH", title: "U", source: "S", year: 2020 }, { key: "ref-c", type: "RESEARCH", title: "V", source: "S", year: 2020 }],
      summary: "Stretching helps [@ref-a; @ref-b; @ref-c].",
    }));
    expect(summaryOf(issues)).toEqual([{ severity: "error", code: "unresolved-citation", where: "Section “Therapy”, item 2" }]);
    expect(issues[0]!.message).toContain("[@ghost]");
  });

  it("a reference missing its title, source or year is an error naming what is missing", () => {
    const base = content();
    const issues = checkCitations(edited(base, (c) => {
      c.references[0]!.title = null;
      c.references[1]!.source = null;
      c.references[2]!.year = null;
    }));
    expect(summaryOf(issues)).toEqual([
      { severity: "error", code: "missing-details", where: "Reference 1 (ref-a)" },
      { severity: "error", code: "missing-details", where: "Reference 2 (ref-b)" },
      { severity: "error", code: "missing-details", where: "Reference 3 (ref-c)" },
    ]);
    expect(issues.map((i) => i.message)).toEqual(["Missing title.", "Missing journal or publisher.", "Missing year."]);
  });

  it("a reference never cited is a warning", () => {
    const issues = checkCitations(edited(content(), (c) => {
      c.references.push({ key: "ref-unused", type: "REVIEW", title: "Unused", authors: null, source: "J", year: 2010, doi: null, pmid: null, url: null, detailsMissing: false, note: null });
    }));
    expect(summaryOf(issues)).toEqual([{ severity: "warning", code: "uncited-reference", where: "Reference 4 (ref-unused)" }]);
  });

  it("duplicated references are errors, by DOI (any case), by PMID and by title (ignoring case and punctuation)", () => {
    const ref = (key: string, extra: Record<string, unknown>) => ({ key, type: "RESEARCH", title: `Title of ${key}`, source: "J", year: 2020, ...extra });
    const issues = checkCitations(content({
      summary: "All [@a; @b; @c; @d; @e; @f].",
      sections: [],
      references: [
        ref("a", { doi: "10.1000/ABC.1" }), ref("b", { doi: "10.1000/abc.1" }),
        ref("c", { pmid: "123456" }), ref("d", { pmid: "123456" }),
        ref("e", { title: "Tizanidine for Spasticity." }), ref("f", { title: "tizanidine for spasticity" }),
      ],
    }));
    expect(summaryOf(issues)).toEqual([
      { severity: "error", code: "duplicate-reference", where: "Reference 2 (b)" },
      { severity: "error", code: "duplicate-reference", where: "Reference 4 (d)" },
      { severity: "error", code: "duplicate-reference", where: "Reference 6 (f)" },
    ]);
    expect(issues.map((i) => i.message)).toEqual(["Same DOI as a.", "Same PMID as c.", "Same title as e."]);
  });

  it("a bullet stating a dose without a citation is a warning; a cited dose line gives none", () => {
    const issues = checkCitations(content({
      sections: [
        { key: "dosing", depth: 1, heading: "Dosing", body: "- Start low [@ref-a]\n- Give 5 mg daily\n- Titrate to 36mg daily in divided doses [@ref-b]" },
        { key: "more", depth: 1, heading: "More", body: "Check levels [@ref-c]." },
      ],
    }));
    expect(summaryOf(issues)).toEqual([{ severity: "warning", code: "uncited-dose-claim", where: "Section “Dosing”, item 2" }]);
    expect(issues[0]!.message).toContain('"5 mg"');
  });

  it("doses written in micrograms with either micro character, in mg/kg or in mEq are recognised", () => {
    const body = ["- Give 50 µg daily", "- Give 50 μg daily", "- Give 0.5 mg/kg", "- Give 20 mEq potassium", "- Give 3 doses in 2 groups"].join("\n");
    const issues = checkCitations(content({ sections: [{ key: "s", depth: 1, heading: "Doses", body }], summary: "See [@ref-a; @ref-b; @ref-c]." }));
    expect(issues.map((i) => `${i.code} @ ${i.where}: ${i.message}`)).toEqual([
      'uncited-dose-claim @ Section “Doses”, item 1: States a dose ("50 µg") without a citation.',
      'uncited-dose-claim @ Section “Doses”, item 2: States a dose ("50 μg") without a citation.',
      'uncited-dose-claim @ Section “Doses”, item 3: States a dose ("0.5 mg/kg") without a citation.',
      'uncited-dose-claim @ Section “Doses”, item 4: States a dose ("20 mEq") without a citation.',
    ]);
  });

  it("titles that differ only in a non-Latin letter are not duplicates", () => {
    const issues = checkCitations(content({
      summary: "Both [@ref-a; @ref-b; @ref-c].",
      references: [
        { key: "ref-a", type: "RESEARCH", title: "Effect of β-blockers on tremor", source: "J", year: 2020 },
        { key: "ref-b", type: "RESEARCH", title: "Effect of α-blockers on tremor", source: "J", year: 2020 },
        { key: "ref-c", type: "RESEARCH", title: "Effect of β blockers on tremor!", source: "J", year: 2021 },
      ],
    }));
    expect(summaryOf(issues)).toEqual([{ severity: "error", code: "duplicate-reference", where: "Reference 3 (ref-c)" }]);
    expect(issues[0]!.message).toBe("Same title as ref-a.");
  });

  it("an uncited dose in the summary is located by paragraph", () => {
    const issues = checkCitations(content({ summary: "Stretching helps [@ref-a].\n\nGive 500mg at night." }));
    expect(summaryOf(issues)).toEqual([{ severity: "warning", code: "uncited-dose-claim", where: "Summary, paragraph 2" }]);
  });

});

describe("citation checks on the seeded article", () => {
  beforeEach(freshArticleAndSessions);

  it("the seeded article has exactly three errors: the three references without details", async () => {
    const { content: seeded } = await currentRevision(database);
    const issues = checkCitations(seeded);
    expect(summaryOf(issues)).toEqual(
      [4, 5, 6].map((n) => ({ severity: "error", code: "missing-details", where: `Reference ${n} (missing-source-${n})` })),
    );
  });

  it("the workspace page shows the seeded article's three citation errors, and none once the sources are supplied", async () => {
    let text = visibleText(await workspace(agents.priya!));
    expect(text).toContain("3 error(s), 0 warning(s). Errors block submission and approval.");
    for (const n of [4, 5, 6]) {
      expect(text).toContain(`Error: Reference ${n} (missing-source-${n}) — Missing title, journal or publisher, year (the source did not name this reference; supply its details).`);
    }
    await openForEditing();
    await save(agents.alice!, supplyMissingSources).expect(303);
    text = visibleText(await workspace(agents.alice!));
    expect(text).toContain("No citation problems found.");
    expect(text).not.toContain("missing-source-4) —");
  });
});
