// Three faults found by walking the README's editorial flow: supplied reference details
// that stayed hidden, a default comparison against the wrong revision, and a Resolve
// button offered to people who may not resolve.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agents, changeDosingLine, currentRevision, MISSING_SOURCES, openSite, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import type { RevisionContent } from "../src/content/revision-content.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());
beforeEach(() => startAfresh(database, app, agents));

const { take, save, requestChanges } = workflowActions(() => database);

/** What the README tells an editor to do: fill in title, journal and year, and nothing else. */
function fillInDetailsOnly(content: RevisionContent) {
  content.references = content.references.map((r) => {
    const supplied = MISSING_SOURCES.find((m) => m.key === r.key);
    return supplied ? { ...r, title: supplied.title, source: supplied.source, year: supplied.year } : r;
  });
}

const requestChangesOnR1 = () => requestChanges(agents, "Please correct the tizanidine dosing.");

describe("supplied reference details", () => {
  it("clear the 'details are missing' state, so the preview lists them instead of the warning", async () => {
    await requestChangesOnR1();
    const before = await currentRevision(database);
    expect(before.revision.references.filter((r) => r.detailsMissing).map((r) => r.key)).toEqual(MISSING_SOURCES.map((m) => m.key));

    await save(agents.alice!, fillInDetailsOnly).expect(303);
    const { article, revision } = await currentRevision(database);
    expect(revision.number).toBe(2);
    for (const source of MISSING_SOURCES) {
      expect(revision.references.find((r) => r.key === source.key)).toMatchObject({ title: source.title, source: source.source, year: source.year, detailsMissing: false });
    }

    const preview = visibleText((await agents.alice!.get(`/editor/articles/${article.id}/revisions/2`).expect(200)).text);
    expect(preview).not.toContain("Source details missing");
    for (const source of MISSING_SOURCES) expect(preview).toContain(source.title!);
  });

  it("a reference still without its details keeps the state and the warning", async () => {
    await requestChangesOnR1();
    await save(agents.alice!, (c) => {
      fillInDetailsOnly(c);
      c.references.find((r) => r.key === "missing-source-6")!.year = null;
    }).expect(303);
    const { article, revision } = await currentRevision(database);
    expect(revision.references.find((r) => r.key === "missing-source-6")!.detailsMissing).toBe(true);
    const preview = visibleText((await agents.alice!.get(`/editor/articles/${article.id}/revisions/2`).expect(200)).text);
    expect(preview.match(/Source details missing/g)).toHaveLength(1);
  });
});

describe("the reviewer's default comparison", () => {
  it("after changes were requested on r1 and the editor saved r2 and r3, starts from r1 and includes r2's changes", async () => {
    await requestChangesOnR1();
    await save(agents.alice!, changeDosingLine).expect(303);
    await save(agents.alice!, supplyMissingSources).expect(303);
    await take(agents.alice!, "submit").expect(303);
    const { article, revision } = await currentRevision(database);
    expect(revision.number).toBe(3);

    const page = (await agents.minh!.get(`/editor/articles/${article.id}`).expect(200)).text;
    expect(page).toContain(`/editor/articles/${article.id}/compare?from=1&amp;to=3`);
    expect(visibleText(page)).toContain("Changes since r1");
    expect(visibleText(page)).not.toContain("Changes since r2");
    // The dosing changed in r2: it is part of what the reviewer is shown.
    expect(page).toContain("36mg daily");
  });

  it("starts from the last approved revision when there is one", async () => {
    await requestChangesOnR1();
    await save(agents.alice!, supplyMissingSources).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.priya!, "start_review").expect(303);
    await take(agents.priya!, "approve", { password: "demo-password-2025", meaning: "Approved: medical accuracy" }).expect(303);
    await save(agents.alice!, changeDosingLine).expect(303);
    await save(agents.alice!, (c) => { c.summary += " Reviewed yearly."; }).expect(303);
    const { article, revision } = await currentRevision(database);
    expect(revision.number).toBe(4);
    const page = (await agents.minh!.get(`/editor/articles/${article.id}`).expect(200)).text;
    expect(page).toContain(`compare?from=2&amp;to=4`);
    expect(page).toContain("36mg daily");
  });
});

describe("resolving a change request", () => {
  it("is not offered to the editor it is addressed to, and the resubmission says who addressed it in which revision", async () => {
    await requestChangesOnR1();
    const { article } = await currentRevision(database);
    const thread = await database.prisma.comment.findFirstOrThrow({ where: { articleId: article.id, kind: "CHANGE_REQUEST" } });

    const alicePage = (await agents.alice!.get(`/editor/articles/${article.id}`).expect(200)).text;
    expect(alicePage).toContain(`id="comment-${thread.id}"`);
    expect(alicePage).not.toContain(`/comments/${thread.id}/resolve`);
    const priyaPage = (await agents.priya!.get(`/editor/articles/${article.id}`).expect(200)).text;
    expect(priyaPage).toContain(`/comments/${thread.id}/resolve`);

    await save(agents.alice!, (c) => {
      changeDosingLine(c);
      supplyMissingSources(c);
    }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    const after = visibleText((await agents.priya!.get(`/editor/articles/${article.id}`).expect(200)).text);
    expect(after).toContain("addressed in r2 by Alice Carter");
  });
});
