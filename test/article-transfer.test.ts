import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { articleAt, auditEventsSince, bearer, contextOf, createSeededDatabase, createTestApp, currentRevision, demo, lastAuditId, publishSeeded, reseedContent, resetContent, SEEDED_SLUG, serverUrl, type TestDatabase, tokenFor, userByEmail } from "./support/index.js";
import { exportArticle, exportDocumentSchema, importArticle } from "../src/services/editorial/index.js";
import { contentHash } from "../src/content/revision-content.js";
import { importResultSchema, problemSchema } from "../src/api/schemas.js";

let source: TestDatabase;
let target: TestDatabase;

beforeAll(async () => {
  // One after the other: two embedded databases starting at once in one process can time out.
  source = await createSeededDatabase();
  target = await createSeededDatabase();
  await publishSeeded(source);
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
});

describe("article export and import", () => {
  it("round-trips: export, import into a fresh database, identical content hash, no approvals carried over", async () => {
    await resetContent(target);
    const exported = await exportArticle(source.prisma, { slug: SEEDED_SLUG });
    expect(exported.history.map((h) => h.state)).toEqual(["DRAFT", "APPROVED"]);
    expect(exported.history[1]!.approvals).toEqual([expect.objectContaining({ signerName: "Dr. Priya Patel" })]);
    // Through a file, as a person would move it.
    const file = JSON.parse(JSON.stringify(exported));

    // The file carries the article's settings (visible while pending): only an admin's import may set them.
    const sam = await userByEmail(target, demo.sam);
    const since = await lastAuditId(target);
    const result = await importArticle(target.prisma, contextOf(sam), sam, exportDocumentSchema.parse(file));
    expect(result).toMatchObject({ slug: SEEDED_SLUG, revisionNumber: 1, newArticle: true, contentHash: exported.contentHash });

    const { revision, content } = await currentRevision(target);
    expect(contentHash(content)).toBe(exported.contentHash);
    expect(revision.contentHash).toBe(exported.contentHash);
    expect(revision.state).toBe("DRAFT");
    expect(revision.authorId).toBe(sam.id);
    expect(await target.prisma.approval.count()).toBe(0);
    const events = await auditEventsSince(target, since);
    expect(events.map((e) => [e.action, e.actorEmail])).toEqual([["article.created", demo.sam], ["article.revision.created", demo.sam]]);
    expect((await target.prisma.article.findUniqueOrThrow({ where: { slug: SEEDED_SLUG } })).visibleWhilePending).toBe(exported.article.visibleWhilePending);
    expect((await exportArticle(target.prisma, { slug: SEEDED_SLUG })).contentHash).toBe(exported.contentHash);
  });

  it("imports onto an existing article as a new draft revision, and refuses while it is in review", async () => {
    await reseedContent(target);
    const editor = await userByEmail(target, demo.alice);
    const doc = exportDocumentSchema.parse(await exportArticle(source.prisma, { slug: SEEDED_SLUG }));
    // The seeded article is Submitted: its content is locked, as in the editor.
    await expect(importArticle(target.prisma, contextOf(editor), editor, doc)).rejects.toMatchObject({ code: "CONFLICT" });
    await articleAt(target, "DRAFT");
    const result = await importArticle(target.prisma, contextOf(editor), editor, doc);
    expect(result).toMatchObject({ newArticle: false, revisionNumber: 2 });
    expect((await currentRevision(target)).revision.state).toBe("DRAFT");
  });

  it("validates everything and changes nothing when the file is wrong", async () => {
    await resetContent(target);
    const { token } = await tokenFor(target, demo.alice);
    const app = createTestApp(target).app;
    const good = await exportArticle(source.prisma, { slug: SEEDED_SLUG });
    const since = await lastAuditId(target);
    const cases: [string, unknown, string][] = [
      ["tampered content", { ...good, content: { ...good.content, summary: "Changed after export." } }, "contentHash"],
      ["unknown format", { ...good, format: "something-else" }, "format"],
      ["future version", { ...good, formatVersion: 2 }, "formatVersion"],
      ["audience versions", { ...good, variants: [{ audience: "patients" }] }, "variants"],
      ["bad reference", { ...good, content: { ...good.content, references: [{ key: "x", type: "BLOG" }] } }, "content.references.0.type"],
      ["bad slug", { ...good, article: { slug: "Not A Slug" } }, "article.slug"],
      ["not an object", [1, 2, 3], "form"],
    ];
    for (const [label, body, field] of cases) {
      const res = await bearer(app, token).post("/api/v1/editorial/imports", body as object);
      expect(res.status, label).toBe(400);
      expect(problemSchema.parse(res.body).errors?.map((e) => e.field), label).toContain(field);
    }
    expect(await target.prisma.article.count()).toBe(0);
    expect(await auditEventsSince(target, since)).toHaveLength(0);
  });

  it("round-trips through the API between two systems", async () => {
    await resetContent(target);
    const from = createTestApp(source).app;
    const to = createTestApp(target).app;
    const { article } = await currentRevision(source);
    const exported = (await bearer(from, (await tokenFor(source, demo.priya, ["read"])).token).get(`/api/v1/editorial/articles/${article.id}/export`).expect(200)).body;
    // A reviewer may read and export, but importing is editorial work.
    await bearer(to, (await tokenFor(target, demo.priya)).token).post("/api/v1/editorial/imports", exported).expect(403);
    // The export carries the settings an admin chose (visible while pending): an editor may not set them.
    await bearer(to, (await tokenFor(target, demo.ben)).token).post("/api/v1/editorial/imports", exported).expect(403);
    const { token, id } = await tokenFor(target, demo.sam);
    const imported = importResultSchema.parse((await bearer(to, token).post("/api/v1/editorial/imports", exported).expect(201)).body);
    expect(imported.contentHash).toBe(exported.contentHash);
    const created = await target.prisma.auditEvent.findFirstOrThrow({ where: { action: "article.created", articleId: imported.articleId } });
    expect([created.actorEmail, created.apiTokenId]).toEqual([demo.sam, id]);
  });

  it.skipIf(!serverUrl)("round-trips through the command line (npm run article:export / article:import)", async () => {
    await resetContent(target);
    const dir = await mkdtemp(path.join(tmpdir(), "article-transfer-"));
    const run = promisify(execFile);
    const tsx = path.resolve("node_modules/.bin/tsx");
    try {
      const file = path.join(dir, "article.json");
      await run(tsx, ["src/cli/article-export.ts", "--slug", SEEDED_SLUG, "--out", file], { env: { ...process.env, DATABASE_URL: source.url! } });
      const exported = JSON.parse(await readFile(file, "utf8"));
      expect(exported.contentHash).toBe((await currentRevision(source)).revision.contentHash);

      const refused = await run(tsx, ["src/cli/article-import.ts", file, "--as", "nobody@demo.test"], { env: { ...process.env, DATABASE_URL: target.url! } }).catch((e) => e);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("no active account");
      const bad = path.join(dir, "bad.json");
      await writeFile(bad, "{ not json");
      const unreadable = await run(tsx, ["src/cli/article-import.ts", bad, "--as", demo.alice], { env: { ...process.env, DATABASE_URL: target.url! } }).catch((e) => e);
      expect(unreadable.stderr).toContain("could not be read as JSON");

      // The file carries admin-chosen settings: an admin imports it.
      const { stdout } = await run(tsx, ["src/cli/article-import.ts", file, "--as", demo.sam], { env: { ...process.env, DATABASE_URL: target.url! } });
      expect(stdout).toContain(exported.contentHash);
      expect((await currentRevision(target)).revision.contentHash).toBe(exported.contentHash);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
