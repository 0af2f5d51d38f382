// API test helpers: tokens for demo users, and publishing the seeded article through the services.
import request from "supertest";
import type { Express } from "express";
import type { Database } from "../../src/db/database.js";
import type { RequestContext } from "../../src/audit/audit-log.js";
import type { User } from "../../src/generated/prisma/client.js";
import { createApiToken, type TokenScope } from "../../src/services/people/index.js";
import { applyTransition } from "../../src/services/review/index.js";
import { saveRevision } from "../../src/services/editorial/index.js";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";
import { currentRevision, supplyMissingSources, type SEEDED_SLUG } from "./articles.js";
import type { RevisionContent } from "../../src/content/revision-content.js";

export function contextOf(user: User): RequestContext {
  return { actor: { id: user.id, name: user.name, email: user.email, role: user.role }, ip: "127.0.0.1", userAgent: "test", requestId: crypto.randomUUID() };
}

export async function userByEmail(database: Database, email: string) {
  return database.prisma.user.findUniqueOrThrow({ where: { email } });
}

export async function tokenFor(database: Database, email: string, scopes: TokenScope[] = ["read", "write"], name = "test token") {
  const user = await userByEmail(database, email);
  const { token, record } = await createApiToken(database.prisma, contextOf(user), user, { name, scopes });
  return { token, id: record.id, user };
}

/** Takes the seeded article from Submitted to Published (new revision with the missing sources supplied), returns it. */
export async function publishSeeded(database: Database, change: (content: RevisionContent) => void = () => {}, slug: typeof SEEDED_SLUG = "treatment-options-for-muscle-spasms") {
  const db = database.prisma;
  const alice = await userByEmail(database, "alice.editor@demo.test");
  const priya = await userByEmail(database, "priya.reviewer@demo.test");
  const sam = await userByEmail(database, "sam.admin@demo.test");
  const step = async (user: User, name: Parameters<typeof applyTransition>[4], extra: Record<string, string> = {}) => {
    const { article, revision } = await currentRevision(database, slug);
    await applyTransition(db, contextOf(user), user, article.id, name, {
      revisionId: revision.id, expectedState: revision.state, comment: "", password: "", meaning: "", overrideReason: "", reviewerIds: [], reviewDue: null, ...extra,
    });
  };
  const first = await currentRevision(database, slug);
  if (first.revision.state === "SUBMITTED") await step(alice, "withdraw");
  const { article, revision, content } = await currentRevision(database, slug);
  supplyMissingSources(content);
  change(content);
  await saveRevision(db, contextOf(alice), alice, article.id, { baseRevisionId: revision.id, content, changeNote: "ready" });
  await step(alice, "submit");
  await step(priya, "start_review");
  await step(priya, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" });
  await step(sam, "publish");
  return currentRevision(database, slug);
}

export function bearer(app: Express, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  return {
    get: (path: string) => request(app).get(path).set(auth),
    post: (path: string, body: object) => request(app).post(path).set(auth).send(body),
  };
}
