// Builds the OpenAPI 3.1 document from the route declarations and their zod
// schemas (zod 4's own JSON Schema output: OpenAPI 3.1 schemas are JSON Schema
// 2020-12). Request schemas are described as accepted (input), response schemas
// as returned (output); named schemas go to components.
import { z } from "zod";
import type { ApiRoute } from "./define.js";
import { problemSchema } from "./schemas.js";
import { problemTypes, problemType } from "./problems.js";

type Json = Record<string, unknown>;

const statusDescriptions: Record<number, string> = {
  400: "The request is not valid (problem details with field errors)",
  401: "No valid API token",
  403: "The token's scope or its owner's role does not allow this",
  404: "Not found, or not visible to the caller",
  409: "Conflict: the state changed since the caller looked",
  429: "Rate limit reached (see Retry-After)",
};

export function openApiPath(expressPath: string): string {
  return `/api${expressPath.replace(/:([A-Za-z]+)/g, "{$1}")}`;
}

export function buildOpenApiDocument(routes: ApiRoute[], info: { version: string }) {
  const components: Record<string, Json> = {};

  const schemaOf = (schema: z.ZodType, io: "input" | "output"): Json => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
    // Named schemas become components. The same one can differ as accepted and as
    // returned (defaults, transforms), so accepted ones get an "Input" suffix.
    const suffix = io === "input" ? "Input" : "";
    const text = JSON.stringify(generated).replace(/"#\/\$defs\/([A-Za-z0-9_]+)"/g, `"#/components/schemas/$1${suffix}"`);
    const { $schema: _ignored, $defs, ...rest } = JSON.parse(text) as Json & { $defs?: Record<string, Json> };
    for (const [id, def] of Object.entries($defs ?? {})) components[`${id}${suffix}`] = def;
    return rest;
  };

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const parameters: Json[] = [];
    for (const [where, schema] of [["path", route.params], ["query", route.query]] as const) {
      if (!schema) continue;
      const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      for (const [name, field] of Object.entries(shape)) {
        const fieldSchema = schemaOf(field, "input");
        parameters.push({
          name, in: where,
          required: where === "path" || !field.safeParse(undefined).success,
          ...(typeof fieldSchema.description === "string" ? { description: fieldSchema.description } : {}),
          schema: fieldSchema,
        });
      }
    }
    const responses: Record<string, Json> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? "application/json"]: { schema: schemaOf(response.schema, "output") } } } : {}),
      };
    }
    const refusals = new Set<number>([...(route.refusals ?? []), 429]);
    if (route.params) refusals.add(404);
    if (route.query || route.body || route.rawBody) refusals.add(400);
    if (route.access !== "public") refusals.add(401);
    if (route.access === "read" || route.access === "write") refusals.add(403);
    const problem = schemaOf(problemSchema, "output");
    for (const status of [...refusals].sort()) {
      responses[String(status)] = { description: statusDescriptions[status] ?? "Refused", content: { "application/problem+json": { schema: problem } } };
    }
    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: schemaOf(route.body, "input") } } } } : {}),
      ...(route.rawBody
        ? { requestBody: { required: true, content: Object.fromEntries(route.rawBody.contentTypes.map((t) => [t, { schema: { type: "string", format: "binary" } }])) } }
        : {}),
      responses,
      security: route.access === "public" ? [] : route.access === "optional" ? [{}, { bearerToken: [] }] : [{ bearerToken: [route.access] }],
      "x-required-scope": route.access === "read" || route.access === "write" ? route.access : null,
    };
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation;
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Clinical Answers API",
      version: info.version,
      description:
        "Published articles for anyone; editorial work with a personal API token. Errors are RFC 9457 problem details. " +
        "Public answers carry an ETag: send If-None-Match to get 304 Not Modified.",
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "Public", description: "Published content, no token needed" },
      { name: "Search", description: "Full-text search" },
      { name: "Editorial", description: "Articles, revisions, comments and workflow steps, with a token" },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "A personal API token (scopes: read, write), created on the API tokens page when signed in." },
      },
    },
    "x-problem-types": Object.fromEntries(Object.entries(problemTypes).map(([code, t]) => [problemType(code as keyof typeof problemTypes), t])),
  };
}
