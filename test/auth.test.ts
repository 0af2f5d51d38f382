import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsSince, createTestApp, csrfFrom, demo, lastAuditId, openSite, serverUrl, signedInAgent, submitLogin, type TestApp, type TestDatabase } from "./support/index.js";
import { pruneSecurityLog, createUser } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { openDatabase } from "../src/db/database.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

const attempt = (target: typeof app, email: string, password: string) => submitLogin(request.agent(target), email, password);

async function attemptFrom(target: typeof app, address: string, email: string, password: string) {
  const agent = request.agent(target);
  const form = await agent.get("/login").set("X-Forwarded-For", address).expect(200);
  return agent.post("/login").set("X-Forwarded-For", address).type("form").send({ _csrf: csrfFrom(form.text), email, password });
}

async function lastSecurityLogId(): Promise<bigint> {
  const last = await database.prisma.securityLog.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  return last?.id ?? 0n;
}

function securityLogSince(id: bigint) {
  return database.prisma.securityLog.findMany({ where: { id: { gt: id } }, orderBy: { id: "asc" } });
}

function sessionCookie(res: request.Response): string {
  const cookies = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
  const cookie = cookies.find((c) => c.startsWith("mecms.sid="));
  if (!cookie) throw new Error("no session cookie");
  return cookie;
}

