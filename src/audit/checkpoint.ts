// Chain-head checkpoints: what the hash chain alone cannot catch. Someone able to
// bypass the append-only trigger could delete the newest events, or rewrite an
// event and recompute every later hash, and the chain would still verify. A
// checkpoint (the id and hash of the newest event, the number of events, the time)
// kept outside the database (a file that is copied elsewhere, a log, an email)
// pins the history up to that point: `audit:verify --checkpoint FILE` checks that
// the event it names still exists with that hash and that no event up to it is missing.
// File format: one JSON object per line, appended; the last line is the latest.
import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type pg from "pg";
import { verifyAuditChain } from "./verify.js";

const checkpointSchema = z.object({
  at: z.string(),
  events: z.number().int().nonnegative(),
  lastId: z.string().regex(/^\d+$/),
  head: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** data/audit-checkpoints.jsonl beside the default data folder. */
export function defaultCheckpointFile(dataDir: string) {
  return path.join(path.dirname(dataDir), "audit-checkpoints.jsonl");
}

export type CheckpointResult = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

/** Verifies the chain, then appends its head to `file`. Refuses to pin a broken chain. */
export async function recordCheckpoint(pool: pg.Pool, file: string): Promise<CheckpointResult> {
  const result = await verifyAuditChain(pool);
  if (!result.ok) return { ok: false, reason: `the audit trail is broken at event ${result.firstBroken!.id}: ${result.firstBroken!.reason}` };
  const checkpoint: Checkpoint = { at: new Date().toISOString(), events: result.checked, lastId: result.lastId, head: result.lastHash };
  await appendFile(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  return { ok: true, checkpoint };
}

export async function latestCheckpoint(file: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`the checkpoint file ${file} cannot be read`);
  }
  const last = text.trim().split("\n").filter(Boolean).at(-1);
  const parsed = last ? checkpointSchema.safeParse((() => { try { return JSON.parse(last); } catch { return null; } })()) : null;
  if (!parsed?.success) throw new Error(`the checkpoint file ${file} has no readable checkpoint on its last line`);
  return parsed.data;
}

/** Does the trail still contain, unchanged, everything the checkpoint pinned? */
export async function checkAgainstCheckpoint(pool: pg.Pool, checkpoint: Checkpoint): Promise<CheckpointResult> {
  const { rows } = await pool.query<{ hash: string | null; events: string }>(
    `SELECT (SELECT hash FROM audit_event WHERE id = $1::bigint) AS hash,
            (SELECT count(*) FROM audit_event WHERE id <= $1::bigint)::text AS events`,
    [checkpoint.lastId],
  );
  const row = rows[0]!;
  const when = `the checkpoint of ${checkpoint.at}`;
  if (row.hash === null) return { ok: false, reason: `event ${checkpoint.lastId}, the newest at ${when}, is missing (newer events were deleted or the trail was replaced)` };
  if (row.hash !== checkpoint.head) return { ok: false, reason: `event ${checkpoint.lastId} no longer has the hash recorded at ${when} (events up to it were rewritten)` };
  if (Number(row.events) !== checkpoint.events) return { ok: false, reason: `${row.events} events exist up to event ${checkpoint.lastId}, but ${when} recorded ${checkpoint.events}` };
  return { ok: true, checkpoint };
}
