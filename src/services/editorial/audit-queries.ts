// Reading the audit trail: an article's history, the site-wide log with filters
// and keyset pagination, and streaming export. Reads validate each payload
// against its registered schema and flag any that do not match.
import type pg from "pg";
import type { Db } from "../../db/database.js";
import { Prisma } from "../../generated/prisma/client.js";
import { parseStoredPayload } from "../../audit/events.js";
import type { ChainedFields } from "../../audit/chain.js";
import { z } from "zod";
import { isoDate } from "../../schemas.js";

/** An event as read for pages and exports: the chained fields, with typed id and time. */
export interface AuditRow extends Omit<ChainedFields, "id" | "createdAt"> {
  id: bigint;
  createdAt: Date;
  hash: string;
}

function withValidation<T extends { action: string; payload: unknown }>(row: T) {
  const parsed = parseStoredPayload(row.action, row.payload);
  return { ...row, payloadValid: parsed.ok, payloadError: parsed.ok ? null : parsed.error };
}

export async function articleHistory(db: Db, articleId: string) {
  const rows = await db.auditEvent.findMany({ where: { articleId }, orderBy: { id: "asc" } });
  return rows.map(withValidation);
}


export const auditFilterSchema = z.object({
  actor: z.string().trim().max(200).optional().transform((v) => v || undefined),
  action: z.string().trim().max(100).regex(/^[a-z._]*$/, "unknown action").optional().transform((v) => v || undefined),
  article: z.string().trim().max(120).optional().transform((v) => v || undefined),
  from: isoDate().optional().or(z.literal("")).transform((v) => v || undefined),
  to: isoDate().optional().or(z.literal("")).transform((v) => v || undefined),
  /** Keyset cursor: show events older than this id. */
  before: z.string().regex(/^\d{1,18}$/, "invalid page").optional().or(z.literal("")).transform((v) => (v ? BigInt(v) : undefined)),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type AuditFilter = z.output<typeof auditFilterSchema>;

/** SQL conditions for a filter; `article` matches an article id or its slug. */
async function whereClause(db: Db, filter: AuditFilter): Promise<Prisma.Sql> {
  const parts: Prisma.Sql[] = [];
  if (filter.actor) parts.push(Prisma.sql`(actor_email = ${filter.actor.toLowerCase()} OR actor_id::text = ${filter.actor})`);
  if (filter.action) parts.push(filter.action.endsWith(".") ? Prisma.sql`action LIKE ${filter.action + "%"}` : Prisma.sql`action = ${filter.action}`);
  if (filter.article) {
    const article = await db.article.findFirst({ where: { OR: [{ slug: filter.article }, ...(z.string().uuid().safeParse(filter.article).success ? [{ id: filter.article }] : [])] }, select: { id: true } });
    parts.push(article ? Prisma.sql`article_id = ${article.id}::uuid` : Prisma.sql`false`);
  }
  if (filter.from) parts.push(Prisma.sql`created_at >= ${filter.from}::date`);
  if (filter.to) parts.push(Prisma.sql`created_at < (${filter.to}::date + 1)`);
  return parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, " AND ")}` : Prisma.empty;
}

const columns = Prisma.sql`id, action, actor_id AS "actorId", actor_name AS "actorName", actor_email AS "actorEmail", actor_role AS "actorRole",
  ip, user_agent AS "userAgent", request_id AS "requestId", entity_type AS "entityType", entity_id AS "entityId",
  article_id AS "articleId", revision_id AS "revisionId", article_title AS "articleTitle", payload, comment, created_at AS "createdAt", hash, api_token_id AS "apiTokenId"`;

/** One page of the site-wide log, newest first, by keyset on id (fast at any depth). */
export async function auditPage(db: Db, filter: AuditFilter) {
  const where = await whereClause(db, { ...filter, before: undefined });
  const keyset = filter.before !== undefined ? Prisma.sql`${where === Prisma.empty ? Prisma.sql`WHERE` : Prisma.sql`AND`} id < ${filter.before}` : Prisma.empty;
  const rows = await db.$queryRaw<AuditRow[]>`SELECT ${columns} FROM audit_event ${where} ${keyset} ORDER BY id DESC LIMIT ${filter.limit + 1}`;
  const hasMore = rows.length > filter.limit;
  const page = rows.slice(0, filter.limit).map(withValidation);
  return { rows: page, nextBefore: hasMore ? page[page.length - 1]!.id : null };
}

/** The columns of an export, in order. */
export const exportColumns = [
  "id", "createdAt", "action", "actorName", "actorEmail", "actorRole", "actorId", "ip", "userAgent", "requestId",
  "entityType", "entityId", "articleId", "articleTitle", "revisionId", "comment", "payload", "hash", "apiTokenId",
] as const;

// The same columns as PostgreSQL's text: the time as Date.toISOString() writes it, ids as text.
const exportSelect = Prisma.sql`id::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), action, actor_name, actor_email,
  actor_role, actor_id::text, ip, user_agent, request_id, entity_type, entity_id, article_id::text, article_title, revision_id::text,
  comment, payload::text, hash, api_token_id::text`;
const PAYLOAD = exportColumns.indexOf("payload");
const plainText = { getTypeParser: () => (value: string) => value };
// Chunks stay well under V8's large-object size (128 KB), so they die young: larger strings
// are kept until a full garbage collection, and the process would grow by 100 MB and more.
const CHUNK_CHARACTERS = 32_000;

/**
 * Every event matching the filter, newest first, as export text (CSV or JSON Lines) in
 * chunks of about 32 KB. Rows are read by keyset in batches as the driver's plain
 * text (no Date or object per row), the next batch while this one is written out: a
 * million events stream in constant memory close to the time a bare scan takes.
 */
export async function* auditExport(db: Db, pool: pg.Pool, filter: AuditFilter, format: "csv" | "jsonl", batchSize = 2000): AsyncGenerator<string> {
  const where = await whereClause(db, { ...filter, before: undefined });
  const read = (before: string | bigint | undefined) => {
    const keyset = before !== undefined ? Prisma.sql`${where === Prisma.empty ? Prisma.sql`WHERE` : Prisma.sql`AND`} audit_event.id < ${before}::bigint` : Prisma.empty;
    const query = Prisma.sql`SELECT ${exportSelect} FROM audit_event ${where} ${keyset} ORDER BY audit_event.id DESC LIMIT ${batchSize}`;
    const rows = pool.query<(string | null)[]>({ text: query.text, values: query.values, rowMode: "array", types: plainText }).then((r) => r.rows);
    // Handled from the start: the generator may wait at a yield (a slow reader) while this fails;
    // the error is still thrown where the batch is awaited, and ends only this export.
    rows.catch(() => undefined);
    return rows;
  };
  const line = format === "csv" ? csvLine : jsonLine;
  if (format === "csv") yield csvHeader();
  let next: Promise<(string | null)[][]> | undefined = read(filter.before);
  while (next) {
    const rows: (string | null)[][] = await next;
    next = rows.length === batchSize ? read(rows[rows.length - 1]![0]!) : undefined;
    let chunk = "";
    for (const row of rows) {
      chunk += line(row);
      if (chunk.length >= CHUNK_CHARACTERS) {
        yield chunk;
        chunk = "";
      }
    }
    if (chunk) yield chunk;
  }
}

// A cell needs care when it holds a quote, comma or line break, or starts like a formula.
const needsCare = /[",\n\r]|^[=+\-@\t]/;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (!needsCare.test(text)) return text; // most cells: ids, names, addresses, times
  // Cells starting with = + - @ are prefixed so spreadsheets do not run them as formulas.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvHeader(): string {
  return exportColumns.join(",") + "\r\n";
}

/** A CSV line: every cell as text, the payload as compact JSON. */
function csvLine(row: (string | null)[]): string {
  let out = "";
  for (let i = 0; i < row.length; i++) out += (i ? "," : "") + csvCell(i === PAYLOAD && row[i] !== null ? JSON.parse(row[i]!) : row[i]);
  return out + "\r\n";
}

/** A JSON Lines line: the columns by name, the payload as its JSON value. */
function jsonLine(row: (string | null)[]): string {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < row.length; i++) out[exportColumns[i]!] = i === PAYLOAD && row[i] !== null ? JSON.parse(row[i]!) : row[i];
  return JSON.stringify(out) + "\n";
}
