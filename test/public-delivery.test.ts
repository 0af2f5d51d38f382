// Public pages rendered once per change: HTTP caching, encodings, no session for
// anonymous readers, exact invalidation (in this process and across processes),
// structured data, static export and paging at size.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, type Agents, currentRevision, demo, NEW_DOSING, openSite, SEEDED_SLUG, serverUrl, signedInAgent, startAfresh, type TestApp, type TestDatabase, workflowActions } from "./support/index.js";
import { publicDeliveryOf } from "../src/app.js";
import { compressPage, PageCache, type RenderedPage } from "../src/public/page-cache.js";
import { StaticExport } from "../src/public/static-export.js";
import { INDEX_PAGE_SIZE } from "../src/public/public-site.js";
import { seedSyntheticArticles } from "../scripts/seed-bulk-articles.js";
import { createUser } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};
const { take, approve, editedAndUnderReview } = workflowActions(() => database);
const ARTICLE = `/articles/${SEEDED_SLUG}`;

beforeAll(async () => ({ database, app } = await openSite({ publicPagesReady: true })));
afterAll(() => database?.close());
beforeEach(() => startAfresh(database, app, agents));

/** A GET over a plain socket, so the body arrives exactly as sent (no client-side decompression). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      http
        .get({ host: "127.0.0.1", port, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            server.close();
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
          });
        })
        .on("error", (error) => {
          server.close();
          reject(error);
        });
    });
  });
}

/** Takes the seeded article through review, approval and publication with the new dosing line. */
async function publishEditedArticle() {
  await editedAndUnderReview(agents);
  await approve(agents.minh!).expect(303);
  await take(agents.sam!, "publish").expect(303);
}

/** Posts the article settings form as an admin, with the article's current version. */
async function changeSettings(fields: Record<string, string>) {
  const article = await database.prisma.article.findFirstOrThrow({ where: { OR: [{ slug: SEEDED_SLUG }, { slug: "muscle-spasm-treatment" }] } });
  return agents.sam!.post(`/editor/articles/${article.id}/settings`).type("form").send({
    _csrf: agents.sam!.csrf, version: String(article.version), slug: article.slug, visibleWhilePending: article.visibleWhilePending ? "on" : "",
    approvalsRequired: String(article.approvalsRequired), nextReviewDue: article.nextReviewDue?.toISOString().slice(0, 10) ?? "", ...fields,
  });
}

/** Counts connections the app takes from its database pool while `action` runs. */
async function poolCheckouts(action: () => Promise<unknown>) {
  let checkouts = 0;
  const count = () => checkouts++;
  database.pool.on("acquire", count);
  try {
    await action();
  } finally {
    database.pool.off("acquire", count);
  }
  return checkouts;
}

