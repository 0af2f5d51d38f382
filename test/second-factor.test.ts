// Authenticator apps (TOTP), recovery codes, the second step of signing in,
// REQUIRE_SECOND_FACTOR and an administrator's reset, through real HTTP.
import request from "supertest";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, auditEventsSince, createTestApp, csrfFrom, demo, lastAuditId, openSite, signedInAgent, submitLogin, type TestApp, type TestDatabase } from "./support/index.js";
import { createUser, openSealedSecret, sealSecret } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { loadConfig } from "../src/config.js";
import { formatEvent } from "../src/services/editorial/index.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";

let database: TestDatabase;
let app: TestApp;
const PASSWORD = "a-long-password-for-tests";
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

let counter = 0;
async function newPerson(role: "EDITOR" | "REVIEWER" | "ADMIN" = "REVIEWER") {
  const email = `person${++counter}@factor.test`;
  const user = await createUser(database.prisma, systemContext(), { email, name: `Dr. Person ${counter}`, role, password: PASSWORD, credentials: role === "REVIEWER" ? "MD" : undefined });
  return { user, email };
}

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/&amp;/g, "&").replace(/\s+/g, " ");

async function lastLogId() {
  const last = await database.prisma.securityLog.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  return last?.id ?? 0n;
}
const logSince = (id: bigint) => database.prisma.securityLog.findMany({ where: { id: { gt: id } }, orderBy: { id: "asc" } });

/** Sets up an authenticator app for a signed-in agent; returns the secret and the recovery codes shown. */
async function enrolTotp(agent: Agent) {
  const started = await agent.post("/account/security/totp/start").type("form").send({ _csrf: agent.csrf }).expect(200);
  const secret = /data-testid="totp-secret">([^<]+)</.exec(started.text)![1]!.replace(/\s/g, "");
  expect(started.text).toMatch(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR code/);
  const confirmed = await agent.post("/account/security/totp/confirm").type("form").send({ _csrf: agent.csrf, code: await generate({ secret, epoch: now() }) });
  expect(confirmed.status, text(confirmed.text).slice(0, 300)).toBe(201);
  const codes = [...confirmed.text.matchAll(/<li><code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})<\/code><\/li>/g)].map((m) => m[1]!);
  return { secret, codes };
}

/** Email and password only: the agent is left at the second step. */
async function passwordStep(email: string, password = PASSWORD) {
  const agent = request.agent(app) as Agent;
  const res = await submitLogin(agent, email, password);
  expect(res.status).toBe(303);
  const step = await agent.get("/login/second-factor");
  if (step.status === 200) agent.csrf = csrfFrom(step.text);
  return { agent, redirect: res.headers.location as string };
}

/** Not signed in: staff pages send the person to the sign-in page. */
async function expectSignedOut(agent: Agent) {
  const res = await agent.get("/editor");
  expect(res.status).toBe(303);
  expect(res.headers.location).toMatch(/^\/login/);
}

const secondStep = (agent: Agent, code: string) => agent.post("/login/second-factor").type("form").send({ _csrf: agent.csrf, code });

