// Personal API tokens. A token is 32 random bytes shown once when it is created;
// only its SHA-256 is stored (a token has far more entropy than a password, so a
// fast hash is enough and lets every request be checked cheaply). Each token
// belongs to one person, carries scopes ("read", "write") and can be revoked;
// changes made with it are attributed in the audit trail to the person and the token.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { uuid } from "../../schemas.js";

export const tokenScopes = ["read", "write"] as const;
export type TokenScope = (typeof tokenScopes)[number];

/** Tokens start with this, so secret scanners and people can recognise them. */
const TOKEN_PREFIX = "cat_";
const MAX_ACTIVE_TOKENS = 20;

export const newTokenSchema = z.object({
  name: z.string().trim().min(1, "give the token a name").max(100, "must be at most 100 characters"),
  scopes: z
    .union([z.enum(tokenScopes), z.array(z.enum(tokenScopes, { message: "choose read and/or write" }))], { message: "choose read and/or write" })
    .transform((v) => [...new Set(Array.isArray(v) ? v : [v])].sort())
    .refine((v) => v.length > 0, "choose at least one scope"),
});

export const tokenIdSchema = z.object({ tokenId: uuid("unknown token") });

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(db: Db, ctx: RequestContext, user: User, input: z.output<typeof newTokenSchema>) {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
  const created = await db.$transaction(async (tx) => {
    // Lock the person's row so two requests cannot both pass the limit.
    await tx.$queryRaw`SELECT id FROM app_user WHERE id = ${user.id}::uuid FOR UPDATE`;
    const active = await tx.apiToken.count({ where: { userId: user.id, revokedAt: null } });
    if (active >= MAX_ACTIVE_TOKENS) {
      throw new AppError("CONFLICT", `You already have ${MAX_ACTIVE_TOKENS} active tokens. Revoke one you no longer use first.`);
    }
    const row = await tx.apiToken.create({ data: { userId: user.id, name: input.name, prefix, tokenHash: hashToken(token), scopes: input.scopes } });
    await recordEvent(tx, ctx, {
      action: "api_token.created", entityType: "api_token", entityId: row.id,
      payload: { tokenId: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes },
    });
    return row;
  });
  return { token, record: created };
}

export function listApiTokens(db: Db, user: User) {
  return db.apiToken.findMany({
    where: { userId: user.id },
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}

/** People revoke their own tokens only; someone else's token is "not found", never "forbidden". */
/** One of the person's own tokens (anyone else's does not exist for them). */
export async function ownApiToken(db: Db, user: User, tokenId: string) {
  const token = await db.apiToken.findFirst({ where: { id: tokenId, userId: user.id } });
  if (!token) throw new AppError("NOT_FOUND", "That token does not exist.");
  return token;
}

export async function revokeApiToken(db: Db, ctx: RequestContext, user: User, tokenId: string) {
  return db.$transaction(async (tx) => {
    const token = await tx.apiToken.findFirst({ where: { id: tokenId, userId: user.id } });
    if (!token) throw new AppError("NOT_FOUND", "That token does not exist.");
    const updated = await tx.apiToken.updateMany({ where: { id: tokenId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (updated.count !== 1) throw new AppError("CONFLICT", `The token "${token.name}" is already revoked.`);
    await recordEvent(tx, ctx, { action: "api_token.revoked", entityType: "api_token", entityId: token.id, payload: { tokenId: token.id, name: token.name, prefix: token.prefix } });
    return token;
  });
}

export interface TokenIdentity {
  user: User;
  token: { id: string; name: string; scopes: string[] };
}

/**
 * The person and token behind a bearer token, or an UNAUTHENTICATED error that
 * does not say which part failed. Inactive people's tokens stop working at once.
 */
export async function authenticateApiToken(db: Db, presented: string): Promise<TokenIdentity> {
  const refused = new AppError("UNAUTHENTICATED", "The API token is not valid: it may be mistyped, revoked, or belong to a deactivated account.");
  if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 200) throw refused;
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(presented) }, include: { user: true } });
  if (!row || row.revokedAt || !row.user.active) throw refused;
  // Coarse "last used" (once a minute at most) keeps reads from writing on every request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { user: row.user, token: { id: row.id, name: row.name, scopes: row.scopes } };
}