describe("HTTP caching of public pages", () => {
  it("serves anonymous readers with validators, a public cache policy and no cookie", async () => {
    const res = await request(app).get(ARTICLE).set("Accept-Encoding", "identity").expect(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
    // Browsers revalidate every time; a CDN may keep it a minute and serve it stale while revalidating.
    expect(res.headers["cache-control"]).toBe("public, max-age=0, must-revalidate, s-maxage=60");
    expect(res.headers["cdn-cache-control"]).toBe("public, max-age=60, stale-while-revalidate=600");
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(new Date(res.headers["last-modified"]!).getTime()).not.toBeNaN();
    expect(res.headers.vary).toBe("Accept-Encoding");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
  });

  it("answers 304 to a matching If-None-Match or a current If-Modified-Since, and 200 otherwise", async () => {
    const first = await request(app).get(ARTICLE).expect(200);
    const revalidated = await request(app).get(ARTICLE).set("If-None-Match", first.headers.etag!).expect(304);
    expect(revalidated.text).toBe("");
    expect(revalidated.headers.etag).toBe(first.headers.etag);
    await request(app).get(ARTICLE).set("If-None-Match", `W/${first.headers.etag}`).expect(304);
    await request(app).get(ARTICLE).set("If-None-Match", '"something-else"').expect(200);
    await request(app).get(ARTICLE).set("If-Modified-Since", first.headers["last-modified"]!).expect(304);
    await request(app).get(ARTICLE).set("If-Modified-Since", new Date(Date.parse(first.headers["last-modified"]!) - 60_000).toUTCString()).expect(200);
  });

  it("sends brotli or gzip as accepted, each with its own strong ETag and the same content", async () => {
    const plain = await rawGet(ARTICLE);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const br = await rawGet(ARTICLE, { "Accept-Encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    const gz = await rawGet(ARTICLE, { "Accept-Encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    const refused = await rawGet(ARTICLE, { "Accept-Encoding": "br;q=0, gzip;q=0" });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    expect(new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]).size).toBe(3);
    expect((await rawGet(ARTICLE, { "Accept-Encoding": "br", "If-None-Match": br.headers.etag! })).status).toBe(304);
  });

  it("serves a cached page with no database query and no session row", async () => {
    // The first request renders each page (database, Markdown, template) ...
    const firstRender = await poolCheckouts(async () => {
      await request(app).get(ARTICLE).expect(200);
      await request(app).get("/articles").expect(200);
    });
    expect(firstRender).toBeGreaterThan(0);
    // ... and later ones are served from memory: no render (database, Markdown, template).
    const site = publicDeliveryOf(app).site;
    const render = site.render.bind(site);
    let renders = 0;
    site.render = (...args) => (renders++, render(...args));
    const sessionsBefore = await database.prisma.session.count();
    let cached: number;
    try {
      cached = await poolCheckouts(async () => {
        for (let i = 0; i < 20; i++) await request(app).get(ARTICLE).expect(200);
        await request(app).get("/articles").expect(200);
        await request(app).head(ARTICLE).expect(200);
      });
    } finally {
      site.render = render;
    }
    expect(renders).toBe(0);
    // On the embedded database a once-a-second look at the audit trail may fall in the window.
    if (serverUrl) expect(cached).toBe(0);
    expect(await database.prisma.session.count()).toBe(sessionsBefore);
  });

  it("gives signed-in staff the page with their own header, never stored by a cache", async () => {
    const res = await agents.priya!.get(ARTICLE).expect(200);
    expect(res.text).toContain("Sign out");
    expect(res.headers["cache-control"]).toBe("private, no-store");
    const anonymous = await request(app).get(ARTICLE).expect(200);
    expect(anonymous.text).not.toContain("Sign out");
  });

  it("keeps staff pages and exports private, no-store", async () => {
    for (const path of ["/editor", "/admin/audit", "/admin/audit/export.csv"]) {
      const res = await agents.sam!.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers["cache-control"], path).toBe("private, no-store");
    }
    expect((await request(app).get("/login").expect(200)).headers["cache-control"]).toBe("private, no-store");
  });

  it("marks content shown while pending review noindex, in the page and the header", async () => {
    const res = await request(app).get(ARTICLE).expect(200);
    expect(res.text).toContain("pending human review");
    expect(res.headers["x-robots-tag"]).toBe("noindex");
    expect(res.text).toContain('<meta name="robots" content="noindex">');
  });

  it("answers 404 for an unknown article and 400 for a malformed list address", async () => {
    await request(app).get("/articles/no-such-article").expect(404);
    await request(app).get("/articles?after=%3Cscript%3E").expect(400);
  });
});

