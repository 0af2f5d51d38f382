// Single sign-on (OpenID Connect) against a real OpenID provider (oidc-provider) on a
// loopback port, with the app served on real ports too: the app fetches discovery, keys
// and tokens from the provider over HTTP, as in production.
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import request from "supertest";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsSince, createSeededDatabase, createTestApp, csrfFrom, lastAuditId, testConfig, type TestDatabase } from "./support/index.js";
import { createUser, setUserActive, sealSecret } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { formatEvent } from "../src/services/editorial/index.js";
import { loadConfig } from "../src/config.js";

type Handler = http.RequestListener;
type Agent = ReturnType<typeof request.agent>;

/** A server on a loopback port whose handler is set later (addresses are needed before the apps exist). */
async function listen(): Promise<{ server: http.Server; base: string; handle: (h: Handler) => void }> {
  let handler: Handler = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handle: (h) => (handler = h) };
}

const CLIENT = { id: "editorial-cms", secret: "a-client-secret-for-tests-only" };

/** What the provider says about each person (by account id = e-mail). */
const people = new Map<string, { email: string; email_verified: boolean; name?: string }>();
/** Who the provider's (minimal) interaction signs in next, and with which methods. */
let nextLogin: { accountId: string; amr?: string[] } = { accountId: "" };

let database: TestDatabase;
let providerServer: Awaited<ReturnType<typeof listen>>;
const apps: Record<"plain" | "required" | "autoCreate", Awaited<ReturnType<typeof listen>>> = {} as never;
let sessionSecret = "";

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/&amp;/g, "&").replace(/&quot;/g, "\"").replace(/\s+/g, " ");

beforeAll(async () => {
  database = await createSeededDatabase();
  providerServer = await listen();
  for (const name of ["plain", "required", "autoCreate"] as const) apps[name] = await listen();
  const issuer = providerServer.base;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT.id, client_secret: CLIENT.secret,
      redirect_uris: Object.values(apps).map((a) => `${a.base}/login/oidc/callback`),
      grant_types: ["authorization_code"], response_types: ["code"],
    }],
    // amr in the openid scope so the ID token carries it (oidc-provider omits it otherwise).
    claims: { openid: ["sub", "amr"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["cookie-key-for-tests-only"] },
    async findAccount(_ctx, id) {
      const person = people.get(id);
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
    // No consent screen in the test: the client is trusted with the scopes it asks for.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  providerServer.handle((req, res) => {
    if (req.url?.startsWith("/interaction/")) {
      // The person "signs in" at the provider: the account and methods the test chose.
      void provider.interactionFinished(req, res, { login: { accountId: nextLogin.accountId, ...(nextLogin.amr ? { amr: nextLogin.amr } : {}) } }, { mergeWithLastSubmission: false });
      return;
    }
    void callback(req, res);
  });

  const oidc = { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: CLIENT.id, OIDC_CLIENT_SECRET: CLIENT.secret };
  const overrides = { plain: {}, required: { REQUIRE_SECOND_FACTOR: "editor" }, autoCreate: { OIDC_AUTO_CREATE_ROLE: "reviewer" } };
  for (const name of ["plain", "required", "autoCreate"] as const) {
    const all = { ...oidc, ...overrides[name], PUBLIC_URL: apps[name].base };
    sessionSecret = testConfig(all).sessionSecret;
    apps[name].handle(createTestApp(database, all).app);
  }
});

afterAll(async () => {
  for (const s of [providerServer, ...Object.values(apps)]) s?.server.closeAllConnections();
  await Promise.all([providerServer, ...Object.values(apps)].map((s) => s && new Promise((r) => s.server.close(r))));
  await database?.close();
});

let counter = 0;
async function newPerson(role: "EDITOR" | "REVIEWER" = "EDITOR", provider: { email_verified?: boolean; emailCase?: "upper" } = {}) {
  const email = `sso${++counter}@hospital.test`;
  const user = await createUser(database.prisma, systemContext(), { email, name: `Dr. Single ${counter}`, role, password: "a-long-password-for-tests", credentials: role === "REVIEWER" ? "MD" : undefined });
  people.set(email, { email: provider.emailCase === "upper" ? email.toUpperCase() : email, email_verified: provider.email_verified ?? true });
  return { user, email };
}