describe("setting up an authenticator app", () => {
  it("shows a QR code and the key, stores nothing until a first code confirms it, then ten recovery codes once", async () => {
    const { user, email } = await newPerson();
    const agent = await signedInAgent(app, email, PASSWORD);
    const since = await lastAuditId(database);
    const started = await agent.post("/account/security/totp/start").type("form").send({ _csrf: agent.csrf }).expect(200);
    expect(started.text).toContain("data-testid=\"totp-qr\"");
    expect(await database.prisma.totpFactor.count({ where: { userId: user.id } })).toBe(0);
    const secret = /data-testid="totp-secret">([^<]+)</.exec(started.text)![1]!.replace(/\s/g, "");

    const wrong = await agent.post("/account/security/totp/confirm").type("form").send({ _csrf: agent.csrf, code: "000000" === (await generate({ secret, epoch: now() })) ? "111111" : "000000" }).expect(400);
    expect(text(wrong.text)).toContain("That code is not correct.");
    expect(await database.prisma.totpFactor.count({ where: { userId: user.id } })).toBe(0);
    expect(await auditEventsSince(database, since)).toEqual([]);

    const ok = await agent.post("/account/security/totp/confirm").type("form").send({ _csrf: agent.csrf, code: await generate({ secret, epoch: now() }) }).expect(201);
    const codes = [...ok.text.matchAll(/<li><code>([A-Z2-9-]{19})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    const stored = await database.prisma.totpFactor.findUniqueOrThrow({ where: { userId: user.id } });
    expect(stored.secretSealed).not.toContain(secret);
    const hashes = await database.prisma.recoveryCode.findMany({ where: { userId: user.id } });
    expect(hashes.map((h) => h.codeHash).some((h) => codes.some((c) => h.includes(c!)))).toBe(false);
    // Shown once: the page afterwards lists how many, not which.
    const later = await agent.get("/account/security").expect(200);
    expect(later.text).not.toContain(codes[0]!);
    expect(text(later.text)).toContain("You have 10 unused recovery code(s).");

    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["auth.factor.enrolled"]);
    const notices = await database.prisma.notification.findMany({ where: { userId: user.id, kind: "account.security" } });
    expect(notices.map((n) => n.message)).toEqual([expect.stringContaining("An authenticator app was set up")]);
    expect(await database.prisma.job.count({ where: { kind: "notification.email", payload: { equals: { notificationId: notices[0]!.id } } } })).toBe(1);
  });

  it("refuses a set-up without a started secret, with a sentence and no change", async () => {
    const { user, email } = await newPerson();
    const agent = await signedInAgent(app, email, PASSWORD);
    const res = await agent.post("/account/security/totp/confirm").type("form").send({ _csrf: agent.csrf, code: "123456" }).expect(400);
    expect(text(res.text)).toContain("The set-up took too long and has expired.");
    expect(await database.prisma.totpFactor.count({ where: { userId: user.id } })).toBe(0);
  });

  it("seals the secret under SESSION_SECRET: another secret cannot open it", () => {
    const sealed = sealSecret("JBSWY3DPEHPK3PXP", "a".repeat(40));
    expect(openSealedSecret(sealed, "a".repeat(40))).toBe("JBSWY3DPEHPK3PXP");
    expect(openSealedSecret(sealed, "b".repeat(40))).toBeNull();
    expect(openSealedSecret("v1.garbage", "a".repeat(40))).toBeNull();
  });
});

describe("signing in with a second factor", () => {
  it("asks for the code after the password and creates the session only after it", async () => {
    const { user, email } = await newPerson();
    const { secret } = await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const { agent, redirect } = await passwordStep(email);
    expect(redirect).toBe("/login/second-factor");
    // Not signed in yet: staff pages send the person to sign in.
    await expectSignedOut(agent);
    const since = await lastAuditId(database);
    const res = await secondStep(agent, await generate({ secret, epoch: now() + 30 }));
    expect(res.status, text(res.text).slice(0, 300)).toBe(303);
    expect(res.headers.location).toBe("/editor");
    await agent.get("/editor").expect(200);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, (e.payload as { method?: string }).method, e.actorId])).toEqual([["auth.login.succeeded", "password+totp", user.id]]);
    expect(formatEvent("auth.login.succeeded", events[0]!.payload, true, { actor: user.name } as never).sentence).toBe(`${user.name} signed in (password and authenticator app).`);
  });

  it("refuses wrong, expired and reused codes with a sentence each, logs them, and creates no session", async () => {
    const { email } = await newPerson();
    const { secret } = await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const { agent } = await passwordStep(email);
    const logFrom = await lastLogId();
    const auditFrom = await lastAuditId(database);

    const current = await generate({ secret, epoch: now() });
    const wrong = String((Number(current) + 1) % 1_000_000).padStart(6, "0");
    const r1 = await secondStep(agent, wrong);
    expect(r1.status).toBe(401);
    expect(text(r1.text)).toContain("That code is not correct.");

    // A code from four time steps ago (two minutes): outside the ±1 window.
    const old = await generate({ secret, epoch: now() - 120 });
    const r2 = await secondStep(agent, old);
    expect(r2.status).toBe(401);
    expect(text(r2.text)).toMatch(/That code has expired|That code is not correct/);

    // The code of the next step works once; the same code again is refused as reused.
    const nextCode = await generate({ secret, epoch: now() + 30 });
    const ok = await secondStep(agent, nextCode);
    expect(ok.status).toBe(303);
    const again = await passwordStep(email);
    const replay = await secondStep(again.agent, nextCode);
    expect(replay.status).toBe(401);
    expect(text(replay.text)).toContain("That code was already used.");
    await expectSignedOut(again.agent);

    const logged = await logSince(logFrom);
    expect(logged.map((l) => [l.event, l.reason])).toEqual([
      ["auth.second_factor.failed", "wrong_code"],
      ["auth.second_factor.failed", expect.stringMatching(/^(expired|wrong_code)$/)],
      ["auth.second_factor.failed", "reused_code"],
    ]);
    // Only the one successful sign-in reached the audit trail.
    expect((await auditEventsSince(database, auditFrom)).map((e) => e.action)).toEqual(["auth.login.succeeded"]);
  });

  it("names a code from a few minutes ago as expired", async () => {
    const { email } = await newPerson();
    const { secret } = await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const { agent } = await passwordStep(email);
    const old = await generate({ secret, epoch: now() - 150 });
    const res = await secondStep(agent, old);
    expect(res.status).toBe(401);
    // The same code can match another time step by chance (1 in a million per step); then it is "not correct".
    expect(text(res.text)).toMatch(/That code has expired\.|That code is not correct\./);
  });

  it("accepts each recovery code once, and says so when one is used twice", async () => {
    const { user, email } = await newPerson();
    const { codes } = await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const first = await passwordStep(email);
    const since = await lastAuditId(database);
    const ok = await secondStep(first.agent, codes[0]!.toLowerCase().replace(/-/g, " "));
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe("/account/security?recovery=used");
    const page = await first.agent.get(ok.headers.location as string).expect(200);
    expect(text(page.text)).toContain("You signed in with a recovery code, which is now used up. You have 9 left");
    const [event] = await auditEventsSince(database, since);
    expect(event!.payload).toMatchObject({ method: "password+recovery_code", recoveryCodesLeft: 9 });

    const second = await passwordStep(email);
    const reused = await secondStep(second.agent, codes[0]!);
    expect(reused.status).toBe(401);
    expect(text(reused.text)).toContain("That recovery code is not correct, or it was already used: each works once.");
    expect(await database.prisma.recoveryCode.count({ where: { userId: user.id, usedAt: null } })).toBe(9);
  });

  it("throttles codes like passwords: after five wrong codes even the right one waits", async () => {
    const { email } = await newPerson();
    const { secret } = await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const { agent } = await passwordStep(email);
    for (let i = 0; i < 5; i++) expect((await secondStep(agent, "ABCD-EFGH-JKLM-NPQR")).status).toBe(401);
    const blocked = await secondStep(agent, await generate({ secret, epoch: now() + 30 }));
    expect(blocked.status).toBe(429);
    expect(blocked.headers["retry-after"]).toBeDefined();
    expect(text(blocked.text)).toMatch(/Too many wrong codes\. Try again in \d+ seconds?\./);
    await expectSignedOut(agent);
  });

  it("sends a late second step back to the password, and never treats the pending state as signed in", async () => {
    const { email } = await newPerson();
    const { secret } = await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const { agent } = await passwordStep(email);
    const sid = await database.prisma.session.findMany({ where: { userId: null } });
    // Age every pending sign-in past its five minutes.
    for (const s of sid) {
      const data = s.data as { pendingLogin?: { expiresAt: number } };
      if (data.pendingLogin) await database.prisma.session.update({ where: { sid: s.sid }, data: { data: { ...data, pendingLogin: { ...data.pendingLogin, expiresAt: Date.now() - 1 } } } });
    }
    const late = await secondStep(agent, await generate({ secret, epoch: now() + 30 }));
    expect(late.status).toBe(401);
    expect(text(late.text)).toContain("Your sign-in was not finished in time. Enter your email and password again.");
    await expectSignedOut(agent);
  });

  it("refuses an empty or absurd code with 400, not a 500", async () => {
    const { email } = await newPerson();
    await enrolTotp(await signedInAgent(app, email, PASSWORD));
    const { agent } = await passwordStep(email);
    expect((await secondStep(agent, "")).status).toBe(400);
    expect((await secondStep(agent, "x".repeat(500))).status).toBe(400);
    expect((await agent.post("/login/second-factor").type("form").send({ _csrf: agent.csrf, code: ["1", "2"] })).status).toBe(400);
  });

  it("a person without a second factor signs in with the password alone, recorded as such", async () => {
    const { email } = await newPerson("EDITOR");
    const since = await lastAuditId(database);
    await signedInAgent(app, email, PASSWORD);
    const [event] = await auditEventsSince(database, since);
    expect(event!.payload).toMatchObject({ method: "password" });
  });
});

