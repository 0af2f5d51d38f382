// Defects found when the product was attacked: admin-only settings through the API and
// import, variant audiences validated in one place, names like "constructor" in lookups,
// audiences renamed and archived, and access ended when an account is deactivated or its
// password is set by an admin.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agents, auditEventsSince, bearer, contextOf, currentRevision, demo, lastAuditId, openSite, pending, SEEDED_SLUG, serverUrl, signedInAgent, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, tokenFor, userByEmail, visibleText, workflowActions } from "./support/index.js";
import { problemSchema, importResultSchema } from "../src/api/schemas.js";
import { exportArticle, exportDocumentSchema, importArticle, formatEvent } from "../src/services/editorial/index.js";
import { fieldErrorsOf } from "../src/web/validate.js";
import { formFromContent } from "../src/web/article-form.js";
import { createJobHandlers } from "../src/job-handlers.js";
import { runDueJobs } from "../src/jobs/queue.js";
import type { OutgoingMail } from "../src/jobs/mailer.js";
import type { z } from "zod";
import { revisionContentSchema } from "../src/content/revision-content.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};
const { take, save, requestChanges, patientVersionPublished } = workflowActions(() => database);
const SECTION = "skeletal-muscle-relaxants";

beforeAll(async () => ({ database, app } = await openSite({ publicPagesReady: true })));
afterAll(() => database?.close());

async function freshContentAndSessions() {
  await database.pool.query("UPDATE audience SET archived_at = NULL");
  await startAfresh(database, app, agents);
}

function content(title = "Is this imported through the API?") {
  return {
    title, summaryHeading: "Summary", summary: "A summary [@a].", lastUpdated: "2026-01-02",
    disclaimerHeading: "Disclaimer", disclaimer: "For professionals.",
    sections: [{ key: "one", depth: 1, heading: "One", body: "Body text [@a]." }],
    references: [{ key: "a", type: "RESEARCH", title: "A study", source: "A journal", year: 2020 }],
  };
}

function importDoc(slug: string, article: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { format: "clinical-answers.article", formatVersion: 1, article: { slug, ...article }, content: { ...content(), ...extra } };
}

async function articleCount() {
  return database.prisma.article.count();
}

