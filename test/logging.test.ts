// Structured request logs carry the request id the response header and the audit events carry.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsSince, createSeededDatabase, demo, lastAuditId, signedInAgent, testConfig, type TestDatabase } from "./support/index.js";
import { createApp } from "../src/app.js";

let database: TestDatabase;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => (database = await createSeededDatabase()));
afterAll(() => database?.close());

describe("request logs", () => {
  it("each request is one JSON line with the id that the X-Request-Id header and its audit events carry", async () => {
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const app = createApp({ config: testConfig(), database, logger: pino({ level: "info" }, sink), log: () => {} });
    const since = await lastAuditId(database);
    const agent = await signedInAgent(app, demo.alice);
    const events = await auditEventsSince(database, since);
    const login = events.find((e) => e.action === "auth.login.succeeded")!;
    expect(login).toBeTruthy();
    const logged = lines.find((l) => l.reqId === login.requestId);
    expect(logged, "a log line for the sign-in request").toBeTruthy();
    expect(logged).toMatchObject({ req: { method: "POST", url: "/login" }, res: { statusCode: 303 } });
    const res = await agent.get("/editor").expect(200);
    const line = lines.find((l) => l.reqId === res.headers["x-request-id"]);
    expect(line).toMatchObject({ req: { method: "GET", url: "/editor" }, res: { statusCode: 200 } });
    expect(line!.userId).toBe((await database.prisma.user.findUniqueOrThrow({ where: { email: demo.alice } })).id);
  });
});