const path = (url: string) => { const u = new URL(url); return u.pathname + u.search; };

/**
 * From the app's sign-in page through the provider and back to the callback address the provider
 * sent. `tamper` changes the authorization request or the answer on the way (an attacker's edits).
 */
async function throughProvider(app: keyof typeof apps, accountId: string, amr?: string[], tamper: { request?: (u: URL) => void; answer?: (u: URL) => void } = {}) {
  const agent = request.agent(apps[app].server);
  const form = await agent.get("/login").expect(200);
  expect(text(form.text)).toContain("Sign in with single sign-on");
  const started = await agent.post("/login/oidc").type("form").send({ _csrf: csrfFrom(form.text), next: "/editor" });
  expect(started.status, text(started.text).slice(0, 300)).toBe(303);
  const authorization = new URL(started.headers.location!);
  expect(authorization.origin).toBe(providerServer.base);
  expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorization.searchParams.get("nonce")).toBeTruthy();
  tamper.request?.(authorization);

  nextLogin = { accountId, amr };
  const at = request.agent(providerServer.server);
  let location = authorization.href;
  for (let hop = 0; hop < 6 && new URL(location, providerServer.base).origin === providerServer.base; hop++) {
    const res = await at.get(path(new URL(location, providerServer.base).href));
    expect([302, 303], `${location}: ${res.status} ${text(res.text).slice(0, 300)}`).toContain(res.status);
    location = res.headers.location!;
  }
  const answer = new URL(location);
  expect(answer.origin + answer.pathname).toBe(`${apps[app].base}/login/oidc/callback`);
  tamper.answer?.(answer);
  return { agent, callback: await agent.get(path(answer.href)) };
}

const sentence = (e: { action: string; payload: unknown }, actor = "Dr. X") => formatEvent(e.action, e.payload, true, { actor } as never).sentence;
const eventsOf = async (since: bigint) => auditEventsSince(database, since);
async function lastLogId() {
  const last = await database.prisma.securityLog.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  return last?.id ?? 0n;
}
const logSince = (id: bigint) => database.prisma.securityLog.findMany({ where: { id: { gt: id } }, orderBy: { id: "asc" } });

describe("configuration", () => {
  it("needs the issuer, client id and secret together; only editor or reviewer can be auto-created", () => {
    expect(() => loadConfig({ NODE_ENV: "test", OIDC_ISSUER: "https://login.example.org" })).toThrow(/OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together/);
    expect(() => loadConfig({ NODE_ENV: "test", OIDC_AUTO_CREATE_ROLE: "editor" })).toThrow(/needs single sign-on configured/);
    expect(() => loadConfig({ NODE_ENV: "test", OIDC_ISSUER: "https://l.example.org", OIDC_CLIENT_ID: "a", OIDC_CLIENT_SECRET: "b", OIDC_AUTO_CREATE_ROLE: "admin" })).toThrow(/must be editor or reviewer/);
    const config = loadConfig({ NODE_ENV: "test", PUBLIC_URL: "https://answers.example.org", OIDC_ISSUER: "https://l.example.org", OIDC_CLIENT_ID: "a", OIDC_CLIENT_SECRET: "b" });
    expect(config.oidc).toMatchObject({ redirectUri: "https://answers.example.org/login/oidc/callback" });
    expect(config.oidc?.autoCreateRole).toBeUndefined();
  });

  it("shows no single sign-on button when it is not configured", async () => {
    const page = await request(createTestApp(database).app).get("/login").expect(200);
    expect(page.text).not.toContain("single sign-on");
    expect(page.text).toContain("Sign in"); // the page itself is there
  });
});

