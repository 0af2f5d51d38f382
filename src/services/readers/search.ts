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

// ts_headline re-reads the text it highlights: at most this much of the part it quotes
// (matches further into a very long section still rank, see decision 0018).
const SNIPPET_SOURCE_CHARS = 4000;
// Without a match, ts_headline shows the first MinWords words: their text is all it needs.
const OPENING_CHARS = 600;

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
 * True when revision `r` of article `a` is the one the public article page shows
 * (findPublicArticle in services/editorial/articles.ts): the article's published revision, or,
 * when nothing is published and the article is visible while pending, its newest revision in a
 * "visible while pending" state (the states table decides which). Checked per candidate, after
 * the GIN index has found it, through the candidate's own revision and article rows (two
 * primary-key reads), never by reading every article.
 */
function isPublicRevision() {
  const pendingStates = Prisma.join(statesWhere("visibleWhilePending"));
  return Prisma.sql`(
    a.published_revision_id = r.id
    OR (a.published_revision_id IS NULL AND a.visible_while_pending AND r.state::text IN (${pendingStates})
        AND NOT EXISTS (
          SELECT 1 FROM revision newer
          WHERE newer.article_id = r.article_id AND newer.number > r.number AND newer.state::text IN (${pendingStates})
        ))
  )`;
}

/**
 * The revisions to rank, with what the results need of their revision and article, so
 * ranking joins nothing more: heading matches first, then body-only ones, MAX_RANKED in all.
 */
function candidates(q: string, publicOnly: boolean) {
  const visible = publicOnly ? Prisma.sql`AND ${isPublicRevision()}` : Prisma.empty;
  // Per index match, its revision and article by primary key. (A plain join lets the planner,
  // misjudging how many documents match, read every revision and article instead; LIMIT 1
  // keeps the look-up inside the loop over matches, which stops at the cap.)
  const found = (match: Prisma.Sql) => Prisma.sql`
      SELECT s.revision_id, s.document, v.article_id, v.number, v.slug, v.pending_review
      FROM revision_search s, ${query(q)} q, LATERAL (
        SELECT r.article_id, r.number, a.slug, a.published_revision_id IS DISTINCT FROM r.id AS pending_review
        FROM revision r JOIN article a ON a.id = r.article_id
        WHERE r.id = s.revision_id ${visible}
        LIMIT 1
      ) v
      WHERE ${match}
      LIMIT ${MAX_RANKED}`;
  return Prisma.sql`
    head AS (${found(Prisma.sql`s.heading_document @@ q`)}
    ), body AS (${found(Prisma.sql`s.document @@ q AND NOT (s.heading_document @@ q)`)}
    ), candidates AS (
      SELECT * FROM head
      UNION ALL
      (SELECT * FROM body LIMIT greatest(0, ${MAX_RANKED} - (SELECT count(*) FROM head)))
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
      SELECT c.article_id, c.slug, c.revision_id, c.pending_review, ts_rank_cd(c.document, q, 1) AS rank
      FROM candidates c, ${query(q)} q
      ORDER BY rank DESC, c.slug
      LIMIT ${limit}
    )
    SELECT h.article_id::text, h.slug, r.title, r.number, r.state::text AS state, h.rank::float8 AS rank,
           ${snippet(q)} AS headline, NULL AS matched_reference, h.pending_review
    FROM hits h JOIN revision r ON r.id = h.revision_id JOIN revision_search s ON s.revision_id = h.revision_id
    ORDER BY h.rank DESC, h.slug`;
  return rows.map(toHit);
}

/** Citation markers ([@key]) are not words a reader looks for. */
const withoutMarkers = (text: Prisma.Sql) => Prisma.sql`regexp_replace(${text}, '\\[@[^\\]]*\\]', ' ', 'g')`;

/**
 * The snippet of a hit (revision `r`, its search row `s`): ts_headline over the part of the
 * revision that holds the matched words, so it quotes them wherever they lie. ts_headline
 * re-parses the text it is given and its cost grows with that text (a part is a few hundred
 * words, the body several thousand), so where the words are is read first from the weights in
 * the row's tsvector (B headings, C summary and body, D references) and only parts that can
 * match are parsed: the summary; else the first section whose heading matches; else the first
 * section, heading and body, that matches; else the references. Words spread over several
 * parts get the body's opening, as before; a title-only match gets its first words.
 */
function snippet(q: string) {
  const matches = (text: Prisma.Sql) => Prisma.sql`to_tsvector('english', ${text}) @@ ${query(q)}`;
  const weighted = (weights: string) => Prisma.sql`ts_filter(s.document, ${`{${weights}}`}::"char"[]) @@ ${query(q)}`;
  const summary = withoutMarkers(Prisma.sql`r.summary`);
  const section = withoutMarkers(Prisma.sql`sec.heading || E'\\n' || sec.body`);
  const firstSection = (where: Prisma.Sql) => Prisma.sql`(SELECT left(${section}, ${SNIPPET_SOURCE_CHARS}) FROM section sec
        WHERE sec.revision_id = r.id AND ${matches(where)} ORDER BY sec.position LIMIT 1)`;
  return Prisma.sql`ts_headline('english', coalesce(
      CASE WHEN ${weighted("c")} AND ${matches(summary)} THEN left(${summary}, ${SNIPPET_SOURCE_CHARS}) END,
      CASE WHEN ${weighted("b")} THEN ${firstSection(Prisma.sql`sec.heading`)} END,
      CASE WHEN ${weighted("b,c")} THEN ${firstSection(section)} END,
      CASE WHEN ${weighted("d")} THEN left(s.reference_text, ${SNIPPET_SOURCE_CHARS}) END,
      left(s.body, CASE WHEN ${weighted("b,c,d")} THEN ${SNIPPET_SOURCE_CHARS}::int ELSE ${OPENING_CHARS}::int END)
    ), ${query(q)}, ${HEADLINE_OPTIONS})`;
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
      SELECT DISTINCT ON (c.article_id) c.article_id, c.revision_id, ts_rank_cd(c.document, q, 1) AS rank
      FROM candidates c, ${query(q)} q
      ORDER BY c.article_id, rank DESC, c.number DESC
    ), hits AS (
      SELECT * FROM ranked ORDER BY rank DESC, article_id LIMIT ${limit}
    )
    SELECT a.id::text AS article_id, a.slug, r.title, r.number, r.state::text AS state, h.rank::float8 AS rank,
           ${snippet(q)} AS headline, NULL AS matched_reference, false AS pending_review
    FROM hits h JOIN revision r ON r.id = h.revision_id JOIN article a ON a.id = h.article_id JOIN revision_search s ON s.revision_id = h.revision_id
    ORDER BY h.rank DESC, a.slug`;
  return byText.map(toHit);
}