describe("admin-only article settings through the API and import", () => {
  beforeEach(freshContentAndSessions);

  it("an editor's import asking to show unreviewed text is refused with 403 naming the field; nothing is created and the public sees nothing", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const before = await articleCount();
    const res = await bearer(app, token).post("/api/v1/editorial/imports", importDoc("pending-leak", { visibleWhilePending: true })).expect(403);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = problemSchema.parse(res.body);
    expect(problem.errors?.map((e) => e.field)).toEqual(["article.visibleWhilePending"]);
    expect(problem.detail).toContain("Only administrators may choose article.visibleWhilePending");
    expect(await articleCount()).toBe(before);
    await request(app).get("/articles/pending-leak").expect(404);
  });

  it("an editor may not choose the number of signatures either, on import or on create; the defaults are accepted", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const me = bearer(app, token);
    const refused = await me.post("/api/v1/editorial/imports", importDoc("fewer-checks", { approvalsRequired: 3, visibleWhilePending: false })).expect(403);
    expect(problemSchema.parse(refused.body).errors?.map((e) => e.field)).toEqual(["article.approvalsRequired"]);
    for (const field of [{ visibleWhilePending: true }, { approvalsRequired: 2 }, { nextReviewDue: "2030-01-01" }]) {
      const res = await me.post("/api/v1/editorial/articles", { slug: "created-by-editor", ...field, content: content() }).expect(403);
      expect(problemSchema.parse(res.body).errors?.map((e) => e.field)).toEqual(Object.keys(field));
    }
    expect(await database.prisma.article.findUnique({ where: { slug: "created-by-editor" } })).toBeNull();
    // A file carrying the values every article starts with asks for nothing: accepted.
    const ok = importResultSchema.parse((await me.post("/api/v1/editorial/imports", importDoc("defaults-are-fine", { visibleWhilePending: false, approvalsRequired: 1 })).expect(201)).body);
    expect(ok.warnings).toEqual([]);
    const created = await database.prisma.article.findUniqueOrThrow({ where: { slug: "defaults-are-fine" } });
    expect([created.visibleWhilePending, created.approvalsRequired]).toEqual([false, 1]);
  });

  it("admins keep the ability, on import and on create, and the audit event records the settings", async () => {
    const { token } = await tokenFor(database, demo.sam);
    const since = await lastAuditId(database);
    await bearer(app, token).post("/api/v1/editorial/imports", importDoc("admin-import", { visibleWhilePending: true, approvalsRequired: 2 })).expect(201);
    await bearer(app, token).post("/api/v1/editorial/articles", { slug: "admin-create", visibleWhilePending: true, approvalsRequired: 3, nextReviewDue: "2030-06-01", content: content("Is this created by an admin?") }).expect(201);
    const imported = await database.prisma.article.findUniqueOrThrow({ where: { slug: "admin-import" } });
    const created = await database.prisma.article.findUniqueOrThrow({ where: { slug: "admin-create" } });
    expect([imported.visibleWhilePending, imported.approvalsRequired]).toEqual([true, 2]);
    expect([created.visibleWhilePending, created.approvalsRequired, created.nextReviewDue?.toISOString().slice(0, 10)]).toEqual([true, 3, "2030-06-01"]);
    const events = (await auditEventsSince(database, since)).filter((e) => e.action === "article.created");
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ slug: "admin-import", visibleWhilePending: true, approvalsRequired: 2 }),
      expect.objectContaining({ slug: "admin-create", visibleWhilePending: true, approvalsRequired: 3, nextReviewDue: "2030-06-01" }),
    ]);
  });

  it("the import command's service refuses an editor the same way (the CLI calls it with the --as person)", async () => {
    const alice = await userByEmail(database, demo.alice);
    const doc = exportDocumentSchema.parse(importDoc("cli-leak", { visibleWhilePending: true }));
    await expect(importArticle(database.prisma, contextOf(alice), alice, doc)).rejects.toMatchObject({
      code: "FORBIDDEN", details: { fieldErrors: { "article.visibleWhilePending": "only administrators may choose this setting" } },
    });
    expect(await database.prisma.article.findUnique({ where: { slug: "cli-leak" } })).toBeNull();
  });

  it.skipIf(!serverUrl)("the import command refuses an editor's file asking for admin-only settings, and says which field", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "import-settings-"));
    try {
      const file = path.join(dir, "article.json");
      await writeFile(file, JSON.stringify(importDoc("cli-command-leak", { visibleWhilePending: true })));
      const run = promisify(execFile);
      const refused = await run(path.resolve("node_modules/.bin/tsx"), ["src/cli/article-import.ts", file, "--as", demo.alice], { env: { ...process.env, DATABASE_URL: database.url! } }).catch((e) => e);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("Only administrators may choose article.visibleWhilePending");
      expect(await database.prisma.article.findUnique({ where: { slug: "cli-command-leak" } })).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("what an import ignores is said in warnings: unknown article fields, and settings of an article that already exists", async () => {
    await take(agents.alice!, "withdraw").expect(303);
    const { token } = await tokenFor(database, demo.sam);
    const file = await exportArticle(database.prisma, { slug: SEEDED_SLUG });
    const res = await bearer(app, token).post("/api/v1/editorial/imports", {
      ...file, article: { ...file.article, visibleWhilePending: !file.article.visibleWhilePending, nextReviewDue: "2031-01-01" },
      content: { ...file.content, summary: `${file.content.summary} Imported.` }, contentHash: undefined,
    }).expect(201);
    const result = importResultSchema.parse(res.body);
    expect(result.newArticle).toBe(false);
    expect(result.warnings).toEqual([
      "article.nextReviewDue is not part of the export format and was ignored.",
      expect.stringMatching(/^article\.visibleWhilePending was not applied: the article already exists and keeps its settings/),
    ]);
    expect((await database.prisma.article.findUniqueOrThrow({ where: { slug: SEEDED_SLUG } })).visibleWhilePending).toBe(file.article.visibleWhilePending);
  });
});

