// Full-text search over revisions (PostgreSQL tsvector, weighted: title above
// headings above body, references last; see migration 20261129001300).
//
// Who sees what, as on the pages:
// - the public searches exactly the revision the public article page shows
//   (findPublicArticle): the published one, or, for an article with nothing published
//   that is visible while pending, its latest revision in a "visible while pending"
//   state; such hits are marked pendingReview, as the page is;
// - staff search every revision and get each article once, at its best-matching
//   revision, and can look references up by DOI or PMID.
//
// Snippets come from ts_headline with private marker characters around the matches;
// the text is HTML-escaped here and only then are the markers turned into <mark>,
// so article text can never inject markup into a results page.
import { z } from "zod";
import { Prisma, type RevisionState } from "../../generated/prisma/client.js";
import type { Db } from "../../db/database.js";
import { statesWhere } from "../../workflow/states.js";

/** What a search asks: the words, and how many results (the page and the API read the same). */
export const searchQuery = z.object({
  q: z.string().trim().min(1, "type something to search for").max(200, "must be at most 200 characters"),
  limit: z.coerce.number().int().min(1, "must be at least 1").max(50, "must be at most 50").default(10),
});

export interface SearchHit {
  articleId: string;
  slug: string;
  title: string;
  revisionNumber: number;
  state: RevisionState;
  rank: number;
  snippet: string;
  snippetHtml: string;
  /** Staff only: the DOI or PMID that matched a reference exactly. */
  matchedReference: string | null;
  /** Public: the text shown has not been approved yet (the page shows the caution banner). */
  pendingReview: boolean;
}

const START = "\u0002";
const STOP = "\u0003";
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "`;

// ts_headline re-reads the text it highlights; reading only the opening of long
// articles keeps a results page fast (matches further in still rank, see decision 0018).
const SNIPPET_SOURCE_CHARS = 4000;

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

