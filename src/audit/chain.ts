// The hash chain over audit events: each event's hash covers the previous
// event's hash and the event's own canonical content, so altering, deleting or
// reordering any event breaks every hash after it.
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical.js";

export const GENESIS_HASH = "0".repeat(64);

export interface ChainedFields {
  id: string;
  action: string;
  actorId: string | null;
  actorName: string | null;
  actorEmail: string | null;
  actorRole: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  entityType: string;
  entityId: string | null;
  articleId: string | null;
  revisionId: string | null;
  articleTitle: string | null;
  payload: unknown;
  comment: string | null;
  /** ISO-8601 UTC with microseconds, exactly as stored. */
  createdAt: string;
  /** The API token used, if any. Left out (not null) when absent, so events written before tokens existed keep their hashes. */
  apiTokenId?: string | null;
}

export function eventHash(prevHash: string, event: ChainedFields): string {
  // A null token is the same as none: events without a token hash as they always did.
  const { apiTokenId, ...rest } = event;
  const hashed = apiTokenId ? { ...rest, apiTokenId } : rest;
  return createHash("sha256").update(prevHash).update(canonicalJson(hashed)).digest("hex");
}