describe("variant audiences: one rule for save, create and import", () => {
  beforeEach(freshContentAndSessions);

  const withVariant = (audience: string) => ({ variants: [{ audience, sectionKey: "one", body: "Plain words [@a]." }] });

  it("an unknown audience is a 400 naming the field on create and import, not a 500", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const me = bearer(app, token);
    const before = { articles: await articleCount(), audit: await lastAuditId(database) };
    for (const [path, body] of [
      ["/api/v1/editorial/articles", { slug: "unknown-audience", content: { ...content(), ...withVariant("no-such-audience") } }],
      ["/api/v1/editorial/imports", importDoc("unknown-audience", {}, withVariant("no-such-audience"))],
    ] as const) {
      const res = await me.post(path, body).expect(400);
      const problem = problemSchema.parse(res.body);
      expect(problem.errors).toEqual([{ field: "content.variants.0.audience", message: 'There is no audience "no-such-audience" to write a version for' }]);
    }
    expect({ articles: await articleCount(), audit: await lastAuditId(database) }).toEqual(before);
  });

  it("the default audience is refused on create and import as it is on save", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const me = bearer(app, token);
    const created = await me.post("/api/v1/editorial/articles", { slug: "default-audience", content: { ...content(), ...withVariant("professionals") } }).expect(400);
    expect(problemSchema.parse(created.body).errors?.[0]?.field).toBe("content.variants.0.audience");
    expect(problemSchema.parse(created.body).detail).toContain('"professionals" is the default audience');
    await me.post("/api/v1/editorial/imports", importDoc("default-audience", {}, withVariant("professionals"))).expect(400);
    // Save through the API names the same field.
    const { article, revision, content: current } = await currentRevision(database);
    await requestChanges(agents, "Please add a version.");
    const base = (await currentRevision(database)).revision;
    const saved = await me.post(`/api/v1/editorial/articles/${article.id}/revisions`, {
      baseRevisionId: base.id, content: { ...current, variants: [{ audience: "professionals", sectionKey: null, body: "Twice." }] },
    }).expect(400);
    expect(problemSchema.parse(saved.body).errors?.[0]?.field).toBe("content.variants.0.audience");
    expect(revision.id).toBeTruthy();
    expect(await database.prisma.article.findUnique({ where: { slug: "default-audience" } })).toBeNull();
  });

  it("the editor page gives the same rule for a forged field", async () => {
    await requestChanges(agents, "Please add a version.");
    const res = await save(agents.alice!, (c) => {
      c.variants = [{ audience: "professionals", sectionKey: null, body: "Twice." }];
    }).expect(400);
    expect(visibleText(res.text)).toContain('"professionals" is the default audience, which reads the article as written');
  });
});