describe("signing in", () => {
  it("gives the same message for a wrong email and a wrong password, and logs both in the security log, not the audit trail", async () => {
    const since = await lastAuditId(database);
    const logSince = await lastSecurityLogId();
    const unknown = await attempt(app, "nobody@demo.test", DEMO_PASSWORD);
    const wrong = await attempt(app, demo.ben, "not-the-password");
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const message = (html: string) => /<p class="form-error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
    expect(message(unknown.text)).toBe("The email or password is not correct.");
    expect(message(wrong.text)).toBe(message(unknown.text));
    expect(await auditEventsSince(database, since)).toEqual([]);
    expect((await securityLogSince(logSince)).map((e) => [e.event, e.email, e.reason])).toEqual([
      ["auth.login.failed", "nobody@demo.test", "unknown_email"],
      ["auth.login.failed", demo.ben, "wrong_password"],
    ]);
  });

  it("refuses a sign-in form without its CSRF token", async () => {
    const res = await request(app).post("/login").type("form").send({ email: demo.ben, password: DEMO_PASSWORD }).expect(403);
    expect(res.text).toContain("This form has expired or did not come from this site");
  });

  it("after 5 failures from one address an account waits a growing delay, even for the right password, while other addresses are not kept out", async () => {
    const proxied = createTestApp(database, { TRUST_PROXY: "true" }).app;
    const from = (address: string, password: string) => attemptFrom(proxied, address, "delayed@demo.test", password);
    await createUser(database.prisma, systemContext(), { email: "delayed@demo.test", name: "Delay Test", role: "EDITOR", password: "the-right-password" });
    const since = await lastAuditId(database);
    for (let i = 0; i < 5; i++) expect((await from("203.0.113.7", `wrong-${i}`)).status).toBe(401);
    const first = await from("203.0.113.7", "the-right-password");
    expect(first.status).toBe(429);
    // The wait is 30 seconds from the fifth failure; a slow machine may already have used a little of it.
    expect(first.text).toMatch(/Too many failed sign-in attempts. Try again in (2[5-9]|30) seconds\./);
    expect(Number(first.headers["retry-after"])).toBeGreaterThanOrEqual(25);
    expect(Number(first.headers["retry-after"])).toBeLessThanOrEqual(30);
    // The real user, elsewhere, still signs in: an attacker cannot lock them out.
    expect((await from("198.51.100.20", "the-right-password")).status).toBe(303);
    // Once the wait is over, one more failure doubles it.
    await database.pool.query(`UPDATE throttle SET blocked_until = now() - interval '1 second' WHERE key = 'login:delayed@demo.test|203.0.113.7'`);
    expect((await from("203.0.113.7", "wrong-again")).status).toBe(401);
    const second = await from("203.0.113.7", "the-right-password");
    expect(second.status).toBe(429);
    expect(Number(second.headers["retry-after"])).toBeGreaterThanOrEqual(55);
    expect(Number(second.headers["retry-after"])).toBeLessThanOrEqual(60);
    // Refusals while waiting neither count nor extend the wait.
    const row = await database.prisma.throttle.findUniqueOrThrow({ where: { key: "login:delayed@demo.test|203.0.113.7" } });
    expect(row.failures).toBe(6);
    // Nothing an anonymous visitor did reached the audit trail; the successful sign-in did.
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.login.succeeded"]);
  });

  it("limits failures per client address across accounts", async () => {
    const { database: own, app: ownApp } = await openSite();
    try {
      for (let i = 0; i < 20; i++) expect((await attempt(ownApp, `guess-${i}@demo.test`, "guess")).status).toBe(401);
      const refused = await attempt(ownApp, demo.ben, DEMO_PASSWORD);
      expect(refused.status).toBe(429);
      expect(refused.text).toMatch(/Too many failed sign-in attempts. Try again in (5[5-9]|60) seconds\./);
    } finally {
      await own.close();
    }
  });

  // The embedded database runs one statement at a time, so parallel requests cannot race there.
  it.skipIf(!serverUrl)("lets exactly 5 of 12 parallel wrong guesses be checked: the attempt is taken before the password is (PostgreSQL server only)", async () => {
    await createUser(database.prisma, systemContext(), { email: "parallel@demo.test", name: "Parallel Test", role: "EDITOR", password: "the-right-password" });
    const agents = await Promise.all(Array.from({ length: 12 }, async () => {
      const agent = request.agent(app);
      const form = await agent.get("/login").expect(200);
      return { agent, csrf: csrfFrom(form.text) };
    }));
    const results = await Promise.all(agents.map(({ agent, csrf }, i) => agent.post("/login").type("form").send({ _csrf: csrf, email: "parallel@demo.test", password: `wrong-${i}` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
    for (const r of results.filter((r) => r.status === 429)) expect(r.text).toContain("Too many failed sign-in attempts");
  });

  it("prunes the security log after its retention period", async () => {
    await database.prisma.securityLog.create({ data: { event: "auth.login.failed", email: "old@demo.test", reason: "wrong_password", createdAt: new Date(Date.now() - 91 * 86_400_000) } });
    const recent = await database.prisma.securityLog.create({ data: { event: "auth.login.failed", email: "new@demo.test", reason: "wrong_password" } });
    expect(await pruneSecurityLog(database.prisma, 90)).toBe(1);
    expect(await database.prisma.securityLog.count({ where: { email: "old@demo.test" } })).toBe(0);
    expect(await database.prisma.securityLog.findUnique({ where: { id: recent.id } })).not.toBeNull();
  });

  it("only redirects to pages of this site after sign-in", async () => {
    const agent = request.agent(app);
    const form = await agent.get("/login?next=//evil.example/x").expect(200);
    const res = await agent.post("/login").type("form").send({ _csrf: csrfFrom(form.text), email: demo.ben, password: DEMO_PASSWORD, next: "//evil.example/x" });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/editor");
  });
});

describe("sessions", () => {
  it("uses an HttpOnly, SameSite=Lax cookie, Secure when configured, and a new session id at sign-in", async () => {
    const agent = request.agent(app);
    const form = await agent.get("/login").expect(200);
    const anonymous = sessionCookie(form);
    const res = await agent.post("/login").type("form").send({ _csrf: csrfFrom(form.text), email: demo.ben, password: DEMO_PASSWORD });
    const signedIn = sessionCookie(res);
    expect(signedIn).toMatch(/HttpOnly/);
    expect(signedIn).toMatch(/SameSite=Lax/);
    expect(signedIn.split(";")[0]).not.toBe(anonymous.split(";")[0]);
    const secureApp = createTestApp(database, { COOKIE_SECURE: "true", TRUST_PROXY: "true" }).app;
    const secure = await request(secureApp).get("/login").set("X-Forwarded-Proto", "https").expect(200);
    expect(sessionCookie(secure)).toMatch(/; Secure/);
  });

  it("survive a restart of the application, because they are stored in the database", async () => {
    const res = await attempt(app, demo.minh, DEMO_PASSWORD);
    const cookie = sessionCookie(res).split(";")[0]!;
    const restarted = createTestApp(database).app;
    const page = await request(restarted).get("/editor").set("Cookie", cookie).expect(200);
    expect(page.text).toContain("Dr. Minh Nguyen");
  });

  it("end at sign-out: the old cookie no longer opens staff pages", async () => {
    const agent = await signedInAgent(app, demo.priya);
    const cookie = (await agent.get("/editor")).request.cookies;
    const since = await lastAuditId(database);
    await agent.post("/logout").type("form").send({ _csrf: agent.csrf }).expect(303);
    expect((await auditEventsSince(database, since)).map((e) => [e.action, e.actorEmail])).toEqual([["auth.logout", demo.priya]]);
    const after = await request(app).get("/editor").set("Cookie", cookie);
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe("/login?next=%2Feditor");
  });

  it("expire when idle longer than their lifetime, and the expiry is recorded", async () => {
    const shortApp = createTestApp(database, { SESSION_TTL_HOURS: "0.0005" }).app;
    const res = await attempt(shortApp, demo.ben, DEMO_PASSWORD);
    const cookie = sessionCookie(res).split(";")[0]!;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const since = await lastAuditId(database);
    const page = await request(shortApp).get("/editor").set("Cookie", cookie);
    expect(page.status).toBe(303);
    expect((await auditEventsSince(database, since)).map((e) => [e.action, e.actorEmail])).toEqual([["auth.session.expired", demo.ben]]);
  });
});

describe("role checks", () => {
  it("send anonymous visitors to sign in and refuse staff pages to the wrong role", async () => {
    const anonymous = await request(app).get("/editor/articles/new");
    expect(anonymous.status).toBe(303);
    const reviewer = await signedInAgent(app, demo.priya);
    await reviewer.get("/editor/articles/new").expect(403);
    await reviewer.get("/admin/users").expect(403);
    const editor = await signedInAgent(app, demo.alice);
    await editor.get("/admin/audit/export.csv").expect(403);
    await editor.get("/editor/articles/new").expect(200);
  });
});

describe("the user:create command", () => {
  function run(args: string[], env: Record<string, string>) {
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/user-create.ts", ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("exit", (code) => resolve({ code, out }));
    });
  }

  it("creates the first admin from an environment password, never printing it, and refuses a weak one", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cms-cli-"));
    const weak = await run(["--email", "first@admin.test", "--name", "First Admin"], { DATA_DIR: dataDir, USER_PASSWORD: "short" });
    expect(weak.code).toBe(1);
    expect(weak.out).toContain("--password: must be at least 12 characters");
    const ok = await run(["--email", "first@admin.test", "--name", "First Admin", "--role", "admin"], { DATA_DIR: dataDir, USER_PASSWORD: "a-very-secret-password" });
    expect(ok.out).not.toContain("a-very-secret-password");
    expect(ok.code).toBe(0);
    const db = await openDatabase({ dataDir });
    try {
      const user = await db.prisma.user.findUniqueOrThrow({ where: { email: "first@admin.test" } });
      expect(user.role).toBe("ADMIN");
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await db.prisma.auditEvent.count({ where: { action: "user.created", entityId: user.id } })).toBe(1);
    } finally {
      await db.close();
    }
  }, 180_000); // two command processes, each opening an embedded database
});
