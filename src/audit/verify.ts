// Walks the whole audit chain in id order, in batches (constant memory), and
// recomputes every hash. Reports the first event whose content, link or order
// does not match: an alteration, a deletion or a reordering.
//
// A million events must verify close to the time a bare scan takes to read them
// (docs/performance.md), so rows are read as arrays of the driver's plain text
// (no Date, no objects per row), the next batch is read while this one is hashed,
// and the canonical text is written field by field in its fixed key order. The
// check is exactly as strict: the same bytes are hashed as eventHash() hashes
// (test/audit.test.ts compares the two on every event).
import crypto from "node:crypto";
import type pg from "pg";
import { canonicalJson } from "./canonical.js";
import { GENESIS_HASH, type ChainedFields } from "./chain.js";

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

/** Every value as PostgreSQL's text, unparsed. */
const plainText = { getTypeParser: () => (value: string) => value };

// Column order of a raw chain row. createdAt is written as stored (microseconds, UTC).
const CHAIN_COLUMNS = `id::text, action, actor_id::text, actor_name, actor_email, actor_role, ip, user_agent, request_id,
  entity_type, entity_id, article_id::text, revision_id::text, article_title, payload::text, comment,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), prev_hash, hash, api_token_id::text`;
type RawChainRow = (string | null)[];
const enum C { id, action, actorId, actorName, actorEmail, actorRole, ip, userAgent, requestId, entityType, entityId, articleId, revisionId, articleTitle, payload, comment, createdAt, prevHash, hash, apiTokenId }

function readRawChainRows(pool: pg.Pool, afterId: string, limit: number): Promise<RawChainRow[]> {
  const rows = pool.query<RawChainRow>({
    text: `SELECT ${CHAIN_COLUMNS} FROM audit_event WHERE audit_event.id > $1 ORDER BY audit_event.id LIMIT $2`,
    values: [afterId, limit], rowMode: "array", types: plainText,
  }).then((result) => result.rows);
  rows.catch(() => undefined); // a batch read ahead may fail before it is awaited; it is still thrown there
  return rows;
}

/** Events after `afterId`, in chain order, exactly as they are hashed. */
export async function readChainRows(pool: pg.Pool, afterId: string, limit: number): Promise<ChainRow[]> {
  return (await readRawChainRows(pool, afterId, limit)).map((r) => ({
    id: r[C.id]!, action: r[C.action]!, actorId: r[C.actorId]!, actorName: r[C.actorName]!, actorEmail: r[C.actorEmail]!, actorRole: r[C.actorRole]!,
    ip: r[C.ip]!, userAgent: r[C.userAgent]!, requestId: r[C.requestId]!, entityType: r[C.entityType]!, entityId: r[C.entityId]!,
    articleId: r[C.articleId]!, revisionId: r[C.revisionId]!, articleTitle: r[C.articleTitle]!, payload: JSON.parse(r[C.payload]!),
    comment: r[C.comment]!, createdAt: r[C.createdAt]!, prevHash: r[C.prevHash]!, hash: r[C.hash]!, apiTokenId: r[C.apiTokenId]!,
  }));
}

const q = JSON.stringify;

/** canonicalJson() of the row's chained fields, written in sorted key order without building an object. */
function canonicalRowText(r: RawChainRow): string {
  // A null token is left out, as eventHash() leaves it out.
  const token = r[C.apiTokenId] ? `,"apiTokenId":${q(r[C.apiTokenId])}` : "";
  return `{"action":${q(r[C.action])},"actorEmail":${q(r[C.actorEmail])},"actorId":${q(r[C.actorId])},"actorName":${q(r[C.actorName])},`
    + `"actorRole":${q(r[C.actorRole])}${token},"articleId":${q(r[C.articleId])},"articleTitle":${q(r[C.articleTitle])},`
    + `"comment":${q(r[C.comment])},"createdAt":${q(r[C.createdAt])},"entityId":${q(r[C.entityId])},"entityType":${q(r[C.entityType])},`
    + `"id":${q(r[C.id])},"ip":${q(r[C.ip])},"payload":${canonicalJson(JSON.parse(r[C.payload]!))},"requestId":${q(r[C.requestId])},`
    + `"revisionId":${q(r[C.revisionId])},"userAgent":${q(r[C.userAgent])}}`;
}

// One-shot hashing (Node 20.12+) costs half of a Hash object per event; older Node falls back.
const sha256Hex: (text: string) => string = crypto.hash
  ? (text) => crypto.hash("sha256", text, "hex")
  : (text) => crypto.createHash("sha256").update(text).digest("hex");

/** The hash a raw row should carry: what eventHash() computes for the same event. */
export function rawRowHash(r: RawChainRow): string {
  return sha256Hex(r[C.prevHash]! + canonicalRowText(r));
}

export async function verifyAuditChain(pool: pg.Pool, options: { batchSize?: number; onProgress?: (checked: number) => void } = {}): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 10_000;
  let previousHash = GENESIS_HASH;
  let lastId = "0";
  let checked = 0;
  let next: Promise<RawChainRow[]> | undefined = readRawChainRows(pool, lastId, batchSize);
  while (next) {
    const rows: RawChainRow[] = await next;
    // Read ahead: the database fetches the next batch while this one is hashed.
    next = rows.length === batchSize ? readRawChainRows(pool, rows[rows.length - 1]![C.id]!, batchSize) : undefined;
    for (const row of rows) {
      const id = row[C.id]!;
      if (row[C.prevHash] !== previousHash) {
        return { ok: false, checked, lastHash: previousHash, lastId, firstBroken: { id, reason: "its link to the previous event is broken (an event before it was deleted, inserted or reordered)" } };
      }
      if (rawRowHash(row) !== row[C.hash]) {
        return { ok: false, checked, lastHash: previousHash, lastId, firstBroken: { id, reason: "its content does not match its hash (the event was altered)" } };
      }
      previousHash = row[C.hash]!;
      lastId = id;
      checked++;
    }
    options.onProgress?.(checked);
  }
  return { ok: true, checked, lastHash: previousHash, lastId };
}
