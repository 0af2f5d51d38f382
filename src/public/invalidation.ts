// Which cached public pages a committed change replaces. Every change writes an audit
// event in its own transaction, and a trigger on the audit table NOTIFYs at commit
// (migration 20261129000800), so this one listener sees every change, from this
// process or any other on the same database, and nothing that was rolled back.
import { z } from "zod";
import type { Database } from "../db/database.js";
import { onEventRecorded } from "../audit/audit-log.js";
import type { PageCache } from "./page-cache.js";
import { tags } from "./public-site.js";

export const CHANNEL = "public_pages";

const changeSchema = z.object({ action: z.string(), articleId: z.string().nullable(), slug: z.string().nullable().optional() });
export type Change = z.infer<typeof changeSchema>;

/**
 * Actions that never change what the public sees: sign-ins, comments, reviewer assignments,
 * schedules (their publication is a workflow.published event), preview links, the reader-questions
 * queue and the instant-answer vocabulary (answers are never cached), and images (an upload is
 * shown by no public page until a revision with it is published; a public image cannot be deleted).
 */
const PRIVATE_ACTIONS = /^(auth|comment|review|schedule|preview|reader_question|vocabulary|media)\./;

export function tagsForChange(change: Change): string[] {
  if (PRIVATE_ACTIONS.test(change.action)) return [];
  if (change.articleId) {
    return [tags.article(change.articleId), tags.lists, ...(change.slug ? [tags.slug(change.slug)] : [])];
  }
  // Board members' names and credentials are on the advisory board page.
  if (change.action.startsWith("user.")) return [tags.board];
  return [tags.all];
}

/**
 * Invalidates pages as changes commit. The cache keeps pages only while this listener
 * is connected: if it is not, a missed change could leave a stale page.
 */
export function invalidateOnChange(database: Database, cache: PageCache, log: (message: string) => void) {
  // Dropping pages already when this process writes the event means its own next request
  // never sees the old page; the NOTIFY at commit drops anything rendered meanwhile.
  const stopLocal = onEventRecorded((change) => {
    const dropped = tagsForChange(change);
    if (dropped.length) cache.invalidate(dropped);
  });
  const stopListening = database.listen(CHANNEL, {
    onMessage(payload) {
      let change: Change;
      try {
        change = changeSchema.parse(JSON.parse(payload));
      } catch {
        log(`Unreadable public page notification; dropping every cached page: ${payload.slice(0, 200)}`);
        cache.invalidate([tags.all]);
        return;
      }
      const dropped = tagsForChange(change);
      if (dropped.length) cache.invalidate(dropped);
    },
    onReady(ready) {
      cache.setStoring(ready);
    },
  });
  const stopPolling = database.kind === "embedded" && database.ownerPid === undefined ? pollAuditTrail(database, cache, log) : () => {};
  return stopListening.then((stop) => async () => {
    stopLocal();
    stopPolling();
    await stop();
  });
}

/**
 * On the embedded database, commands (user:create, seed, restore …) work through this
 * app's socket, and PGlite hands their notifications to their own connection, not to
 * ours. A cheap look at the audit trail's newest events every second catches those.
 */
function pollAuditTrail(database: Database, cache: PageCache, log: (message: string) => void, everyMs = 1000) {
  let lastId: bigint | null = null;
  let busy = false;
  const look = async () => {
    const head = BigInt((await database.pool.query<{ id: string | null }>("SELECT max(id)::text AS id FROM audit_event")).rows[0]?.id ?? 0);
    if (lastId === null || head === lastId) {
      lastId = head;
      return;
    }
    if (head < lastId) {
      // A restored backup can end before our last event: everything may have changed.
      cache.invalidate([tags.all]);
      lastId = head;
      return;
    }
    const { rows } = await database.pool.query<{ action: string; article_id: string | null; slug: string | null }>(
      `SELECT action, article_id, payload->>'slug' AS slug FROM audit_event WHERE id > $1 AND id <= $2 ORDER BY id LIMIT 1000`,
      [lastId.toString(), head.toString()],
    );
    const dropped = rows.length === 1000 ? [tags.all] : [...new Set(rows.flatMap((row) => tagsForChange({ action: row.action, articleId: row.article_id, slug: row.slug })))];
    if (dropped.length) cache.invalidate(dropped);
    lastId = head;
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    look()
      .catch((error: Error) => {
        if (!/after calling end|Connection terminated/.test(error.message)) log(`Checking the audit trail for changes failed: ${error.message}`);
      })
      .finally(() => (busy = false));
  }, everyMs);
  timer.unref();
  void look().catch(() => {});
  return () => clearInterval(timer);
}
