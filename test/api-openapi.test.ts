import request from "supertest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, currentRevision, demo, openSite, publishSeeded, SEEDED_SLUG, type TestApp, type TestDatabase, tokenFor } from "./support/index.js";
import { apiRouter } from "../src/api/index.js";
import { openApiPath } from "../src/api/openapi.js";

let database: TestDatabase;
let app: TestApp;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let doc: any;

beforeAll(async () => {
  ({ database, app } = await openSite());
  doc = (await request(app).get("/api/openapi.json").expect(200)).body;
});
afterAll(() => database?.close());

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

/** Every route Express actually serves under the API router, read from the router itself. */
function mountedRoutes(stack: Layer[]): { method: string; path: string }[] {
  return stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).filter((m) => m !== "_all").map((method) => ({ method, path: layer.route!.path }))
      : layer.handle?.stack ? mountedRoutes(layer.handle.stack) : [],
  );
}

/** Validates a response body against the schema the OpenAPI document gives for it. */
function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: "openapi.json" });
  return (path: string, method: string, status: number, body: unknown, contentType = "application/json") => {
    const pointer = `/paths/${path.replace(/~/g, "~0").replace(/\//g, "~1")}/${method}/responses/${status}/content/${contentType.replace(/\//g, "~1")}/schema`;
    const validate = ajv.getSchema(`openapi.json#${pointer}`);
    expect(validate, `no schema for ${method} ${path} ${status}`).toBeTruthy();
    const ok = validate!(body);
    expect(ok, `${method.toUpperCase()} ${path} ${status}: ${JSON.stringify(validate!.errors?.slice(0, 3))}`).toBe(true);
  };
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and documents every route the API serves under /api/v1", () => {
    expect(doc.openapi).toBe("3.1.0");
    const router = apiRouter(database.prisma, { rateLimitPerMinute: 1000 }) as unknown as { stack: Layer[] };
    const served = mountedRoutes(router.stack).filter((r) => r.path.startsWith("/v1/"));
    expect(served.length).toBeGreaterThanOrEqual(11);
    for (const { method, path } of served) {
      expect(doc.paths[openApiPath(path)]?.[method], `${method.toUpperCase()} /api${path} is not documented`).toBeDefined();
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(served.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  });

  it("describes parameters, request bodies, scopes and problem responses", () => {
    const save = doc.paths["/api/v1/editorial/articles/{id}/revisions"].post;
    expect(save.security).toEqual([{ bearerToken: ["write"] }]);
    expect(save.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    expect(save.requestBody.content["application/json"].schema.required).toEqual(expect.arrayContaining(["baseRevisionId", "content"]));
    expect(Object.keys(save.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "404", "409", "429"]));
    expect(save.responses["409"].content["application/problem+json"].schema).toEqual({ $ref: "#/components/schemas/Problem" });
    const list = doc.paths["/api/v1/articles"].get;
    expect(list.security).toEqual([]);
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(["limit", "after"]);
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(["type", "title", "status", "detail"]));
  });

  it("every response matches its documented schema", async () => {
    const check = validator();
    await publishSeeded(database);
    const { article } = await currentRevision(database);
    const { token } = await tokenFor(database, demo.alice);
    const api = bearer(app, token);
    const calls: [string, string, number, Promise<request.Response>][] = [
      ["/api/v1/articles", "get", 200, request(app).get("/api/v1/articles")],
      ["/api/v1/articles/{slug}", "get", 200, request(app).get(`/api/v1/articles/${SEEDED_SLUG}`)],
      ["/api/v1/search", "get", 200, request(app).get("/api/v1/search?q=tizanidine")],
      ["/api/v1/ask", "get", 200, request(app).get("/api/v1/ask?q=What+is+the+starting+dose+of+tizanidine")],
      ["/api/v1/search", "get", 200, api.get("/api/v1/search?q=tizanidine")],
      ["/api/v1/editorial/articles/{id}", "get", 200, api.get(`/api/v1/editorial/articles/${article.id}`)],
      ["/api/v1/editorial/articles/{id}/revisions/{number}", "get", 200, api.get(`/api/v1/editorial/articles/${article.id}/revisions/2`)],
      ["/api/v1/editorial/articles/{id}/comments", "get", 200, api.get(`/api/v1/editorial/articles/${article.id}/comments`)],
      ["/api/v1/editorial/articles/{id}/export", "get", 200, api.get(`/api/v1/editorial/articles/${article.id}/export`)],
    ];
    for (const [path, method, status, pending] of calls) {
      const res = await pending;
      expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(status);
      check(path, method, status, res.body);
    }
    const exported = (await api.get(`/api/v1/editorial/articles/${article.id}/export`)).body;
    const posts: [string, number, Promise<request.Response>][] = [
      ["/api/v1/editorial/articles", 201, api.post("/api/v1/editorial/articles", { content: { ...exported.content, title: "Is this a schema check?" } })],
      ["/api/v1/editorial/imports", 201, api.post("/api/v1/editorial/imports", { ...exported, article: { slug: "imported-copy" } })],
    ];
    for (const [path, status, pending] of posts) {
      const res = await pending;
      expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(status);
      check(path, "post", status, res.body);
    }
    const { revision, content } = await currentRevision(database);
    const saved = await api.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content: { ...content, summary: `${content.summary} More.` } });
    check("/api/v1/editorial/articles/{id}/revisions", "post", 201, saved.body);
    const submitted = await api.post(`/api/v1/editorial/articles/${article.id}/transitions/submit`, { revisionId: saved.body.id, expectedState: "DRAFT" });
    check("/api/v1/editorial/articles/{id}/transitions/{name}", "post", 200, submitted.body);
    // Problems match their schema too.
    const stale = await api.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content });
    check("/api/v1/editorial/articles/{id}/revisions", "post", 409, stale.body, "application/problem+json");
    const bad = await request(app).get("/api/v1/articles?limit=0");
    check("/api/v1/articles", "get", 400, bad.body, "application/problem+json");
  });
});

describe("API reference page", () => {
  it("lists every operation and works under the site's Content Security Policy (no inline script or style)", async () => {
    const res = await request(app).get("/api/docs").expect(200);
    const csp = res.headers["content-security-policy"] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(res.text).not.toMatch(/<script|style=|<style/);
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops as Record<string, { operationId: string }>)) expect(res.text).toContain(`id="${op.operationId}"`);
    }
    expect(res.text).toContain('id="problem-conflict"');
  });
});