describe("exact invalidation", () => {
  it("publishing replaces the page at once: new text, no caution banner, indexable", async () => {
    const before = await request(app).get(ARTICLE).expect(200);
    await publishEditedArticle();
    const after = await request(app).get(ARTICLE).expect(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.text).toContain(NEW_DOSING);
    expect(after.text).not.toContain("pending human review");
    expect(after.headers["x-robots-tag"]).toBeUndefined();
    await request(app).get(ARTICLE).set("If-None-Match", before.headers.etag!).expect(200);
  });

  it("unpublishing removes the page and the index entry", async () => {
    await publishEditedArticle();
    await request(app).get(ARTICLE).expect(200);
    expect((await request(app).get("/articles").expect(200)).text).toContain(ARTICLE);
    await take(agents.sam!, "unpublish", { comment: "Withdrawn for a correction" }).expect(303);
    // Nothing else is pending review, so the article leaves the site.
    await request(app).get(ARTICLE).expect(404);
    expect((await request(app).get("/articles").expect(200)).text).not.toContain(ARTICLE);
  });

  it("settings, address and review date changes replace the page; the old address stops answering", async () => {
    await publishEditedArticle();
    await request(app).get(ARTICLE).expect(200);
    const settings = changeSettings;
    let res = await settings({ nextReviewDue: "2030-01-31" });
    expect(res.status, res.text.slice(0, 300)).toBe(303);
    expect((await request(app).get(ARTICLE).expect(200)).text).toContain("January 31, 2030");
    res = await settings({ nextReviewDue: "2020-01-31" });
    expect(res.status).toBe(303);
    expect((await request(app).get(ARTICLE).expect(200)).text).toContain("overdue for its scheduled medical review");
    res = await settings({ slug: "muscle-spasm-treatment", nextReviewDue: "2030-01-31" });
    expect(res.status, res.text.slice(0, 300)).toBe(303);
    await request(app).get(ARTICLE).expect(404);
    await request(app).get("/articles/muscle-spasm-treatment").expect(200);
    expect((await request(app).get("/articles").expect(200)).text).toContain("/articles/muscle-spasm-treatment");
  });

  it("an approval of content visible while pending replaces the page: approved text waits for publication", async () => {
    await editedAndUnderReview(agents);
    const before = await request(app).get(ARTICLE).expect(200);
    expect(before.text).toMatch(/<li class="current" aria-current="step">\s*Under Review/);
    await approve(agents.minh!).expect(303);
    // Reviewed content no longer belongs under "pending human review"; it returns when published.
    await request(app).get(ARTICLE).expect(404);
    await take(agents.sam!, "publish").expect(303);
    const published = await request(app).get(ARTICLE).expect(200);
    expect(published.text).toMatch(/<li class="current" aria-current="step">\s*Approved/);
  });

  it("a new board member appears on the advisory board page at once", async () => {
    const before = await request(app).get("/advisory-board").expect(200);
    const name = `Dr. Board Member ${Date.now()}`;
    await createUser(database.prisma, systemContext("test"), { email: `board${Date.now()}@demo.test`, name, role: "REVIEWER", credentials: "MD, Cardiology", password: "a-long-password-1234" });
    const after = await request(app).get("/advisory-board").expect(200);
    expect(before.text).not.toContain(name);
    expect(after.text).toContain(name);
  });

  it("a rolled-back change leaves cached pages as they were", async () => {
    const first = await request(app).get(ARTICLE).expect(200);
    // A refused transition (a reviewer may not publish) commits nothing.
    await take(agents.priya!, "publish").expect(403);
    const again = await request(app).get(ARTICLE).expect(200);
    expect(again.headers.etag).toBe(first.headers.etag);
  });
});

