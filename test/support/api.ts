// API test helpers: tokens for demo users, and requests that carry one.
import request from "supertest";
import type { Express } from "express";
import type { Database } from "../../src/db/database.js";
import { createApiToken, type TokenScope } from "../../src/services/people/index.js";
import { contextOf, userByEmail } from "./people.js";

// Where they were first defined, so older imports keep working.
export { contextOf, userByEmail } from "./people.js";
export { publishSeeded } from "./articles.js";

export async function tokenFor(database: Database, email: string, scopes: TokenScope[] = ["read", "write"], name = "test token") {
  const user = await userByEmail(database, email);
  const { token, record } = await createApiToken(database.prisma, contextOf(user), user, { name, scopes });
  return { token, id: record.id, user };
}

export function bearer(app: Express, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  return {
    get: (path: string) => request(app).get(path).set(auth),
    post: (path: string, body: object) => request(app).post(path).set(auth).send(body),
  };
}