describe("names that are also JavaScript's", () => {
  beforeEach(freshContentAndSessions);

  it("an admin cannot create an audience whose address name is reserved", async () => {
    const before = await database.prisma.audience.count();
    for (const slug of ["constructor", "prototype", "tostring", "for", "reader-choice"]) {
      const res = await pending(agents.sam!.post("/admin/audiences").type("form").send({
        _csrf: agents.sam!.csrf, slug, name: "Name", description: "Description", schemaAudienceType: "Patient", maxGrade: "",
      })).expect(400);
      expect(visibleText(res.text)).toContain("is a reserved word: choose another address name");
      expect(res.text).toContain(`value="${slug}"`);
    }
    expect(await database.prisma.audience.count()).toBe(before);
  });

  it("an audience named constructor (from before the rule) and a reference keyed constructor do not break the edit page", async () => {
    await database.pool.query(
      `INSERT INTO audience (id, slug, name, description, schema_audience_type, position) VALUES (gen_random_uuid(), 'constructor', 'Builders', 'People who build.', 'Patient', 9)`,
    );
    try {
      await requestChanges(agents, "Please edit.");
      await save(agents.alice!, (c) => {
        supplyMissingSources(c);
        c.references.push({ key: "constructor", type: "OTHER", title: "Built", authors: null, source: "Builders' Journal", year: 2020, doi: null, pmid: null, url: null, detailsMissing: false, note: null });
      }).expect(303);
      const { article } = await currentRevision(database);
      const page = await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200);
      expect(page.text).toContain('name="summaryVariants[constructor]"');
      expect(page.text).not.toContain("[native code]");
      expect(visibleText(page.text)).toContain("Reference not cited in the text: Built");
      await agents.alice!.get(`/editor/articles/${article.id}`).expect(200);
      // A version written for it is saved and shown back.
      await save(agents.alice!, (c) => {
        c.variants = [{ audience: "constructor", sectionKey: null, body: "Built for builders." }];
      }).expect(303);
      expect((await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200)).text).toContain("Built for builders.");
    } finally {
      await database.pool.query("UPDATE article SET current_revision_id = NULL, published_revision_id = NULL; TRUNCATE content_variant, comment CASCADE");
      await database.pool.query("DELETE FROM audience WHERE slug = 'constructor'");
    }
  });

  it("lookups by typed names find only their own entries", () => {
    const errors = fieldErrorsOf({ issues: [{ path: ["constructor"], message: "first" }, { path: ["__proto__"], message: "second" }] } as unknown as z.ZodError);
    expect(Object.entries(errors)).toEqual([["constructor", "first"], ["__proto__", "second"]]);
    const form = formFromContent(revisionContentSchema.parse(content()), "x");
    expect(form.summaryVariants.constructor).toBeUndefined();
    expect(form.summaryVariants.toString).toBeUndefined();
  });
});