export function snippetParts(headline: string): { snippet: string; snippetHtml: string } {
  // Markdown emphasis and link syntax would only be noise in a snippet.
  const cleaned = headline.replace(/[*`#]+/g, "").replace(/\s+/g, " ").trim();
  return {
    snippet: cleaned.replaceAll(START, "").replaceAll(STOP, ""),
    snippetHtml: escapeHtml(cleaned).replaceAll(START, "<mark>").replaceAll(STOP, "</mark>"),
  };
}

interface Row {
  article_id: string;
  slug: string;
  title: string;
  number: number;
  state: RevisionState;
  rank: number;
  headline: string;
  matched_reference: string | null;
  pending_review: boolean;
}

function toHit(row: Row): SearchHit {
  return {
    articleId: row.article_id, slug: row.slug, title: row.title, revisionNumber: row.number, state: row.state,
    rank: Number(row.rank), matchedReference: row.matched_reference, pendingReview: row.pending_review, ...snippetParts(row.headline),
  };
}

/** Text that cannot match anything (only stop words or punctuation) gives no results, not an error. */
const query = (q: string) => Prisma.sql`websearch_to_tsquery('english', ${q})`;

/**
 * How many matching revisions are ranked in full. Without a cap, a word found in most
 * articles would make every query read and rank every document. Candidates are those
 * matching in their title or headings first (they outrank body-only matches anyway;
 * heading_document is small and stays in the row), then body-only matches. Each part
 * stops at the cap, so a common word reads a few hundred documents, not all of them.
 */
const MAX_RANKED = 400;

/**
 * True when revision `rid` is the one the public article page shows (findPublicArticle in
 * services/editorial/articles.ts): the article's published revision, or, when nothing is published and
 * the article is visible while pending, its newest revision in a "visible while pending" state
 * (the states table decides which). Checked per candidate, after the GIN index has found it.
 */
function isPublicRevision(rid: Prisma.Sql) {
  const pendingStates = Prisma.join(statesWhere("visibleWhilePending"));
  return Prisma.sql`(
    EXISTS (SELECT 1 FROM article pa WHERE pa.published_revision_id = ${rid})
    OR EXISTS (
      SELECT 1 FROM revision pr JOIN article pa ON pa.id = pr.article_id
      WHERE pr.id = ${rid} AND pa.published_revision_id IS NULL AND pa.visible_while_pending
        AND pr.state::text IN (${pendingStates})
        AND NOT EXISTS (
          SELECT 1 FROM revision newer
          WHERE newer.article_id = pr.article_id AND newer.number > pr.number AND newer.state::text IN (${pendingStates})
        )
    )
  )`;
}

function candidates(q: string, publicOnly: boolean) {
  const visible = publicOnly ? Prisma.sql`AND ${isPublicRevision(Prisma.sql`s.revision_id`)}` : Prisma.empty;
  return Prisma.sql`
    head AS (
      SELECT s.revision_id FROM revision_search s, ${query(q)} q
      WHERE s.heading_document @@ q ${visible}
      LIMIT ${MAX_RANKED}
    ), body AS (
      SELECT s.revision_id FROM revision_search s, ${query(q)} q
      WHERE s.document @@ q AND NOT (s.heading_document @@ q) ${visible}
      LIMIT ${MAX_RANKED}
    ), candidates AS (
      SELECT revision_id FROM head
      UNION ALL
      (SELECT revision_id FROM body LIMIT greatest(0, ${MAX_RANKED} - (SELECT count(*) FROM head)))
    )`;
}

/**
 * What the public can read, and nothing else: each article's public revision (see
 * isPublicRevision), pending ones marked. Ranked first, then ts_headline on the page's rows
 * alone (it reads the whole text).
 */
export async function searchPublished(db: Db, q: string, limit = 10): Promise<SearchHit[]> {
  const rows = await db.$queryRaw<Row[]>`
    WITH ${candidates(q, true)}, hits AS (
      SELECT a.id AS article_id, a.slug, s.revision_id, ts_rank_cd(s.document, q, 1) AS rank,
             a.published_revision_id IS DISTINCT FROM s.revision_id AS pending_review
      FROM candidates c JOIN revision_search s ON s.revision_id = c.revision_id
      JOIN revision cr ON cr.id = s.revision_id JOIN article a ON a.id = cr.article_id, ${query(q)} q
      ORDER BY rank DESC, a.slug
      LIMIT ${limit}
    )
    SELECT h.article_id::text, h.slug, r.title, r.number, r.state::text AS state, h.rank::float8 AS rank,
           ts_headline('english', left(s.body, ${SNIPPET_SOURCE_CHARS}), ${query(q)}, ${HEADLINE_OPTIONS}) AS headline, NULL AS matched_reference,
           h.pending_review
    FROM hits h JOIN revision r ON r.id = h.revision_id JOIN revision_search s ON s.revision_id = h.revision_id
    ORDER BY h.rank DESC, h.slug`;
  return rows.map(toHit);
}

/**
 * The first part of the hit's revision that contains the matched words (the summary, a
 * section with its heading, then the references), so a staff snippet quotes the match even
 * when it lies past the opening that ts_headline would otherwise read. Runs for the page's
 * rows only; when only the title matched, no part does and the snippet is the opening.
 */
function matchingPart(q: string) {
  // Citation markers ([@key]) are not words a reader looks for.
  return Prisma.sql`
    SELECT p.text FROM (
      SELECT ord, regexp_replace(raw, '\\[@[^\\]]*\\]', ' ', 'g') AS text FROM (
        SELECT 0 AS ord, r.summary AS raw
        UNION ALL
        SELECT 1 + sec.position, sec.heading || E'\\n' || sec.body FROM section sec WHERE sec.revision_id = h.revision_id
        UNION ALL
        SELECT 2147483647, s.reference_text
      ) parts
    ) p, ${query(q)} q
    WHERE to_tsvector('english', p.text) @@ q
    ORDER BY p.ord LIMIT 1`;
}

const DOI = /^(?:doi:\s*|https?:\/\/(?:dx\.)?doi\.org\/)?(10\.\d{4,9}\/\S+)$/i;
const PMID = /^(?:pmid:\s*)?(\d{1,10})$/i;

/** Every revision staff may see (all of them), one result per article at its best revision; DOI/PMID look-ups first. */
export async function searchAllRevisions(db: Db, q: string, limit = 10): Promise<SearchHit[]> {
  const doi = DOI.exec(q.trim())?.[1];
  const pmid = PMID.exec(q.trim())?.[1];
  const byReference: Row[] = doi || pmid
    ? await db.$queryRaw<Row[]>`
        SELECT DISTINCT ON (a.id) a.id::text AS article_id, a.slug, r.title, r.number, r.state::text AS state, 1::float8 AS rank,
               concat_ws(' ', ref.title, ref.authors, ref.source) AS headline,
               ${doi ?? pmid} AS matched_reference, false AS pending_review
        FROM reference ref JOIN revision r ON r.id = ref.revision_id JOIN article a ON a.id = r.article_id
        WHERE ${doi ? Prisma.sql`lower(ref.doi) = lower(${doi})` : Prisma.sql`ref.pmid = ${pmid}`}
        ORDER BY a.id, r.number DESC
        LIMIT ${limit}`
    : [];
  // A DOI or PMID is an identifier, not words: answer it from the reference index alone.
  if (doi || pmid) return byReference.map(toHit);
  const byText = await db.$queryRaw<Row[]>`
    WITH ${candidates(q, false)}, ranked AS (
      SELECT DISTINCT ON (r.article_id) r.article_id, s.revision_id, ts_rank_cd(s.document, q, 1) AS rank
      FROM candidates c JOIN revision_search s ON s.revision_id = c.revision_id JOIN revision r ON r.id = s.revision_id, ${query(q)} q
      ORDER BY r.article_id, rank DESC, r.number DESC
    ), hits AS (
      SELECT * FROM ranked ORDER BY rank DESC, article_id LIMIT ${limit}
    )
    SELECT a.id::text AS article_id, a.slug, r.title, r.number, r.state::text AS state, h.rank::float8 AS rank,
           ts_headline('english', left(coalesce(m.text, s.body), ${SNIPPET_SOURCE_CHARS}), ${query(q)}, ${HEADLINE_OPTIONS}) AS headline, NULL AS matched_reference, false AS pending_review
    FROM hits h JOIN revision r ON r.id = h.revision_id JOIN article a ON a.id = h.article_id JOIN revision_search s ON s.revision_id = h.revision_id
    LEFT JOIN LATERAL (${matchingPart(q)}) m ON true
    ORDER BY h.rank DESC, a.slug`;
  return byText.map(toHit);
}
