// One declaration per API route: its path, who may call it, the zod schemas of its
// parameters, body and responses, and its handler. The same declarations mount the
// routes on Express and generate the OpenAPI document, so every route is documented
// and validated by exactly what the documentation says.
import { Router, type Request, type Response } from "express";
import type { z } from "zod";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../db/database.js";
import type { User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { authenticateApiToken, type TokenScope } from "../services/people/index.js";
import { fieldErrorsOf } from "../web/validate.js";

/** public: anyone; optional: anyone, more with a token; read/write: a token with that scope. */
export type Access = "public" | "optional" | TokenScope;

export interface HandlerInput<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** The token's owner (always set for read/write routes). */
  user: User | undefined;
}

export interface ApiResult {
  status?: number;
  body: unknown;
}

export interface ApiRoute<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: "get" | "post";
  /** Express syntax under /api, e.g. "/v1/articles/:slug". */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: "Public" | "Editorial" | "Tokens" | "Search";
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The body is a file, not JSON: its accepted types, for the documentation. */
  rawBody?: { contentTypes: string[] };
  /** The success responses and their schemas; error responses are added from what the route can refuse. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Extra refusals this route can give beyond the generic ones (e.g. 409). */
  refusals?: number[];
  handler: (input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<ApiResult>;
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(route: ApiRoute<P, Q, B>): ApiRoute {
  return route as unknown as ApiRoute;
}

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, notFound: boolean, what: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  // A malformed id in the path names nothing that exists: 404, as on the pages.
  if (notFound) throw new AppError("NOT_FOUND", "There is nothing at this address.");
  const fieldErrors = fieldErrorsOf(result.error);
  const summary = Object.entries(fieldErrors).slice(0, 3).map(([field, message]) => `${field}: ${message}`).join("; ");
  throw new AppError("BAD_REQUEST", `${what} has problems: ${summary}.`, { fieldErrors });
}

export interface MountOptions {
  db: Db;
  rateLimitPerMinute: number;
}

/** Reads `Authorization: Bearer <token>`; undefined when there is no such header. */
function bearerToken(req: Request): string | undefined {
  const header = req.get("authorization");
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError("UNAUTHENTICATED", "The Authorization header must be \"Bearer <token>\".");
  return match[1];
}

export function mountRoutes(routes: ApiRoute[], options: MountOptions): Router {
  const router = Router();
  // Per token when there is one, otherwise per client address. In memory: limits are
  // per process, which is what a single-process deployment needs (see decision 0016).
  const limiter = new RateLimiterMemory({ points: options.rateLimitPerMinute, duration: 60 });

  for (const route of routes) {
    router[route.method](route.path, async (req, res) => {
      const presented = bearerToken(req);
      if (!presented && (route.access === "read" || route.access === "write")) {
        throw new AppError("UNAUTHENTICATED", "This endpoint needs an API token: send \"Authorization: Bearer <token>\". Create one on your account's API tokens page.");
      }
      const consume = async (key: string) => {
        try {
          await limiter.consume(key);
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          throw new AppError("TOO_MANY_REQUESTS", `Too many requests. Wait ${retryAfterSeconds} seconds and try again.`, { retryAfterSeconds });
        }
      };
      let identity: Awaited<ReturnType<typeof authenticateApiToken>> | undefined;
      if (presented) {
        // A refused token counts against the address, so a flood of made-up tokens is throttled too.
        identity = await authenticateApiToken(options.db, presented).catch(async (error: unknown) => {
          await consume(`ip:${req.ip}`);
          throw error;
        });
      }
      await consume(identity ? `token:${identity.token.id}` : `ip:${req.ip}`);
      if (identity) {
        req.user = identity.user;
        req.apiToken = identity.token;
        if ((route.access === "read" || route.access === "write") && !identity.token.scopes.includes(route.access)) {
          throw new AppError("FORBIDDEN", `This token does not have the "${route.access}" scope. Create a token with it on your account's API tokens page.`, {
            securityReason: `API token lacks the ${route.access} scope`,
          });
        }
      }
      const params = parsePart(route.params, req.params, true, "The address");
      const query = parsePart(route.query, req.query, false, "The query");
      const body = route.rawBody ? undefined : parsePart(route.body, req.body, false, "The request body");
      // Public answers may be cached and revalidated (ETag + 304, handled by Express);
      // anything a token unlocked is private to its owner.
      res.set("Cache-Control", identity ? "private, no-store" : "public, no-cache").vary("Authorization");
      const result = await route.handler({ req, res, params, query, body, user: identity?.user });
      res.status(result.status ?? 200).json(result.body);
    });
  }
  return router;
}
