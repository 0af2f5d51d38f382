// The fixtures other tests are written with do what their names say, so a story that uses
// them starts where it claims to.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { articleAt, currentRevision, demo, openSite, reseedContent, signedIn, signInEveryone, type ArticleStage, type TestApp, type TestDatabase } from "./support/index.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

describe("articleAt", () => {
  beforeEach(() => reseedContent(database));

  const cases: [ArticleStage, { number: number; state: string; live: boolean }][] = [
    ["UNDER_REVIEW", { number: 1, state: "UNDER_REVIEW", live: false }],
    ["CHANGES_REQUESTED", { number: 1, state: "CHANGES_REQUESTED", live: false }],
    ["DRAFT", { number: 1, state: "DRAFT", live: false }],
    ["APPROVED", { number: 2, state: "APPROVED", live: false }],
    ["PUBLISHED", { number: 2, state: "APPROVED", live: true }],
  ];
  for (const [stage, expected] of cases) {
    it(`takes the seeded article to ${stage} through the services`, async () => {
      const { article, revision } = await articleAt(database, stage);
      expect({ number: revision.number, state: revision.state, live: article.publishedRevisionId === revision.id }).toEqual(expected);
      expect(await currentRevision(database)).toMatchObject({ revision: { id: revision.id } });
    });
  }

  it("writes the change into the new revision and records who took each step", async () => {
    await articleAt(database, "PUBLISHED", { change: (c) => { c.summary = `${c.summary} Changed for the test.`; } });
    const { revision, content } = await currentRevision(database);
    expect(content.summary).toContain("Changed for the test.");
    expect(revision.approvals.map((a) => a.signerName)).toEqual(["Dr. Priya Patel"]);
    const steps = await database.prisma.auditEvent.findMany({ where: { action: { startsWith: "workflow." } }, orderBy: { id: "asc" }, select: { action: true, actorEmail: true } });
    expect(steps.slice(-5)).toEqual([
      { action: "workflow.withdrawn", actorEmail: demo.alice },
      { action: "workflow.submitted", actorEmail: demo.alice },
      { action: "workflow.review_started", actorEmail: demo.priya },
      { action: "workflow.approved", actorEmail: demo.priya },
      { action: "workflow.published", actorEmail: demo.sam },
    ]);
  });
});

describe("signed-in people", () => {
  it("signedIn and signInEveryone give agents with a session and a CSRF token, as each demo person", async () => {
    const priya = await signedIn(app, "priya");
    expect(priya.csrf).toMatch(/.+/);
    expect((await priya.get("/editor").expect(200)).text).toContain("Dr. Priya Patel");
    const agents = await signInEveryone(app);
    expect(Object.keys(agents).sort()).toEqual(Object.keys(demo).sort());
    expect((await agents.sam!.get("/admin/users").expect(200)).text).toContain("sam.admin@demo.test");
  });
});