describe("REQUIRE_SECOND_FACTOR", () => {
  it("is empty by default and validated", () => {
    expect(loadConfig({ NODE_ENV: "test" }).requireSecondFactorRoles).toEqual([]);
    expect(loadConfig({ NODE_ENV: "test", REQUIRE_SECOND_FACTOR: "admin, Reviewer" }).requireSecondFactorRoles).toEqual(["ADMIN", "REVIEWER"]);
    expect(() => loadConfig({ NODE_ENV: "test", REQUIRE_SECOND_FACTOR: "admin,nurse" })).toThrow(/REQUIRE_SECOND_FACTOR is invalid: must list roles among admin, reviewer and editor/);
  });

  it("keeps a reviewer without a factor on the set-up page, with the reason, until they set one up", async () => {
    const strict = createTestApp(database, { REQUIRE_SECOND_FACTOR: "reviewer,admin" }).app;
    const { email } = await newPerson("REVIEWER");
    const agent = request.agent(strict) as Agent;
    await submitLogin(agent, email, PASSWORD).expect(303);
    const editor = await agent.get("/editor").expect(303);
    expect(editor.headers.location).toBe("/account/security");
    expect((await agent.get("/account/tokens")).status).toBe(303);
    const page = await agent.get("/account/security").expect(200);
    expect(text(page.text)).toContain("Set up a second factor to continue");
    agent.csrf = csrfFrom(page.text);
    // A state-changing request elsewhere is refused with the reason.
    const refused = await agent.post("/editor/notifications/read").type("form").send({ _csrf: agent.csrf });
    expect(refused.status).toBe(403);
    // Set-up is inline; afterwards everything is reachable.
    const started = await agent.post("/account/security/totp/start").type("form").send({ _csrf: agent.csrf }).expect(200);
    const secret = /data-testid="totp-secret">([^<]+)</.exec(started.text)![1]!.replace(/\s/g, "");
    await agent.post("/account/security/totp/confirm").type("form").send({ _csrf: agent.csrf, code: await generate({ secret, epoch: now() }) }).expect(201);
    await agent.get("/editor").expect(200);
    // Editors are not in the list: unaffected.
    const editorPerson = await newPerson("EDITOR");
    const editorAgent = await signedInAgent(strict, editorPerson.email, PASSWORD);
    await editorAgent.get("/editor").expect(200);
  });
});

