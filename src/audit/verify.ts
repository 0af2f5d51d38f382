// Walks the whole audit chain in id order, in batches (constant memory), and
// recomputes every hash. Reports the first event whose content, link or order
// does not match: an alteration, a deletion or a reordering.
import type pg from "pg";
import { eventHash, GENESIS_HASH, type ChainedFields } from "./chain.js";

export interface VerifyResult {
  ok: boolean;
  checked: number;
  lastHash: string;
  /** The id of the last event verified ("0" when there is none). */
  lastId: string;
  firstBroken?: { id: string; reason: string };
}

export interface ChainRow extends Omit<ChainedFields, "payload"> {
  payload: unknown;
  prevHash: string;
  hash: string;
}

/** Events after `afterId`, in chain order, exactly as they are hashed. */
export async function readChainRows(pool: pg.Pool, afterId: string, limit: number): Promise<ChainRow[]> {
  const { rows } = await pool.query<ChainRow>(
    `SELECT id::text AS id, action, actor_id AS "actorId", actor_name AS "actorName", actor_email AS "actorEmail", actor_role AS "actorRole",
            ip, user_agent AS "userAgent", request_id AS "requestId", entity_type AS "entityType", entity_id AS "entityId",
            article_id AS "articleId", revision_id AS "revisionId", article_title AS "articleTitle", payload, comment,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAt",
            prev_hash AS "prevHash", hash, api_token_id AS "apiTokenId"
     FROM audit_event WHERE audit_event.id > $1 ORDER BY audit_event.id LIMIT $2`,
    [afterId, limit],
  );
  return rows;
}

export async function verifyAuditChain(pool: pg.Pool, options: { batchSize?: number; onProgress?: (checked: number) => void } = {}): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 5000;
  let previousHash = GENESIS_HASH;
  let lastId = "0";
  let checked = 0;
  for (;;) {
    const rows = await readChainRows(pool, lastId, batchSize);
    for (const row of rows) {
      if (row.prevHash !== previousHash) {
        return { ok: false, checked, lastHash: previousHash, lastId, firstBroken: { id: row.id, reason: "its link to the previous event is broken (an event before it was deleted, inserted or reordered)" } };
      }
      const { prevHash, hash, ...fields } = row;
      // Only events made with an API token carry the field (see ChainedFields).
      if (eventHash(prevHash, fields) !== hash) {
        return { ok: false, checked, lastHash: previousHash, lastId, firstBroken: { id: row.id, reason: "its content does not match its hash (the event was altered)" } };
      }
      previousHash = hash;
      lastId = row.id;
      checked++;
    }
    options.onProgress?.(checked);
    if (rows.length < batchSize) return { ok: true, checked, lastHash: previousHash, lastId };
  }
}
