// The article history as people read it: one sentence per event, small diffs, the raw
// event behind a disclosure, pages, and filters by person and kind of event.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, currentRevision, decodeEntities, demo, openSite, pending, signedIn, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { auditActions } from "../src/audit/events.js";
import { formatters, numberRanges } from "../src/services/editorial/index.js";

const CHANGE_REQUEST = "Please correct the tizanidine dosing and supply sources 4, 5 and 6.";

describe("formatters", () => {
  it("exist for every kind of audit event, and for nothing else", () => {
    expect(Object.keys(formatters).sort()).toEqual([...auditActions].sort());
  });

  it("write reference numbers as a reader would", () => {
    expect(numberRanges([5, 4, 6])).toBe("4–6");
    expect(numberRanges([9, 2, 4, 5, 6])).toBe("2, 4–6 and 9");
    expect(numberRanges([3])).toBe("3");
  });
});

describe("the history page", () => {
  let database: TestDatabase;
  let agents: Record<string, Agent>;
  let articleId = "";
  const sentences = (html: string) => [...html.matchAll(/<p class="history-sentence">([\s\S]*?)<span class="muted">/g)].map((m) => decodeEntities(m[1]!).trim());
  const history = (query = "") => agents.priya!.get(`/editor/articles/${articleId}/history${query}`);

  beforeAll(async () => {
    const site = await openSite();
    database = site.database;
    agents = { priya: await signedIn(site.app, "priya"), alice: await signedIn(site.app, "alice") };
    const { take, dosingRevised } = workflowActions(() => database);
    await dosingRevised(agents, CHANGE_REQUEST);
    await take(agents.alice!, "submit").expect(303);
    articleId = (await currentRevision(database)).article.id;
    // Enough comments to need a second page.
    for (let i = 1; i <= 15; i++) {
      await pending(
        currentRevision(database).then(({ revision }) =>
          agents.priya!.post(`/editor/articles/${articleId}/comments`).type("form")
            .send({ _csrf: agents.priya!.csrf, revisionId: revision.id, body: `Note ${i} on wording`, ...(i === 1 ? { sectionKey: "skeletal-muscle-relaxants" } : {}) }),
        ),
      ).expect(303);
    }
  });
  afterAll(() => database?.close());

  it("tells the seeded flow as sentences, with names, revisions and states as people say them", async () => {
    const res = await history().expect(200);
    const told = sentences(res.text);
    expect(told).toContain(`Dr. Priya Patel requested changes on r1: “${CHANGE_REQUEST}”`);
    expect(told).toContain("Alice Carter saved r2: changed Skeletal Muscle Relaxants and edited references 4–6.");
    expect(told).toContain("Alice Carter submitted r2 for review.");
    const second = sentences((await history("?page=2").expect(200)).text);
    expect([...told, ...second]).toContain("Dr. Priya Patel commented on Skeletal Muscle Relaxants: “Note 1 on wording”");
    expect(told.some((s) => s.startsWith(`Alice Carter addressed the change request “${CHANGE_REQUEST.slice(0, 40)}`) && s.endsWith("by submitting r2."))).toBe(true);
    // No machine names outside the raw events.
    const outsideRaw = res.text.replace(/<details class="raw-event">[\s\S]*?<\/details>/g, "");
    expect(visibleText(outsideRaw)).not.toMatch(/workflow\.|article\.revision|CHANGES_REQUESTED|missing-source-/);
  });

  it("shows the changed line of the saved revision as a small diff", async () => {
    const res = await history().expect(200);
    const saved = /data-action="article.revision.created">[\s\S]*?<\/li>/g;
    const r2 = [...res.text.matchAll(saved)].map((m) => m[0]).find((li) => li.includes("saved r2"))!;
    const diff = /<div class="diff small-diff">([\s\S]*?)<\/div>/.exec(r2)![1]!;
    expect(diff).toContain("Skeletal Muscle Relaxants");
    expect(diff).toMatch(/<ins>[^<]*2mg at bedtime|<ins>2mg<\/ins>/);
    expect(diff.match(/<p class="value">/g)).toHaveLength(1);
  });

  it("keeps the raw event, with its hash, behind a disclosure", async () => {
    const res = await history().expect(200);
    const raws = [...res.text.matchAll(/<details class="raw-event"><summary>Raw event \(for auditors\)<\/summary><pre class="value">([\s\S]*?)<\/pre><\/details>/g)];
    expect(raws.length).toBe(20);
    const first = JSON.parse(decodeEntities(raws[0]![1]!));
    expect(first).toMatchObject({ action: "article.created", hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Client addresses and browsers are for admins (the site-wide log), not every editor.
    const signedIn = raws.map((r) => JSON.parse(decodeEntities(r[1]!))).find((e) => e.actorEmail === demo.priya)!;
    expect(signedIn).toBeDefined();
    expect(signedIn).not.toHaveProperty("ip");
    expect(signedIn).not.toHaveProperty("userAgent");
  });

  it("pages through every event once, oldest first", async () => {
    const total = await database.prisma.auditEvent.count({ where: { articleId } });
    expect(total).toBeGreaterThan(20);
    const first = await history().expect(200);
    expect(visibleText(first.text)).toContain(`${total} events · page 1 of 2`);
    const next = /<a href="([^"]+)" rel="next">Later events<\/a>/.exec(first.text)![1]!.replace(/&amp;/g, "&");
    const second = await agents.priya!.get(next).expect(200);
    const ids = [first.text, second.text].flatMap((html) => [...html.matchAll(/<li id="event-(\d+)"/g)].map((m) => Number(m[1])));
    const stored = (await database.prisma.auditEvent.findMany({ where: { articleId }, orderBy: { id: "asc" }, select: { id: true } })).map((e) => Number(e.id));
    expect(ids).toEqual(stored);
  });

  it("filters by person and by kind of event", async () => {
    const priya = await database.prisma.user.findUniqueOrThrow({ where: { email: demo.priya } });
    const byPriya = await history(`?person=${priya.id}`).expect(200);
    const priyaEvents = await database.prisma.auditEvent.count({ where: { articleId, actorId: priya.id } });
    expect(visibleText(byPriya.text)).toContain(`${priyaEvents} events`);
    expect(sentences(byPriya.text).every((s) => s.startsWith("Dr. Priya Patel"))).toBe(true);

    const workflow = await history("?kind=workflow").expect(200);
    const actions = [...workflow.text.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]);
    expect(actions).toEqual(["workflow.review_started", "workflow.changes_requested", "workflow.submitted"]);
    expect(workflow.text).toMatch(/<option value="workflow" selected>Review and publication<\/option>/);
  });

  it("refuses a filter it does not know with a clear message, and a page past the end with 404", async () => {
    const bad = await history("?kind=everything").expect(400);
    expect(visibleText(bad.text)).toContain("choose a kind of event from the list");
    await history("?person=nobody").expect(400);
    const past = await history("?page=9").expect(404);
    expect(visibleText(past.text)).toContain("There is no page 9 of this history; it has 2.");
  });
});
