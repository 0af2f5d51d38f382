// The people in a test: the five demo accounts by first name, and who is acting in a service call.
import type { Database } from "../../src/db/database.js";
import type { RequestContext } from "../../src/audit/audit-log.js";
import type { User } from "../../src/generated/prisma/client.js";

/** The five demo accounts (seed/demo-users.ts), by first name. */
export const demo = {
  alice: "alice.editor@demo.test",
  ben: "ben.editor@demo.test",
  priya: "priya.reviewer@demo.test",
  minh: "minh.reviewer@demo.test",
  sam: "sam.admin@demo.test",
};

export type DemoName = keyof typeof demo;

/** The request context of `user` acting from the test, as the audit trail records it. */
export function contextOf(user: User): RequestContext {
  return { actor: { id: user.id, name: user.name, email: user.email, role: user.role }, ip: "127.0.0.1", userAgent: "test", requestId: crypto.randomUUID() };
}

export async function userByEmail(database: Database, email: string) {
  return database.prisma.user.findUniqueOrThrow({ where: { email } });
}
