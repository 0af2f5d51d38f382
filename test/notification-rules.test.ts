// Notifications follow the audit trail: the rules table turns an event into notifications
// in the transaction that writes the event, so both commit or neither does.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { contextOf, createSeededDatabase, currentRevision, demo, lastAuditId, reseedContent, type TestDatabase, userByEmail } from "./support/index.js";
import { recordEvent } from "../src/audit/audit-log.js";
import "../src/services/people/index.js";
import { notificationRules } from "../src/services/people/notification-rules.js";
import { notificationKinds } from "../src/services/people/index.js";

let database: TestDatabase;

beforeAll(async () => (database = await createSeededDatabase()));
afterAll(() => database?.close());
beforeEach(async () => {
  await database.pool.query("DELETE FROM job; DELETE FROM notification");
  await reseedContent(database);
});

/** Records "Priya approved the newest revision" in a transaction, then runs `after` in it. */
async function recordApproval(after: () => void = () => {}) {
  const priya = await userByEmail(database, demo.priya);
  const { article, revision } = await currentRevision(database);
  await database.prisma.$transaction(async (tx) => {
    await recordEvent(tx, contextOf(priya), {
      action: "workflow.approved", entityType: "revision", entityId: revision.id, articleId: article.id, revisionId: revision.id, articleTitle: revision.title,
      payload: {
        transition: "approve", revisionNumber: revision.number, from: "UNDER_REVIEW", to: "APPROVED",
        signature: { signerName: priya.name, signerCredentials: priya.credentials, meaning: "I approve", contentHash: revision.contentHash, signaturesCount: 1, signaturesRequired: 1, method: "password" },
      },
    });
    after();
  });
  return { revision };
}

describe("notification rules", () => {
  it("an event with a rule tells the people the rule names, in the event's transaction", async () => {
    const { revision } = await recordApproval();
    const told = await database.prisma.notification.findMany({ where: { kind: "workflow.approved" }, include: { user: { select: { email: true, role: true } } } });
    const admins = await database.prisma.user.findMany({ where: { role: "ADMIN", active: true }, select: { email: true } });
    // The seeded revision was imported, so it has no author: the admins are told.
    expect(revision.authorId).toBeNull();
    expect(admins.length).toBeGreaterThan(0);
    expect(told.map((n) => n.user.email).sort()).toEqual(admins.map((a) => a.email).filter((e) => e !== demo.priya).sort());
    expect(told[0]!.message).toBe(`${(await userByEmail(database, demo.priya)).name} approved r${revision.number} of "${revision.title}".`);
    // The e-mail goes through the job queue, queued in the same transaction.
    expect(await database.prisma.job.count({ where: { kind: "notification.email" } })).toBe(told.length);
  });

  it("a change rolled back leaves neither its event nor its notifications", async () => {
    const since = await lastAuditId(database);
    await expect(recordApproval(() => { throw new Error("the change failed after its event"); })).rejects.toThrow("the change failed");
    expect(await lastAuditId(database)).toBe(since);
    expect(await database.prisma.notification.count()).toBe(0);
    expect(await database.prisma.job.count()).toBe(0);
  });

  it("every rule produces a kind people can be told of", () => {
    const kinds = Object.keys(notificationKinds);
    expect(Object.keys(notificationRules).length).toBeGreaterThanOrEqual(6);
    for (const action of Object.keys(notificationRules)) {
      // The rule's kind is the event's action, except that a reassignment is told as an assignment.
      expect(kinds).toContain(action === "review.reassigned" ? "review.assigned" : action);
    }
  });
});