describe("an administrator's reset", () => {
  it("removes every factor, ends the person's sessions, is audited, tells them, and is refused for oneself", async () => {
    const { user, email } = await newPerson();
    const own = await signedInAgent(app, email, PASSWORD);
    await enrolTotp(own);
    const admin = await signedInAgent(app, demo.sam, DEMO_PASSWORD);
    const users = await admin.get("/admin/users").expect(200);
    expect(text(users.text)).toContain("Second factors: authenticator app");
    const since = await lastAuditId(database);
    await admin.post(`/admin/users/${user.id}/second-factors/reset`).type("form").send({ _csrf: admin.csrf }).expect(303);
    expect(await database.prisma.totpFactor.count({ where: { userId: user.id } })).toBe(0);
    expect(await database.prisma.recoveryCode.count({ where: { userId: user.id } })).toBe(0);
    await expectSignedOut(own);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, e.entityId])).toEqual([["auth.factor.reset", user.id]]);
    expect(formatEvent("auth.factor.reset", events[0]!.payload, true, { actor: "Sam Rivera" } as never).sentence).toMatch(/^Sam Rivera reset the second factors of Dr\. Person \d+ .*the authenticator app, 10 recovery code\(s\) removed, 1 session\(s\) ended\.$/);
    const notice = await database.prisma.notification.findFirst({ where: { userId: user.id, kind: "account.security" }, orderBy: { createdAt: "desc" } });
    expect(notice!.message).toContain("Sam Rivera (administrator) removed your second factors");
    // Signing in again needs the password only (and the set-up, if the role requires one).
    expect((await passwordStep(email)).redirect).toBe("/editor");

    const samId = (await database.prisma.user.findUniqueOrThrow({ where: { email: demo.sam } })).id;
    const self = await admin.post(`/admin/users/${samId}/second-factors/reset`).type("form").send({ _csrf: admin.csrf });
    expect(self.status).toBe(403);
    const notAdmin = await signedInAgent(app, demo.ben, DEMO_PASSWORD);
    expect((await notAdmin.post(`/admin/users/${user.id}/second-factors/reset`).type("form").send({ _csrf: notAdmin.csrf })).status).toBe(403);
    expect((await admin.post(`/admin/users/not-a-uuid/second-factors/reset`).type("form").send({ _csrf: admin.csrf })).status).toBe(404);
  });
});

