// Passkeys in a real Chromium with a virtual authenticator (CDP WebAuthn domain): add one,
// sign in with it alone and as the second step, and sign a revision with it. The signature
// re-verifies against the stored public key, and not for any other revision or meaning.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type Agent, auditEventsSince, csrfFrom, currentRevision, demo, lastAuditId, openSite, signedIn, type TestApp, type TestDatabase, tokenFor, workflowActions } from "./support/index.js";
import { type BrowserLog, clickAndWait, describeInBrowser, launchChromium, newPerson, requiredChromium, seriousAxeViolations, signIn } from "./support/browser.js";
import { verifyPasskeySignature } from "../src/services/people/index.js";
import { formatEvent } from "../src/services/editorial/index.js";

const MEANING = "Approved: medical accuracy";

/** A free loopback port, so PUBLIC_URL (the passkeys' origin) can name it before the app starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function addVirtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
}

describeInBrowser("passkeys in a real browser", () => {
  let database: TestDatabase;
  let server: Server;
  let baseUrl: string;
  let browser: Browser;
  let app: TestApp;
  const log: BrowserLog = { messages: [] };
  const agents: Record<string, Agent | undefined> = {};
  const flow = workflowActions(() => database);

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    ({ database, app } = await openSite({ env: { PUBLIC_URL: baseUrl } }));
    // All interfaces: Chromium may reach "localhost" over ::1 or 127.0.0.1.
    server = await new Promise<Server>((resolve) => { const s = app.listen(port, () => resolve(s)); });
    browser = await launchChromium(requiredChromium());
    for (const who of ["alice", "priya", "minh"] as const) agents[who] = await signedIn(app, who);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => { server?.close(() => resolve()); server?.closeAllConnections(); });
    await database?.close();
  });

  it("adds a passkey, signs in with it alone and after the password, and signs a revision bound to its content", async () => {
    await flow.editedAndUnderReview(agents);
    const { context, page } = await newPerson(browser, baseUrl, "minh", log);
    await addVirtualAuthenticator(page);
    await signIn(page, demo.minh);

    // Add a passkey.
    await page.goto("/account/security");
    await page.getByLabel("Name of the new passkey").fill("Test laptop");
    await Promise.all([page.waitForURL(/\/account\/security$/), page.getByRole("button", { name: "Add a passkey" }).click()]);
    await page.waitForSelector("[data-testid=recovery-codes]");
    expect(await page.locator(".notice").innerText()).toContain("The passkey “Test laptop” is added.");
    expect(await page.locator("main").innerText()).toContain("Test laptop");
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Sign out; sign in with the passkey alone (the button on /login).
    await clickAndWait(page, page.getByRole("button", { name: /Sign out/ }));
    let since = await lastAuditId(database);
    await page.goto("/login");
    await Promise.all([page.waitForURL(/\/editor$/), page.getByRole("button", { name: "Use a passkey" }).click()]);
    let events = await auditEventsSince(database, since);
    expect(events.map((e) => [e.action, (e.payload as { method?: string }).method, e.actorEmail])).toEqual([["auth.login.succeeded", "passkey", demo.minh]]);

    // Sign out; the password now leads to the second step, where the passkey completes it.
    await clickAndWait(page, page.getByRole("button", { name: /Sign out/ }));
    await page.goto("/login");
    await page.getByLabel("Email").fill(demo.minh);
    await page.getByLabel("Password").fill("demo-password-2025");
    await clickAndWait(page, page.getByRole("button", { name: "Sign in", exact: true }));
    expect(page.url()).toMatch(/\/login\/second-factor$/);
    since = await lastAuditId(database);
    await Promise.all([page.waitForURL(/\/editor$/), page.getByRole("button", { name: "Use my passkey" }).click()]);
    events = await auditEventsSince(database, since);
    expect(events.map((e) => (e.payload as { method?: string }).method)).toEqual(["password+passkey"]);

    // Sign the revision under review with the passkey, without typing the password.
    const { article, revision } = await currentRevision(database);
    await page.goto(`/editor/articles/${article.id}`);
    const form = page.locator("form[data-transition='approve']");
    await form.getByLabel("Meaning of your signature").selectOption(MEANING);
    await clickAndWait(page, form.getByRole("button", { name: "Approve and sign with my passkey" }));
    expect(page.url(), await page.locator("main").innerText()).toMatch(new RegExp(`/editor/articles/${article.id}$`));
    const approval = await database.prisma.approval.findFirstOrThrow({ where: { revisionId: revision.id } });
    expect(approval).toMatchObject({ signatureMethod: "passkey", meaning: MEANING, contentHash: revision.contentHash });
    expect(await verifyPasskeySignature(approval)).toBe(true);
    // Bound to exactly what was reviewed: not another revision, content or meaning.
    const older = await database.prisma.revision.findFirstOrThrow({ where: { articleId: article.id, number: 1 } });
    expect(await verifyPasskeySignature({ ...approval, revisionId: older.id, contentHash: older.contentHash })).toBe(false);
    expect(await verifyPasskeySignature({ ...approval, contentHash: older.contentHash })).toBe(false);
    expect(await verifyPasskeySignature({ ...approval, meaning: "Approved: references verified" })).toBe(false);
    expect(await verifyPasskeySignature({ ...approval, passkeyAssertion: { ...(approval.passkeyAssertion as object), origin: "https://evil.example" } })).toBe(false);
    const signed = await database.prisma.auditEvent.findFirstOrThrow({ where: { action: { in: ["workflow.approved", "workflow.signed"] } }, orderBy: { id: "desc" } });
    expect(formatEvent(signed.action, signed.payload, true, { actor: "Dr. Minh Nguyen", comment: null } as never).sentence).toContain("signed with a passkey");
    expect(await page.locator("main").innerText()).toContain("signed with a passkey");

    // Replaying the stored assertion: as a sign-in (wrong challenge) it is refused, and nothing is signed in.
    const evidence = approval.passkeyAssertion as { response: unknown };
    const stranger = request.agent(app);
    const login = await stranger.get("/login").expect(200);
    const csrf = csrfFrom(login.text);
    await stranger.post("/login/passkey/options").set("X-CSRF-Token", csrf).send({}).expect(200);
    const replay = await stranger.post("/login/passkey").set("X-CSRF-Token", csrf).send({ response: evidence.response });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatch(/^You are not signed in\. The passkey's answer was refused/);
    expect((await stranger.get("/editor")).status).toBe(303);
    // Without asking for options first (no challenge), likewise.
    const noChallenge = await stranger.post("/login/passkey").set("X-CSRF-Token", csrf).send({ response: evidence.response });
    expect(noChallenge.status).toBe(401);
    expect(noChallenge.body.error).toBe("The passkey request has expired. Try again.");
    // Garbage is a 400 with a sentence, not a 500.
    await stranger.post("/login/passkey/options").set("X-CSRF-Token", csrf).send({}).expect(200);
    const garbage = await stranger.post("/login/passkey").set("X-CSRF-Token", csrf).send({ response: { id: "x", nope: 1 } });
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toBe("The passkey's answer could not be read. Try again.");

    expect(log.messages).toEqual([]);
    await context.close();
  }, 240_000);

  it("a signing assertion for one revision cannot sign another, and the API still needs the password", async () => {
    const approval = await database.prisma.approval.findFirstOrThrow({ where: { signatureMethod: "passkey" } });
    const minh = agents.minh!;
    const { article } = await currentRevision(database);
    const older = await database.prisma.revision.findFirstOrThrow({ where: { articleId: article.id, number: 1 } });
    // Options for r1, then the stored assertion (made for r2) posted as the approval: refused, recorded, nothing signed.
    const before = await database.prisma.approval.count();
    const opts = await minh.post(`/editor/articles/${article.id}/signature-options`).set("X-CSRF-Token", minh.csrf).send({ revisionId: older.id, meaning: MEANING });
    expect(opts.status).toBe(200);
    const res = await minh.post(`/editor/articles/${article.id}/transitions/approve`).type("form").send({
      _csrf: minh.csrf, revisionId: older.id, expectedState: older.state, meaning: MEANING, passkeyResponse: JSON.stringify((approval.passkeyAssertion as { response: unknown }).response),
    });
    expect([403, 404, 409]).toContain(res.status);
    expect(await database.prisma.approval.count()).toBe(before);
    // Signing options with a meaning that is not one of the signature meanings: 400 with the reason.
    const bad = await minh.post(`/editor/articles/${article.id}/signature-options`).set("X-CSRF-Token", minh.csrf).send({ revisionId: older.id, meaning: "Whatever" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("Choose the meaning of your signature.");

    // A token never stands in for a signature: through the API, Minh (who has a passkey) still needs the password.
    const { token } = await tokenFor(database, demo.minh);
    const viaApi = await request(app).post(`/api/v1/editorial/articles/${article.id}/transitions/approve`).set("Authorization", `Bearer ${token}`)
      .send({ revisionId: older.id, expectedState: older.state, meaning: MEANING, passkeyResponse: JSON.stringify((approval.passkeyAssertion as { response: unknown }).response) });
    expect(viaApi.status).toBe(403);
    expect(JSON.stringify(viaApi.body)).toContain("The password is not correct, so the revision was not signed.");
    expect(await database.prisma.approval.count()).toBe(before);
  }, 120_000);
});