describe("renaming and archiving audiences", () => {
  beforeEach(freshContentAndSessions);

  const patients = () => database.prisma.audience.findUniqueOrThrow({ where: { slug: "patients" } });

  const publishPatientVersion = () => patientVersionPublished(agents, SECTION, "These medicines relax tight muscles [@tizanidine-update-2008].");

  it("renaming changes the display name everywhere and never the address name; the page says so", async () => {
    await publishPatientVersion();
    const ARTICLE = `/articles/${SEEDED_SLUG}`;
    expect((await request(app).get(ARTICLE).expect(200)).text).toContain("Patient or caregiver");
    const page = await agents.sam!.get("/admin/audiences").expect(200);
    expect(visibleText(page.text)).toContain("so it never changes: rename an audience by changing its name");
    const id = (await patients()).id;
    await pending(agents.sam!.post(`/admin/audiences/${id}`).type("form").send({
      _csrf: agents.sam!.csrf, slug: "renamed", name: "Patient or family", description: "Plain language.", schemaAudienceType: "Patient", maxGrade: "8",
    })).expect(303);
    expect((await patients()).name).toBe("Patient or family");
    const after = visibleText((await request(app).get(ARTICLE).expect(200)).text);
    expect(after).toContain("Patient or family");
    expect(after).not.toContain("Patient or caregiver");
    await database.pool.query("UPDATE audience SET name = 'Patient or caregiver', description = 'Plain language for people living with the condition and those who care for them.' WHERE slug = 'patients'");
  });

  it("archiving hides it from readers and editors, keeps history, sends its address to the article as written, and is audited", async () => {
    await publishPatientVersion();
    const ARTICLE = `/articles/${SEEDED_SLUG}`;
    // Warm the cache: the selector offers the patient version.
    expect((await request(app).get(ARTICLE).expect(200)).text).toContain('value="patients"');
    expect((await request(app).get(`${ARTICLE}?for=patients`).expect(200)).text).toContain("These medicines relax tight muscles");
    const { id } = await patients();
    const since = await lastAuditId(database);
    await pending(agents.sam!.post(`/admin/audiences/${id}/archive`).type("form").send({ _csrf: agents.sam!.csrf })).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["audience.archived"]);
    expect(events[0]!.payload).toEqual({ slug: "patients", name: "Patient or caregiver", revisionsWithVersions: 1 });
    expect(formatEvent("audience.archived", events[0]!.payload, true, { actor: "Sam Rivera" } as never).sentence)
      .toBe("Sam Rivera archived the audience “Patient or caregiver” (?for=patients): readers and editors no longer see it; 1 revision(s) keep its versions in their history.");
    // The cached page was replaced: the selector no longer offers it.
    expect((await request(app).get(ARTICLE).expect(200)).text).not.toContain('value="patients"');
    // Its address (a bookmark, a remembered choice) leads to the article as written, and the choice is forgotten.
    const old = await request(app).get(`${ARTICLE}?for=patients`).set("Cookie", "reader_audience=patients").expect(302);
    expect(old.headers.location).toBe(ARTICLE);
    expect(old.headers["set-cookie"]![0]).toMatch(/^reader_audience=;/);
    expect((await request(app).get("/sitemap.xml").expect(200)).text).not.toContain("?for=patients");
    await request(app).get(`/reader-choice?article=${SEEDED_SLUG}&for=patients`).expect(400);
    // History keeps it: the published revision still renders as patients read it.
    const { article, revision } = await currentRevision(database);
    const history = visibleText((await agents.priya!.get(`/editor/articles/${article.id}/revisions/${revision.number}?for=patients`).expect(200)).text);
    expect(history).toContain("These medicines relax tight muscles");
    // No new versions for it: the editor has no box, the API refuses one naming the field.
    const edit = await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200);
    expect(edit.text).not.toContain('name="summaryVariants[patients]"');
    const { token } = await tokenFor(database, demo.alice);
    const refused = await bearer(app, token).post("/api/v1/editorial/articles", {
      slug: "for-archived", content: { ...content(), variants: [{ audience: "patients", sectionKey: "one", body: "Plain." }] },
    }).expect(400);
    expect(problemSchema.parse(refused.body).errors).toEqual([{ field: "content.variants.0.audience", message: 'The audience "patients" is archived and takes no new versions' }]);
    // Bringing it back is audited too and offers it again.
    await pending(agents.sam!.post(`/admin/audiences/${id}/unarchive`).type("form").send({ _csrf: agents.sam!.csrf })).expect(303);
    expect((await request(app).get(ARTICLE).expect(200)).text).toContain('value="patients"');
    // The default audience cannot be archived; an editor cannot archive.
    const byDefault = await database.prisma.audience.findFirstOrThrow({ where: { isDefault: true } });
    await pending(agents.sam!.post(`/admin/audiences/${byDefault.id}/archive`).type("form").send({ _csrf: agents.sam!.csrf })).expect(409);
    await pending(agents.alice!.post(`/admin/audiences/${id}/archive`).type("form").send({ _csrf: agents.alice!.csrf })).expect(403);
    expect((await auditEventsSince(database, since)).map((e) => e.action).filter((a) => a.startsWith("audience."))).toEqual(["audience.archived", "audience.unarchived"]);
  });
});