describe("structured data", () => {
  function jsonLd(html: string) {
    const script = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(script, "a JSON-LD script").toBeTruthy();
    return JSON.parse(script!);
  }

  it("describes the published article as a MedicalWebPage built from its data", async () => {
    await publishEditedArticle();
    const res = await request(app).get(ARTICLE).expect(200);
    const data = jsonLd(res.text);
    const { article, revision } = await currentRevision(database);
    expect(data["@type"]).toBe("MedicalWebPage");
    expect(data.headline).toBe(revision.title);
    expect(data.datePublished).toBe(revision.publishedAt!.toISOString());
    const approval = revision.approvals[0]!;
    expect(data.lastReviewed).toBe(approval.signedAt.toISOString());
    expect(data.reviewedBy).toEqual([
      { "@type": "Person", name: approval.signerName, jobTitle: approval.signerCredentials, url: `http://localhost:3000/advisory-board#member-${approval.reviewerId}` },
    ]);
    const board = await request(app).get("/advisory-board").expect(200);
    expect(board.text).toContain(`id="member-${approval.reviewerId}"`);
    expect(data.author).toEqual({ "@type": "Person", name: revision.author!.name });
    expect(data.publisher).toMatchObject({ "@type": "Organization", name: "Clinical Answers" });
    expect(data.about).toEqual({ "@type": "MedicalCondition", name: article.topic });
    expect(data.audience).toMatchObject({ "@type": "MedicalAudience", audienceType: "Clinician" });
    expect(data.inLanguage).toBe("en");
    expect(data.mainContentOfPage).toMatchObject({ "@type": "WebPageElement" });
    expect(data.breadcrumb.itemListElement.map((i: { name: string }) => i.name)).toEqual(["Clinical Answers", revision.title]);
    const cited = revision.references.filter((r) => !r.detailsMissing && r.title);
    expect(data.citation).toHaveLength(cited.length);
    const tizanidine = revision.references.find((r) => r.title?.startsWith("Update on tizanidine"))!;
    expect(data.citation).toContainEqual(
      expect.objectContaining({ "@type": "ScholarlyArticle", name: tizanidine.title, datePublished: String(tizanidine.year), isPartOf: { "@type": "Periodical", name: tizanidine.source } }),
    );
    expect(res.text).toContain(`<link rel="canonical" href="http://localhost:3000${ARTICLE}">`);
    expect(res.text).toMatch(/<meta name="description" content="Skeletal muscle relaxants[^"]*">/);
    expect(res.text).toContain('<meta property="og:type" content="article">');
  });

  it("escapes text that could close the script element", async () => {
    const { article } = await currentRevision(database);
    await database.prisma.article.update({ where: { id: article.id }, data: { topic: "</script><script>alert(1)</script>" } });
    publicDeliveryOf(app).cache.invalidate(["all"]);
    const res = await request(app).get(ARTICLE).expect(200);
    expect(res.text).not.toContain("<script>alert(1)");
    expect(jsonLd(res.text).about.name).toBe("</script><script>alert(1)</script>");
  });

  it("lists published articles in sitemap.xml with lastmod, and in the Atom feed", async () => {
    let sitemap = await request(app).get("/sitemap.xml").expect(200);
    expect(sitemap.text).not.toContain(ARTICLE);
    // Nothing published yet: the feed has no entries and is dated by the newest change readers
    // can see (the article shown while pending review), not 1970.
    const empty = await request(app).get("/feed.xml").expect(200);
    expect(empty.text).not.toContain("<entry>");
    const feedUpdated = /<feed[\s\S]*?<updated>([^<]+)<\/updated>/.exec(empty.text)![1]!;
    expect(Date.parse(feedUpdated)).toBeGreaterThan(Date.parse("2020-01-01"));
    expect(Date.parse(feedUpdated)).toBeLessThanOrEqual(Date.now());
    await publishEditedArticle();
    const { revision } = await currentRevision(database);
    sitemap = await request(app).get("/sitemap.xml").expect(200);
    expect(sitemap.headers["content-type"]).toContain("application/xml");
    expect(sitemap.text).toContain(`<url><loc>http://localhost:3000${ARTICLE}</loc><lastmod>${revision.publishedAt!.toISOString()}</lastmod></url>`);
    const feed = await request(app).get("/feed.xml").expect(200);
    expect(feed.text).toContain(`<title>${revision.title}</title>`);
    expect((await request(app).get("/robots.txt").expect(200)).text).toContain("Sitemap: http://localhost:3000/sitemap.xml");
  });
});