describe("removing and renewing", () => {
  it("removing the app and renewing recovery codes are audited and the person is told each time", async () => {
    const { user, email } = await newPerson();
    const agent = await signedInAgent(app, email, PASSWORD);
    const { codes } = await enrolTotp(agent);
    const since = await lastAuditId(database);
    const renewed = await agent.post("/account/security/recovery-codes").type("form").send({ _csrf: agent.csrf }).expect(201);
    expect(renewed.text).not.toContain(codes[0]!);
    await agent.post("/account/security/totp/remove").type("form").send({ _csrf: agent.csrf }).expect(303);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["auth.factor.recovery_codes_renewed", "auth.factor.removed"]);
    expect(await database.prisma.notification.count({ where: { userId: user.id, kind: "account.security" } })).toBe(3);
    // Without a factor, recovery codes cannot be renewed.
    const refused = await agent.post("/account/security/recovery-codes").type("form").send({ _csrf: agent.csrf });
    expect(refused.status).toBe(409);
    expect(text(refused.text)).toContain("Set up an authenticator app or a passkey first");
  });
});

describe("passkey sign-in attempts", () => {
  it("are throttled per address like passwords: 429 with Retry-After and a sentence, and nobody is signed in", async () => {
    const clear = () => database.prisma.$executeRaw`DELETE FROM throttle WHERE key LIKE 'passkey-address:%'`;
    await clear();
    const stranger = request.agent(app);
    const csrf = csrfFrom((await stranger.get("/login").expect(200)).text);
    const attempt = () => stranger.post("/login/passkey").set("X-CSRF-Token", csrf).send({ response: { id: "x" } });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual(Array(20).fill(401));
    const blocked = await attempt();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(blocked.body.error).toMatch(/^Too many refused passkey attempts from this address\. Try again in \d+ (seconds|minutes?)\.$/);
    expect((await stranger.get("/editor")).status).toBe(303);
    await clear();
  });
});