describe("access ends when an account is deactivated or an admin sets its password", () => {
  beforeEach(freshContentAndSessions);

  async function sentMail() {
    const sent: OutgoingMail[] = [];
    await runDueJobs(database.prisma, createJobHandlers({ mailer: { send: async (mail) => void sent.push(mail) } }));
    return sent;
  }

  it("deactivation revokes the person's tokens (audited in the same request), tells them by e-mail, and reactivation does not bring the tokens back", async () => {
    await sentMail();
    const { token, id: tokenId, user: ben } = await tokenFor(database, demo.ben, ["read"], "Ben's feed");
    const me = bearer(app, token);
    const { article } = await currentRevision(database);
    await me.get(`/api/v1/editorial/articles/${article.id}`).expect(200);
    const page = visibleText((await agents.sam!.get("/admin/users").expect(200)).text);
    expect(page).toContain("Deactivating Ben Okafor ends their 1 session(s) and revokes their 1 API token(s) at once.");
    expect(page).toContain("Reactivating the account later does not bring the tokens back.");

    const since = await lastAuditId(database);
    await pending(agents.sam!.post(`/admin/users/${ben.id}/deactivate`).type("form").send({ _csrf: agents.sam!.csrf })).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["user.deactivated", "auth.session.revoked", "api_token.revoked"]);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(1);
    expect(events[0]!.payload).toEqual({ sessionsEnded: 1, tokensRevoked: 1 });
    expect(events[2]!.payload).toEqual(expect.objectContaining({ tokenId, name: "Ben's feed", reason: "user deactivated" }));
    await me.get(`/api/v1/editorial/articles/${article.id}`).expect(401);

    const notice = await database.prisma.notification.findFirstOrThrow({ where: { userId: ben.id, kind: "account.changed" }, orderBy: { createdAt: "desc" } });
    expect(notice.message).toContain("deactivated your account");
    const mail = await sentMail();
    expect(mail.map((m) => m.to)).toEqual([demo.ben]);
    expect(mail[0]!.text).toContain("your API tokens revoked (1)");

    await pending(agents.sam!.post(`/admin/users/${ben.id}/reactivate`).type("form").send({ _csrf: agents.sam!.csrf })).expect(303);
    await me.get(`/api/v1/editorial/articles/${article.id}`).expect(401);
    await signedInAgent(app, demo.ben);
  });

  it("tokens left working by a deactivation from before this rule are revoked when the account is reactivated", async () => {
    const { token, user: ben } = await tokenFor(database, demo.ben, ["read"]);
    await database.pool.query("UPDATE app_user SET active = false WHERE id = $1", [ben.id]);
    const since = await lastAuditId(database);
    await pending(agents.sam!.post(`/admin/users/${ben.id}/reactivate`).type("form").send({ _csrf: agents.sam!.csrf })).expect(303);
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["user.reactivated", "api_token.revoked"]);
    const { article } = await currentRevision(database);
    await bearer(app, token).get(`/api/v1/editorial/articles/${article.id}`).expect(401);
  });

  it("a password set by an admin ends sessions and revokes tokens, audited, and tells the owner", async () => {
    await sentMail();
    const { token, user: ben } = await tokenFor(database, demo.ben, ["read", "write"]);
    const { article } = await currentRevision(database);
    const page = visibleText((await agents.sam!.get("/admin/users").expect(200)).text);
    expect(page).toContain("Setting a password ends Ben Okafor's 1 session(s) and revokes their 1 API token(s) for good");
    const since = await lastAuditId(database);
    await pending(agents.sam!.post(`/admin/users/${ben.id}/password`).type("form").send({ _csrf: agents.sam!.csrf, password: "a-brand-new-password" })).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["user.password.reset", "auth.session.revoked", "api_token.revoked"]);
    expect(events[0]!.payload).toEqual({ sessionsEnded: 1, tokensRevoked: 1 });
    await bearer(app, token).get(`/api/v1/editorial/articles/${article.id}`).expect(401);
    // Ben's session is over.
    const res = await agents.ben!.get("/editor");
    expect(res.status).not.toBe(200);
    expect(res.headers.location ?? "").toContain("/login");
    expect((await database.prisma.notification.findFirstOrThrow({ where: { userId: ben.id, kind: "account.changed" }, orderBy: { createdAt: "desc" } })).message).toContain("set a new password");
    expect((await sentMail()).map((m) => m.to)).toEqual([demo.ben]);
    await signedInAgent(app, demo.ben, "a-brand-new-password");
    await database.prisma.user.update({ where: { id: ben.id }, data: { passwordHash: (await userByEmail(database, demo.alice)).passwordHash } });
  });
});