describe("the page cache", () => {
  const page = (text: string, extra: Partial<RenderedPage> = {}): RenderedPage => ({
    contentType: "text/html", body: Buffer.from(text), lastModified: new Date(), cacheControl: "public", tags: ["t"], ...extra,
  });

  it("renders a page again once its date-dependent content expires", async () => {
    let now = 1_000;
    let renders = 0;
    const cache = new PageCache(async () => page(`render ${++renders}`, { expiresAt: 5_000 }), 1 << 20, () => now);
    cache.setStoring(true);
    expect((await cache.get("/a"))!.body.toString()).toBe("render 1");
    expect((await cache.get("/a"))!.body.toString()).toBe("render 1");
    now = 5_000;
    expect((await cache.get("/a"))!.body.toString()).toBe("render 2");
  });

  it("stays within its byte bound, dropping the least recently used page", async () => {
    const onePage = compressPage(page("/a".repeat(2000))).size;
    const cache = new PageCache(async (key) => page(key.repeat(2000)), 3 * onePage);
    cache.setStoring(true);
    for (const key of ["/a", "/b", "/a", "/c", "/d", "/e"]) await cache.get(key);
    expect(cache.size.pages).toBe(3);
    expect(cache.size.bytes).toBeLessThanOrEqual(3 * onePage);
    let renders = 0;
    const counting = new PageCache(async (key) => (renders++, page(key.repeat(2000))), 2 * onePage);
    counting.setStoring(true);
    await counting.get("/a");
    await counting.get("/b");
    await counting.get("/a"); // /a is now the most recent
    await counting.get("/c"); // evicts /b
    const before = renders;
    await counting.get("/a");
    expect(renders).toBe(before);
    await counting.get("/b");
    expect(renders).toBe(before + 1);
  });

  it("keeps nothing while invalidations may be missed, and serves a render started before an invalidation only once", async () => {
    let renders = 0;
    const cache = new PageCache(async () => page(`render ${++renders}`), 1 << 20);
    await cache.get("/a");
    await cache.get("/a");
    expect(renders).toBe(2);
    cache.setStoring(true);
    const inFlight = cache.get("/a");
    cache.invalidate(["t"]);
    await inFlight;
    await cache.get("/a");
    expect(renders).toBe(4);
  });
});

