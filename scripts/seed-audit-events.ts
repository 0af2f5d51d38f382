// Appends N synthetic, correctly chained audit events, for load tests and benchmarks.
// npm run audit:seed-bulk -- --count 1000000   (uses DATABASE_URL, or the embedded database)
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { eventHash, GENESIS_HASH, type ChainedFields } from "../src/audit/chain.js";
import { canonicalJson } from "../src/audit/canonical.js";

const actors = [
  { id: randomUUID(), name: "Bulk Editor", email: "bulk.editor@load.test", role: "EDITOR" },
  { id: randomUUID(), name: "Bulk Reviewer", email: "bulk.reviewer@load.test", role: "REVIEWER" },
  { id: randomUUID(), name: "Bulk Admin", email: "bulk.admin@load.test", role: "ADMIN" },
];
const articles = Array.from({ length: 50 }, (_, i) => ({ id: randomUUID(), title: `Load-test question ${i + 1}?` }));

function syntheticEvent(i: number): Omit<ChainedFields, "id" | "createdAt"> {
  const actor = actors[i % actors.length]!;
  const article = articles[i % articles.length]!;
  const kind = i % 4;
  const base = {
    actorId: actor.id, actorName: actor.name, actorEmail: actor.email, actorRole: actor.role,
    ip: "127.0.0.1", userAgent: "audit:seed-bulk", requestId: randomUUID(),
    entityType: "revision", entityId: randomUUID(), articleId: article.id, revisionId: randomUUID(), articleTitle: article.title, comment: null,
  };
  if (kind === 0) return { ...base, action: "workflow.review_started", payload: { transition: "start_review", revisionNumber: i, from: "SUBMITTED", to: "UNDER_REVIEW" } };
  if (kind === 1) return { ...base, action: "comment.created", entityType: "comment", payload: { commentId: randomUUID(), sectionKey: "dosing", quote: null, body: `Synthetic comment ${i}`, kind: "COMMENT" } };
  if (kind === 2) return { ...base, action: "auth.login.succeeded", entityType: "user", payload: { email: actor.email } };
  return { ...base, action: "workflow.submitted", payload: { transition: "submit", revisionNumber: i, from: "DRAFT", to: "SUBMITTED" } };
}

const COLUMNS = ["id", "action", "actor_id", "actor_name", "actor_email", "actor_role", "ip", "user_agent", "request_id", "entity_type", "entity_id", "article_id", "revision_id", "article_title", "payload", "comment", "created_at", "prev_hash", "hash"];
const TYPES = ["bigint", "text", "uuid", "text", "text", "text", "text", "text", "text", "text", "text", "uuid", "uuid", "text", "jsonb", "text", "timestamptz", "text", "text"];

export async function seedAuditEvents(pool: pg.Pool, count: number, onProgress?: (done: number) => void, batchSize = 2000) {
  const client = await pool.connect();
  try {
    const spanMs = 20;
    const start = Date.now() - count * spanMs;
    for (let done = 0; done < count; ) {
      const n = Math.min(batchSize, count - done);
      await client.query("BEGIN");
      // The same lock the application takes, so live writers and this script never fork the chain.
      await client.query("SELECT pg_advisory_xact_lock(72616002)");
      const head = await client.query<{ hash: string }>("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1");
      let prev = head.rows[0]?.hash ?? GENESIS_HASH;
      const ids = await client.query<{ id: string }>("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))::text AS id FROM generate_series(1, $1)", [n]);
      const columns: unknown[][] = COLUMNS.map(() => []);
      ids.rows.forEach(({ id }, k) => {
        const i = done + k;
        const createdAt = new Date(start + i * spanMs).toISOString().replace("Z", "000Z");
        const event: ChainedFields = { id, createdAt, ...syntheticEvent(i) };
        const hash = eventHash(prev, event);
        const values = [id, event.action, event.actorId, event.actorName, event.actorEmail, event.actorRole, event.ip, event.userAgent, event.requestId,
          event.entityType, event.entityId, event.articleId, event.revisionId, event.articleTitle, canonicalJson(event.payload), event.comment, createdAt, prev, hash];
        values.forEach((v, c) => columns[c]!.push(v));
        prev = hash;
      });
      const select = COLUMNS.map((_, k) => `$${k + 1}::text[]`).join(", ");
      const casts = COLUMNS.map((c, k) => `${c}::${TYPES[k]}`).join(", ");
      await client.query(`INSERT INTO audit_event (${COLUMNS.join(", ")}) SELECT ${casts} FROM unnest(${select}) AS t(${COLUMNS.join(", ")})`, columns);
      await client.query("COMMIT");
      done += n;
      onProgress?.(done);
    }
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { count: { type: "string", default: "1000000" }, "i-understand-this-is-permanent": { type: "boolean", default: false } } });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 100_000_000) {
    console.error("--count must be a whole number from 1 to 100,000,000.");
    process.exit(1);
  }
  // Audit events can never be deleted: refuse to add synthetic ones to a real database by accident.
  if (process.env.NODE_ENV === "production" || (process.env.DATABASE_URL && !values["i-understand-this-is-permanent"])) {
    console.error("Refusing: synthetic audit events are permanent. Use a scratch database and pass --i-understand-this-is-permanent (never in production).");
    process.exit(1);
  }
  const { loadConfig } = await import("../src/config.js");
  const { openForCommand } = await import("../src/cli/run.js");
  const database = await openForCommand(loadConfig());
  const t0 = Date.now();
  await seedAuditEvents(database.pool, count, (done) => {
    if (done % 50_000 < 2000) process.stderr.write(`appended ${done.toLocaleString("en-US")} of ${count.toLocaleString("en-US")} events\n`);
  });
  console.log(`Appended ${count} chained audit events in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  await database.close();
}
