// The only writer of audit events. Every service calls recordEvent() with the
// transaction client of the change it records, so the change and its event
// commit together or not at all.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../generated/prisma/client.js";
import { eventSchemas, type AuditAction, type AuditPayload, type StoredPayload } from "./events.js";
import { eventHash, GENESIS_HASH, type ChainedFields } from "./chain.js";
import { canonicalJson } from "./canonical.js";

export type Tx = Prisma.TransactionClient;

/** Who acted and from where; copied into each event so history survives later edits. */
export interface ActorSnapshot {
  id: string;
  name: string;
  email: string;
  role: string;
}

export interface RequestContext {
  actor: ActorSnapshot | null;
  ip: string | null;
  userAgent: string | null;
  /** Shared by every event one request caused. */
  requestId: string;
  /** The API token the actor used, when the request came through the API. */
  apiTokenId?: string | null;
}

export function systemContext(label = "system"): RequestContext {
  return { actor: null, ip: null, userAgent: label, requestId: randomUUID() };
}

export interface AuditEventInput<A extends AuditAction> {
  action: A;
  payload: AuditPayload<A>;
  entityType: "user" | "article" | "revision" | "comment" | "session" | "system" | "api_token" | "audience" | "job" | "reader_question" | "vocabulary" | "media";
  entityId?: string | null;
  articleId?: string | null;
  revisionId?: string | null;
  articleTitle?: string | null;
  comment?: string | null;
  /** For events about someone not signed in (a failed sign-in): who they claimed to be. */
  actorOverride?: Partial<ActorSnapshot>;
}

// Serializes appends so concurrent writers can never fork the chain. The lock is
// released when the surrounding transaction ends.
const CHAIN_LOCK_KEY = 72_616_002;

export async function recordEvent<A extends AuditAction>(tx: Tx, ctx: RequestContext, input: AuditEventInput<A>): Promise<string> {
  const payload = eventSchemas[input.action].parse(input.payload);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY}::bigint)`;
  const last = await tx.$queryRaw<{ hash: string }[]>`SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1`;
  const prevHash = last[0]?.hash ?? GENESIS_HASH;
  const [slot] = await tx.$queryRaw<{ id: string; ts: string }[]>`
    SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))::text AS id,
           to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts`;
  const actor = { ...ctx.actor, ...input.actorOverride };
  // UUID columns store lower case; hash exactly what is stored.
  const lower = (v: string | null | undefined) => (v ? v.toLowerCase() : null);
  const fields: ChainedFields = {
    id: slot!.id,
    action: input.action,
    actorId: lower(actor.id),
    actorName: actor.name ?? null,
    actorEmail: actor.email ?? null,
    actorRole: actor.role ?? null,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
    entityType: input.entityType,
    entityId: input.entityId ?? null,
    articleId: lower(input.articleId),
    revisionId: lower(input.revisionId),
    articleTitle: input.articleTitle ?? null,
    // Round-trip through JSON so what is hashed is exactly what jsonb stores.
    payload: JSON.parse(canonicalJson(payload)),
    comment: input.comment ?? null,
    createdAt: slot!.ts,
    ...(ctx.apiTokenId ? { apiTokenId: ctx.apiTokenId.toLowerCase() } : {}),
  };
  const hash = eventHash(prevHash, fields);
  await tx.$executeRaw`
    INSERT INTO audit_event (id, action, actor_id, actor_name, actor_email, actor_role, ip, user_agent, request_id,
      entity_type, entity_id, article_id, revision_id, article_title, payload, comment, created_at, prev_hash, hash, api_token_id)
    VALUES (${BigInt(fields.id)}, ${fields.action}, ${fields.actorId}::uuid, ${fields.actorName}, ${fields.actorEmail}, ${fields.actorRole},
      ${fields.ip}, ${fields.userAgent}, ${fields.requestId}, ${fields.entityType}, ${fields.entityId}, ${fields.articleId}::uuid,
      ${fields.revisionId}::uuid, ${fields.articleTitle}, ${canonicalJson(fields.payload)}::jsonb, ${fields.comment},
      ${fields.createdAt}::timestamptz, ${prevHash}, ${hash}, ${fields.apiTokenId ?? null}::uuid)`;
  for (const listener of recordedListeners) listener({ action: fields.action, articleId: fields.articleId, slug: slugOf(fields.payload) });
  const written: WrittenEvent = {
    id: fields.id, action: input.action as AuditAction, actorId: fields.actorId, actorName: fields.actorName, entityId: fields.entityId,
    articleId: fields.articleId, revisionId: fields.revisionId, articleTitle: fields.articleTitle, payload: fields.payload as StoredPayload<AuditAction>, comment: fields.comment,
  };
  for (const follower of followers) await follower(tx, written);
  return fields.id;
}

/** An event as the followers of the trail see it, inside the transaction that wrote it. */
export interface WrittenEvent<A extends AuditAction = AuditAction> {
  id: string;
  action: A;
  actorId: string | null;
  actorName: string | null;
  entityId: string | null;
  articleId: string | null;
  revisionId: string | null;
  articleTitle: string | null;
  /** Validated against the action's schema (src/audit/events.ts) before it was written. */
  payload: StoredPayload<A>;
  comment: string | null;
}

export type EventFollower = (tx: Tx, event: WrittenEvent) => Promise<void>;

const followers = new Set<EventFollower>();

/**
 * Runs `follower` for each event, in the transaction that writes it, so what follows from a
 * change (the notifications it causes) commits with the change and its event or not at all.
 * The trail's layer knows nothing of what follows: higher layers register here.
 */
export function followEvents(follower: EventFollower): () => void {
  followers.add(follower);
  return () => followers.delete(follower);
}

function slugOf(payload: unknown): string | null {
  const slug = (payload as { slug?: unknown } | null)?.slug;
  return typeof slug === "string" ? slug : null;
}

export interface RecordedEvent {
  action: string;
  articleId: string | null;
  slug: string | null;
}

const recordedListeners = new Set<(event: RecordedEvent) => void>();

/**
 * Told of each event as it is written, before its transaction commits (so possibly
 * for a change that is then rolled back). The public page cache uses it to drop pages
 * at once in this process; the NOTIFY at commit is what every process relies on.
 */
export function onEventRecorded(listener: (event: RecordedEvent) => void): () => void {
  recordedListeners.add(listener);
  return () => recordedListeners.delete(listener);
}
