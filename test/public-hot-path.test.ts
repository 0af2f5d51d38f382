// The hot path ahead of Express (decision 0034): for every public page kind, encoding,
// HEAD and conditional request, the listener's own answer carries the same headers (all
// of them, in the same order, except Date and the per-request id) and the same bytes as
// Express's answer for the same request; everything it must not answer reaches Express.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSite, SEEDED_SLUG, type TestApp, type TestDatabase } from "./support/index.js";
import { publicDeliveryOf, publicListener } from "../src/app.js";
import type { HotPathListener } from "../src/public/hot-path.js";
import { ALL } from "../src/public/page-cache.js";

let database: TestDatabase;
let app: TestApp;
let hotPath: HotPathListener;
let hotServer: http.Server;
let expressServer: http.Server;
const ARTICLE = `/articles/${SEEDED_SLUG}`;

const PAGES = {
  article: ARTICLE,
  "audience version": `${ARTICLE}?for=patients`,
  "article with a tracking parameter": `${ARTICLE}?utm_source=news`,
  index: "/articles",
  "index, later page": "/articles?after=a",
  sitemap: "/sitemap.xml",
  feed: "/feed.xml",
  robots: "/robots.txt",
  "editorial policy": "/editorial-policy",
  "advisory board": "/advisory-board",
};
const ENCODINGS = { identity: "identity", gzip: "gzip, deflate", br: "gzip, deflate, br, zstd" };

function listen(listener: http.RequestListener): Promise<http.Server> {
  return new Promise((resolve) => {
    const server = http.createServer(listener);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

interface Answer { status: number; headers: [string, string][]; requestId: string | undefined; body: Buffer }

/** One request over its own connection; headers exactly as sent (names, order, values). */
function send(server: http.Server, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    http
      .request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
          resolve({
            status: res.statusCode!,
            headers: pairs.filter(([name]) => !["date", "x-request-id"].includes(name.toLowerCase())),
            requestId: pairs.find(([name]) => name.toLowerCase() === "x-request-id")?.[1],
            body: Buffer.concat(chunks),
          });
        });
      })
      .on("error", reject)
      .end();
  });
}

/** Sends the request to both servers; expects the hot path to have answered it itself. */
async function bothPaths(method: string, path: string, headers: Record<string, string> = {}) {
  const before = hotPath.served;
  const hot = await send(hotServer, method, path, headers);
  expect(hotPath.served, `${method} ${path} answered by the hot path`).toBe(before + 1);
  const viaExpress = await send(expressServer, method, path, headers);
  expect(hotPath.served).toBe(before + 1);
  return { hot, viaExpress };
}

function expectSameAnswer({ hot, viaExpress }: { hot: Answer; viaExpress: Answer }) {
  expect(hot.status).toBe(viaExpress.status);
  expect(hot.headers).toEqual(viaExpress.headers);
  expect(hot.body.equals(viaExpress.body)).toBe(true);
  expect(hot.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(viaExpress.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(hot.requestId).not.toBe(viaExpress.requestId);
}

const header = (answer: Answer, name: string) => answer.headers.find(([n]) => n.toLowerCase() === name)?.[1];

beforeAll(async () => {
  ({ database, app } = await openSite({ publicPagesReady: true }));
  hotPath = publicListener(app);
  [hotServer, expressServer] = await Promise.all([listen(hotPath), listen(app)]);
});
afterAll(async () => {
  hotServer?.close();
  expressServer?.close();
  await database?.close();
});

describe("the hot path answers cached public pages exactly as Express does", () => {
  for (const [kind, path] of Object.entries(PAGES)) {
    it(`${kind}: every encoding, HEAD, If-None-Match and If-Modified-Since`, async () => {
      // A miss is rendered and stored by Express (the tracking-parameter address shares
      // the article's page, already stored).
      expect((await send(hotServer, "GET", path)).status).toBe(200);

      for (const [encoding, acceptEncoding] of Object.entries(ENCODINGS)) {
        const get = await bothPaths("GET", path, { "accept-encoding": acceptEncoding });
        expectSameAnswer(get);
        expect(get.hot.status).toBe(200);
        expect(header(get.hot, "content-encoding") ?? "identity").toBe(encoding);
        expect(header(get.hot, "content-security-policy")).toContain("script-src 'self'");
        expect(header(get.hot, "cache-control")).toContain("public");

        const head = await bothPaths("HEAD", path, { "accept-encoding": acceptEncoding });
        expectSameAnswer(head);
        expect(head.hot.body.length).toBe(0);
        expect(header(head.hot, "content-length")).toBe(header(get.hot, "content-length"));

        const etag = header(get.hot, "etag")!;
        const byEtag = await bothPaths("GET", path, { "accept-encoding": acceptEncoding, "if-none-match": `W/${etag}` });
        expectSameAnswer(byEtag);
        expect(byEtag.hot.status).toBe(304);

        const byDate = await bothPaths("GET", path, { "accept-encoding": acceptEncoding, "if-modified-since": header(get.hot, "last-modified")! });
        expectSameAnswer(byDate);
        expect(byDate.hot.status).toBe(304);

        const stale = await bothPaths("GET", path, { "accept-encoding": acceptEncoding, "if-none-match": '"another"' });
        expectSameAnswer(stale);
        expect(stale.hot.status).toBe(200);
      }
    });
  }
});

describe("what the hot path leaves to Express", () => {
  async function reachesExpress(method: string, path: string, headers: Record<string, string> = {}) {
    const before = hotPath.served;
    const answer = await send(hotServer, method, path, headers);
    expect(hotPath.served, `${method} ${path} left to Express`).toBe(before);
    return answer;
  }

  it("a session cookie (staff) gets the uncached page", async () => {
    await send(hotServer, "GET", ARTICLE);
    const answer = await reachesExpress("GET", ARTICLE, { cookie: "theme=dark; mecms.sid=s%3Aanything" });
    expect(answer.status).toBe(200);
    expect(header(answer, "cache-control")).toBe("private, no-store");
  });

  it("a remembered audience redirects the plain address, but not its own version", async () => {
    await send(hotServer, "GET", ARTICLE);
    const redirect = await reachesExpress("GET", ARTICLE, { cookie: "reader_audience=patients" });
    expect(redirect.status).toBe(302);
    expect(header(redirect, "location")).toBe(`${ARTICLE}?for=patients`);
    await send(hotServer, "GET", `${ARTICLE}?for=patients`);
    const before = hotPath.served;
    expect((await send(hotServer, "GET", `${ARTICLE}?for=patients`, { cookie: "reader_audience=patients" })).status).toBe(200);
    expect(hotPath.served).toBe(before + 1);
  });

  it("other methods, addresses that are not public pages, and misses", async () => {
    await send(hotServer, "GET", "/articles");
    const leftAlone: [string, string, number][] = [
      ["POST", "/articles", 403],
      ["GET", "/articles?page=2", 400],
      ["GET", `${ARTICLE}?for=patients&for=professionals`, 404],
      ["GET", "/articles/no-such-article", 404],
      ["GET", "/login", 200],
      ["GET", `${ARTICLE}#top`, 200],
    ];
    for (const [method, path, status] of leftAlone) {
      expect((await reachesExpress(method, path)).status, `${method} ${path}`).toBe(status);
    }
    publicDeliveryOf(app).cache.invalidate([ALL]);
    const miss = await reachesExpress("GET", "/articles");
    expect(miss.status).toBe(200);
    expect((await send(hotServer, "GET", "/articles")).status).toBe(200);
    expect(hotPath.served, "stored again by the miss").toBeGreaterThan(0);
  });
});