describe("signing in", () => {
  it("signs the existing account in by its verified e-mail (any case) and records the method", async () => {
    const { user, email } = await newPerson("EDITOR", { emailCase: "upper" });
    const since = await lastAuditId(database);
    const { agent, callback } = await throughProvider("plain", email);
    expect(callback.status, text(callback.text).slice(0, 300)).toBe(303);
    expect(callback.headers.location).toBe("/editor");
    const editor = await agent.get("/editor").expect(200);
    expect(text(editor.text)).toContain(user.name);
    const events = await eventsOf(since);
    expect(events.map((e) => e.action)).toEqual(["auth.login.succeeded"]);
    expect(events[0]).toMatchObject({ actorId: user.id, payload: { email, method: "sso" } });
    expect(sentence(events[0]!)).toContain("(single sign-on)");
  });

  it("counts the provider's second factor (amr) for REQUIRE_SECOND_FACTOR and the second step", async () => {
    const { email } = await newPerson("EDITOR");
    const since = await lastAuditId(database);
    const { agent, callback } = await throughProvider("required", email, ["pwd", "mfa"]);
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe("/editor");
    await agent.get("/editor").expect(200);
    const events = await eventsOf(since);
    expect(events[0]).toMatchObject({ action: "auth.login.succeeded", payload: { method: "sso+provider_mfa" } });
    expect(sentence(events[0]!)).toContain("identity provider's second factor");
  });

  it("without the provider's second factor, REQUIRE_SECOND_FACTOR still sends the person to set one up", async () => {
    const { email } = await newPerson("EDITOR");
    const { agent, callback } = await throughProvider("required", email, ["pwd"]);
    expect(callback.status).toBe(303);
    const editor = await agent.get("/editor");
    expect(editor.status).toBe(303);
    expect(editor.headers.location).toBe("/account/security");
  });

  it("asks a person with an authenticator app for its code when the provider reports no second factor", async () => {
    const { user, email } = await newPerson("EDITOR");
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    await database.prisma.totpFactor.create({ data: { userId: user.id, secretSealed: sealSecret(secret, sessionSecret), lastTimeStep: 0 } });
    const since = await lastAuditId(database);
    const { agent, callback } = await throughProvider("plain", email);
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe("/login/second-factor");
    expect((await agent.get("/editor")).status).toBe(303); // not signed in yet
    expect(await eventsOf(since)).toEqual([]);
    const step = await agent.get("/login/second-factor").expect(200);
    const done = await agent.post("/login/second-factor").type("form").send({ _csrf: csrfFrom(step.text), code: await generate({ secret }) });
    expect(done.status, text(done.text).slice(0, 300)).toBe(303);
    expect(done.headers.location).toBe("/editor");
    await agent.get("/editor").expect(200);
    const events = await eventsOf(since);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "auth.login.succeeded", payload: { method: "sso+totp" } });
  });

  it("skips the local second step when the provider reports a second factor", async () => {
    const { user, email } = await newPerson("EDITOR");
    await database.prisma.totpFactor.create({ data: { userId: user.id, secretSealed: sealSecret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", sessionSecret), lastTimeStep: 0 } });
    const { callback } = await throughProvider("plain", email, ["pwd", "otp"]);
    expect(callback.headers.location).toBe("/editor");
  });
});

describe("refusals", () => {
  async function expectRefused(run: () => Promise<{ agent: Agent; callback: request.Response }>, status: number, sentence: RegExp, reason: string) {
    const usersBefore = await database.prisma.user.count();
    const since = await lastAuditId(database);
    const logId = await lastLogId();
    const { agent, callback } = await run();
    expect(callback.status, text(callback.text).slice(0, 300)).toBe(status);
    expect(text(callback.text)).toMatch(sentence);
    expect((await agent.get("/editor")).status).toBe(303);
    expect(await database.prisma.user.count()).toBe(usersBefore);
    expect(await eventsOf(since)).toEqual([]);
    expect((await logSince(logId)).map((r) => [r.event, r.reason])).toEqual([["auth.sso.failed", reason]]);
  }

  it("refuses an e-mail the provider has not verified", async () => {
    const { email } = await newPerson("EDITOR", { email_verified: false });
    await expectRefused(() => throughProvider("plain", email), 403, /did not confirm your e-mail address/, "email_not_verified");
  });

  it("refuses an unknown e-mail and creates nothing", async () => {
    people.set("stranger@elsewhere.test", { email: "stranger@elsewhere.test", email_verified: true });
    await expectRefused(() => throughProvider("plain", "stranger@elsewhere.test"), 403, /No account here uses this e-mail address/, "unknown_email");
  });

  it("refuses a deactivated account", async () => {
    const { user, email } = await newPerson("EDITOR");
    await setUserActive(database.prisma, systemContext(), "nobody", user.id, false);
    await expectRefused(() => throughProvider("plain", email), 403, /deactivated/, "inactive");
  });

  it("refuses a wrong state with a 400 and a sentence", async () => {
    const { email } = await newPerson("EDITOR");
    await expectRefused(() => throughProvider("plain", email, undefined, { answer: (u) => u.searchParams.set("state", "forged-state") }), 400, /could not be accepted/, "invalid_response");
  });

  it("refuses an ID token with another nonce", async () => {
    const { email } = await newPerson("EDITOR");
    await expectRefused(() => throughProvider("plain", email, undefined, { request: (u) => u.searchParams.set("nonce", "another-nonce") }), 400, /could not be accepted/, "invalid_response");
  });

  it("refuses an answer naming another issuer", async () => {
    const { email } = await newPerson("EDITOR");
    await expectRefused(() => throughProvider("plain", email, undefined, { answer: (u) => u.searchParams.set("iss", "https://evil.example.org") }), 400, /could not be accepted/, "invalid_response");
  });

  it("says so when the provider answers with an error (the person cancelled)", async () => {
    const { email } = await newPerson("EDITOR");
    const cancelled = (u: URL) => { u.searchParams.delete("code"); u.searchParams.set("error", "access_denied"); };
    await expectRefused(() => throughProvider("plain", email, undefined, { answer: cancelled }), 400, /identity provider did not sign you in/, "provider_error");
  });

  it("refuses a callback with no sign-on started (or used twice)", async () => {
    const logId = await lastLogId();
    const res = await request(apps.plain.server).get("/login/oidc/callback?code=abc&state=xyz");
    expect(res.status).toBe(400);
    expect(text(res.text)).toMatch(/was not started here or took too long/);
    expect((await logSince(logId)).map((r) => r.reason)).toEqual(["expired"]);
  });
});

describe("accounts made by single sign-on", () => {
  it("creates an unknown person only when OIDC_AUTO_CREATE_ROLE is set, with that role, audited", async () => {
    people.set("newcomer@hospital.test", { email: "newcomer@hospital.test", email_verified: true, name: "Dr. New Comer" });
    const since = await lastAuditId(database);
    const { agent, callback } = await throughProvider("autoCreate", "newcomer@hospital.test");
    expect(callback.status, text(callback.text).slice(0, 300)).toBe(303);
    await agent.get("/editor").expect(200);
    const created = await database.prisma.user.findUniqueOrThrow({ where: { email: "newcomer@hospital.test" } });
    expect(created).toMatchObject({ role: "REVIEWER", name: "Dr. New Comer", active: true });
    const events = await eventsOf(since);
    expect(events.map((e) => e.action)).toEqual(["user.created_by_sso", "auth.login.succeeded"]);
    expect(sentence(events[0]!)).toContain("at their first single sign-on");
  });

  it("never creates an account for an unverified e-mail, even with OIDC_AUTO_CREATE_ROLE", async () => {
    people.set("unverified@hospital.test", { email: "unverified@hospital.test", email_verified: false });
    const { callback } = await throughProvider("autoCreate", "unverified@hospital.test");
    expect(callback.status).toBe(403);
    expect(await database.prisma.user.findUnique({ where: { email: "unverified@hospital.test" } })).toBeNull();
  });
});