describe("static export", () => {
  it("writes every public page with the bytes the app serves, and follows changes", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "cms-export-"));
    let following: ReturnType<StaticExport["follow"]> | undefined;
    try {
      const delivery = publicDeliveryOf(app);
      const exporter = new StaticExport(delivery.site, database.prisma, dir);
      await exporter.writeAll();
      for (const [url, file] of [
        [ARTICLE, `articles/${SEEDED_SLUG}/index.html`],
        ["/articles", "articles/index.html"],
        ["/advisory-board", "advisory-board/index.html"],
        ["/editorial-policy", "editorial-policy/index.html"],
        ["/sitemap.xml", "sitemap.xml"],
        ["/feed.xml", "feed.xml"],
        ["/robots.txt", "robots.txt"],
      ] as const) {
        const served = await rawGet(url);
        expect(served.status, url).toBe(200);
        expect((await readFile(path.join(dir, file))).equals(served.body), `${file} equals ${url}`).toBe(true);
        expect(gunzipSync(await readFile(path.join(dir, `${file}.gz`))).equals(served.body)).toBe(true);
      }
      expect((await stat(path.join(dir, "static/styles.css"))).isFile()).toBe(true);

      // Following the cache: publishing rewrites the article page, unpublishing and hiding removes it.
      following = exporter.follow(delivery.cache, (m) => console.error(m));
      await publishEditedArticle();
      await expect.poll(async () => (await readFile(path.join(dir, `articles/${SEEDED_SLUG}/index.html`), "utf8")).includes(NEW_DOSING), { timeout: 5000 }).toBe(true);
      await take(agents.sam!, "unpublish", { comment: "Withdrawn" }).expect(303);
      expect((await changeSettings({ visibleWhilePending: "" })).status).toBe(303);
      await expect.poll(() => stat(path.join(dir, `articles/${SEEDED_SLUG}/index.html`)).then(() => true, () => false), { timeout: 5000 }).toBe(false);
    } finally {
      following?.stop();
      await following?.idle();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("paging at size", () => {
  it("walks the public index and the dashboard in pages without repeating or skipping an article", async () => {
    await seedSyntheticArticles(database.prisma, 120);
    const slugs: string[] = [];
    let next: string | null | undefined = "/articles";
    while (next) {
      const res: request.Response = await request(app).get(next).expect(200);
      const found = [...res.text.matchAll(/<h2><a href="\/articles\/([a-z0-9-]+)">/g)].map((m) => m[1]!);
      expect(found.length).toBeLessThanOrEqual(INDEX_PAGE_SIZE);
      slugs.push(...found);
      const link: string | undefined = /<a href="(\/articles\?after=[^"]+)" rel="next">/.exec(res.text)?.[1];
      next = link?.replace(/&amp;/g, "&");
    }
    expect(slugs.filter((s) => s.startsWith("synthetic-"))).toHaveLength(120);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect([...slugs].sort()).toEqual(slugs);

    const ids: string[] = [];
    let dashboard: string | null | undefined = "/editor";
    while (dashboard) {
      const res: request.Response = await agents.sam!.get(dashboard).expect(200);
      const rows = [...res.text.matchAll(/<td><a href="\/editor\/articles\/([0-9a-f-]{36})">/g)].map((m) => m[1]!);
      expect(rows.length).toBeLessThanOrEqual(50);
      ids.push(...rows);
      const link: string | undefined = /<a href="(\/editor\?[^"]*after=[^"]+)" rel="next">/.exec(res.text)?.[1];
      dashboard = link?.replace(/&amp;/g, "&");
    }
    expect(ids).toHaveLength(121);
    expect(new Set(ids).size).toBe(121);
  });
});

describe.skipIf(!serverUrl)("two app processes on one PostgreSQL", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill("SIGTERM");
  });

  function startApp(): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
        env: { ...process.env, DATABASE_URL: database.url, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "test", COOKIE_SECURE: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let output = "";
      const timer = setTimeout(() => reject(new Error(`app did not start: ${output}`)), 60_000);
      child.stdout!.on("data", (chunk) => {
        output += chunk;
        const port = /Listening on http:\/\/[^:]+:(\d+)/.exec(output)?.[1];
        if (port) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${port}`);
        }
      });
      child.stderr!.on("data", (chunk) => (output += chunk));
    });
  }

  it("a page published through one process is served fresh by the other within a second", async () => {
    const [a, b] = await Promise.all([startApp(), startApp()]);
    const before = await request(b!).get(ARTICLE).expect(200);
    expect(before.text).toContain("pending human review");
    await request(b!).get(ARTICLE).expect(200); // now cached in b
    // Publish through process a, signed in there.
    const remote = Object.fromEntries(await Promise.all(Object.entries(demo).map(async ([k, email]) => [k, await signedInAgent(a as never, email)]))) as Record<string, Agent>;
    const remoteActions = workflowActions(() => database);
    await remoteActions.editedAndUnderReview(remote);
    await remoteActions.approve(remote.minh!).expect(303);
    await remoteActions.take(remote.sam!, "publish").expect(303);
    const publishedAt = Date.now();
    let fresh = false;
    while (!fresh && Date.now() - publishedAt < 1000) {
      fresh = (await request(b!).get(ARTICLE)).text.includes(NEW_DOSING);
    }
    expect(fresh, "process b serves the published page within 1 s").toBe(true);
    expect((await request(a!).get(ARTICLE).expect(200)).text).toContain(NEW_DOSING);
  });
});
