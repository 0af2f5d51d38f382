// Instant answers to readers' follow-up questions, built only from text the public can
// already read on an article page (see decision 0032).
//
// Retrieval is extractive and question-focused: every article title is a clinical
// question, so the reader's question is matched against titles (weight A), section
// headings (B) and passages (C: a paragraph, or one list item under the items it is
// nested in) in `answer_passage`, which a trigger fills at commit for every revision.
// Which passages are public is decided here, in the query, with the rule of the public
// article page (`findPublicArticle()` in services/editorial/articles.ts): the live revision, or,
// for an article with nothing live that is marked visible while pending, its newest
// revision in a state the public may see while pending (src/workflow/states.ts).
//
// The question's words are grouped: each word is a group, except words of a vocabulary
// entry (/admin/vocabulary), whose group is "the lay phrase or any professional term".
// Each group weighs by how rare it is among public passages (a word no public passage
// contains weighs most), and a passage answers only if the groups it matches carry at
// least RELEVANCE_THRESHOLD of the question's weight and it matches in its own words or
// headings, not only in the article's title. Otherwise the reader is told plainly that
// no reviewed answer exists yet and the question goes to the board.
import { Prisma } from "../../generated/prisma/client.js";
import type { Db } from "../../db/database.js";
import { renderMarkdown, citationKeys } from "../../content/markdown.js";
import { statesWhere } from "../../workflow/states.js";
import { articleView } from "../publishing/index.js";
import { findRevision } from "../editorial/index.js";

/** Share of the question's weight a passage must match to be shown as an answer. */
export const RELEVANCE_THRESHOLD = 0.4;
/** Most passages shown for one question. */
export const MAX_ANSWERS = 3;
/** Document frequencies are counted up to this many passages (enough to tell rare from common). */
const DF_CAP = 200;
/** Passages scored per question, at most. */
const MAX_CANDIDATES = 1000;

/**
 * Words of how people ask rather than what they ask about. They are left out of the
 * question's terms: "does baclofen make you sleepy" is about baclofen and sleepiness.
 */
const QUESTION_WORDS =
  "take taking took use using used make makes making get gets getting help helps work works need needs " +
  "good bad ok okay much many long often best better way ways thing things know tell mean means happen happens " +
  "someone somebody people person really still also anything something normal usual usually would could might " +
  "want like ever every day week time times question answer right possible recommend recommended doctor " +
  "cause causes caused worse worsen affect affects risk risks low high safe safely";

const PENDING_VISIBLE = statesWhere("visibleWhilePending");

export interface AskCitation {
  number: number;
  title: string | null;
  source: string | null;
  year: number | null;
}

export interface AskAnswer {
  article: { slug: string; title: string; url: string };
  section: { heading: string; url: string };
  /** The passage as plain text, citation markers as [n]. */
  text: string;
  /** The passage rendered as on the article (escaped Markdown, citation links to the article). */
  html: string;
  citations: AskCitation[];
  reviewedBy: { name: string; credentials: string | null; meaning: string; signedAt: string; valid: boolean }[];
  lastReviewed: string | null;
  pendingReview: boolean;
  /** The audience whose version this passage is from (null: as written for professionals). */
  audience: string | null;
  /** Internal: the passage row, for the helpfulness vote. */
  passageId: string;
  coverage: number;
}

export interface AskResult {
  question: string;
  status: "answered" | "no-reviewed-answer";
  answers: AskAnswer[];
  /** The question's terms, sorted: questions with the same terms are one group in the queue. */
  normalized: string;
}

interface Group {
  query: string;
}

const quoteLexeme = (lexeme: string) => `'${lexeme.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

/** The question's term groups (vocabulary applied) and its normalized form. */
export async function questionTerms(db: Db, question: string): Promise<{ groups: Group[]; normalized: string }> {
  // One round trip: the question's words and the vocabulary pairs whose lay phrase it contains.
  const [row] = await db.$queryRaw<{ lexemes: string[]; vocabulary: { lay: string; lay_q: string; pro_q: string; lay_lexemes: string[] }[] }[]>`
    SELECT
      ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', ${question}))
            WHERE lexeme <> ALL (SELECT lexeme FROM unnest(to_tsvector('english', ${QUESTION_WORDS})))
              AND lexeme !~ '^[0-9.,/-]+$' AND length(lexeme) > 1
            ORDER BY lexeme) AS lexemes,
      coalesce((
        SELECT json_agg(json_build_object(
                 'lay', lower(v.lay_term),
                 'lay_q', phraseto_tsquery('english', v.lay_term)::text,
                 'pro_q', phraseto_tsquery('english', v.professional_term)::text,
                 'lay_lexemes', ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', v.lay_term))))
               ORDER BY v.lay_term, v.professional_term)
        FROM ask_vocabulary v
        WHERE numnode(phraseto_tsquery('english', v.lay_term)) > 0 AND numnode(phraseto_tsquery('english', v.professional_term)) > 0
          AND to_tsvector('english', ${question}) @@ phraseto_tsquery('english', v.lay_term)
      ), '[]'::json) AS vocabulary`;
  const lexemes = (row?.lexemes ?? []).map((lexeme) => ({ lexeme }));
  const vocabulary = row?.vocabulary ?? [];
  const byLay = new Map<string, { lay: string; pros: string[]; lexemes: string[] }>();
  for (const v of vocabulary) {
    const entry = byLay.get(v.lay) ?? { lay: v.lay_q, pros: [], lexemes: v.lay_lexemes };
    entry.pros.push(v.pro_q);
    byLay.set(v.lay, entry);
  }
  const consumed = new Set([...byLay.values()].flatMap((e) => e.lexemes));
  const groups: Group[] = [...byLay.values()].map((e) => ({ query: [e.lay, ...e.pros].map((q) => `(${q})`).join(" | ") }));
  const words = [...new Set(lexemes.map((l) => l.lexeme))];
  for (const word of words) if (!consumed.has(word)) groups.push({ query: quoteLexeme(word) });
  // Two lay words for one thing ("stiff", "stiffness") are one term, not two.
  const unique = [...new Map(groups.map((g) => [g.query, g])).values()];
  const normalized = words.length ? words.join(" ") : question.toLowerCase().replace(/\s+/g, " ").trim();
  return { groups: unique, normalized };
}

/** Passages of revisions the public may read, as on the article page; `p`, `r`, `a` are in scope. */
function publicPassage(audience: string | null) {
  const audienceRule = audience === null
    ? Prisma.sql`p.audience_slug IS NULL`
    : Prisma.sql`(p.audience_slug = ${audience} OR (p.audience_slug IS NULL AND NOT EXISTS (
        SELECT 1 FROM content_variant v WHERE v.revision_id = p.revision_id AND v.audience_slug = ${audience} AND v.section_key IS NOT DISTINCT FROM p.section_key)))`;
  return Prisma.sql`a.current_revision_id IS NOT NULL AND (
      a.published_revision_id = r.id
      OR (a.published_revision_id IS NULL AND a.visible_while_pending AND r.state::text = ANY(${PENDING_VISIBLE}::text[])
          AND r.number = (SELECT max(r2.number) FROM revision r2 WHERE r2.article_id = a.id AND r2.state::text = ANY(${PENDING_VISIBLE}::text[])))
    ) AND ${audienceRule}`;
}

interface Hit {
  id: string;
  revision_id: string;
  slug: string;
  published_revision_id: string | null;
  audience_slug: string | null;
  section_key: string | null;
  title: string;
  heading: string;
  body: string;
  coverage: number;
  rank: number;
}

/** The best public passages for a question (empty when none is relevant enough). */
export async function findAnswerPassages(db: Db, question: string, audience: string | null, limit = MAX_ANSWERS) {
  const terms = await questionTerms(db, question);
  if (!terms.groups.length) return { terms, hits: [] as Hit[] };
  const queries = terms.groups.map((g) => g.query);
  // One round trip. Each group weighs ln(1 + DF_CAP / (df + 1)), df counted up to DF_CAP among
  // public passages. A passage matching none of the rarest groups that together carry more than
  // 1 − threshold of the weight cannot reach the threshold: only the others are candidates.
  const hits = await db.$queryRaw<Hit[]>`
    WITH g AS (
      SELECT ord, q::tsquery AS q FROM unnest(${queries}::text[]) WITH ORDINALITY AS t(q, ord)
    ), weighted AS (
      SELECT g.ord, g.q, ln(1 + ${DF_CAP}::float8 / (1 + (SELECT count(*) FROM (
        SELECT 1 FROM answer_passage p JOIN revision r ON r.id = p.revision_id JOIN article a ON a.id = r.article_id
        WHERE p.document @@ g.q AND ${publicPassage(audience)} LIMIT ${DF_CAP}) x))) AS w
      FROM g
    ), total AS (
      SELECT sum(w) AS total FROM weighted
    ), required AS (
      SELECT q FROM (
        SELECT q, coalesce(sum(w) OVER (ORDER BY w DESC, ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM weighted
      ) o, total
      WHERE o.before <= (1 - ${RELEVANCE_THRESHOLD}::float8) * total.total + 1e-9
    ), any_required AS (
      SELECT string_agg('(' || q::text || ')', ' | ')::tsquery AS q FROM required
    ), cand AS (
      SELECT p.id FROM answer_passage p JOIN revision r ON r.id = p.revision_id JOIN article a ON a.id = r.article_id, any_required
      WHERE p.document @@ any_required.q AND ${publicPassage(audience)}
      LIMIT ${MAX_CANDIDATES}
    ), scored AS (
      SELECT p.id, sum(w.w) FILTER (WHERE p.document @@ w.q) / max(total.total) AS coverage,
             bool_or(p.own_document @@ w.q) AS own,
             ts_rank(p.document, ${queries.map((q) => `(${q})`).join(" | ")}::tsquery) AS rank
      FROM cand c JOIN answer_passage p ON p.id = c.id CROSS JOIN weighted w CROSS JOIN total
      GROUP BY p.id
    )
    SELECT p.id::text, p.revision_id::text, a.slug, a.published_revision_id::text, p.audience_slug, p.section_key,
           p.title, p.heading, p.body, s.coverage::float8 AS coverage, s.rank::float8 AS rank
    FROM scored s JOIN answer_passage p ON p.id = s.id JOIN revision r ON r.id = p.revision_id JOIN article a ON a.id = r.article_id
    WHERE s.own AND s.coverage >= ${RELEVANCE_THRESHOLD}
    ORDER BY s.coverage DESC, s.rank DESC, a.slug, p.position, p.ordinal
    LIMIT ${limit}`;
  return { terms, hits };
}

// What an answer shows of its revision (references, signatures) is read once per revision
// and audience: revisions never change. Signatures are re-verified after ten minutes, as the
// public page is (decision 0007).
const REVISION_FACTS_TTL_MS = 10 * 60_000;
const REVISION_FACTS_MAX = 500;
type RevisionFacts = Awaited<ReturnType<typeof loadRevisionFacts>>;
const revisionFacts = new Map<string, { at: number; facts: Promise<RevisionFacts> }>();

async function loadRevisionFacts(db: Db, revisionId: string, audience: string | null) {
  const revision = await findRevision(db, revisionId);
  if (!revision) return null;
  const view = articleView(revision, { pendingReview: false, newestState: revision.state, nextReviewDue: null, audience: audience ? { slug: audience, name: audience } : null });
  const byKey = new Map(view.rendered.references.map((r) => [r.key, r]));
  return {
    numberOf: (key: string) => byKey.get(key)?.number ?? undefined,
    reference: (key: string) => byKey.get(key),
    reviewedBy: view.reviewedBy.map((r) => ({ name: r.name, credentials: r.credentials, meaning: r.meaning, signedAt: r.signedAt.toISOString(), valid: r.valid })),
    lastReviewed: view.lastReviewed ? view.lastReviewed.toISOString() : null,
  };
}

function factsOf(db: Db, revisionId: string, audience: string | null) {
  const key = `${revisionId}|${audience ?? ""}`;
  const now = Date.now();
  const cached = revisionFacts.get(key);
  if (cached && now - cached.at < REVISION_FACTS_TTL_MS) return cached.facts;
  if (revisionFacts.size >= REVISION_FACTS_MAX) revisionFacts.delete(revisionFacts.keys().next().value!);
  const facts = loadRevisionFacts(db, revisionId, audience);
  revisionFacts.set(key, { at: now, facts });
  facts.catch(() => revisionFacts.delete(key));
  return facts;
}

/** The passage as plain text: list markers and emphasis dropped, citations as [n]. */
function plainText(body: string, numberOf: (key: string) => number | undefined): string {
  return body
    .split("\n")
    .map((line) => line.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, "").replace(/\*\*|__|`/g, "").trim())
    .filter(Boolean)
    .join("\n")
    .replace(/\[(@[^\]]+)\]/g, (_m, inner: string) => {
      const numbers = inner.split(";").map((k) => numberOf(k.trim().replace(/^@/, ""))).filter((n): n is number => n !== undefined);
      return numbers.length ? `[${numbers.join(", ")}]` : "";
    })
    .replace(/[ \t]+/g, " ");
}

/** Answers a reader's question from public, reviewed text only. The page and the API both call this. */
export async function answerQuestion(db: Db, question: string, options: { audience?: string | null } = {}): Promise<AskResult> {
  const audience = options.audience ?? null;
  const { terms, hits } = await findAnswerPassages(db, question, audience);
  const answers: AskAnswer[] = [];
  const seen = new Set<string>();
  for (const hit of hits) {
    if (seen.has(hit.body)) continue;
    seen.add(hit.body);
    // Citation numbers as on the page the reader chose: the audience version numbers its own citations.
    const facts = await factsOf(db, hit.revision_id, audience);
    if (!facts) continue;
    const articleUrl = `/articles/${encodeURIComponent(hit.slug)}${audience ? `?for=${encodeURIComponent(audience)}` : ""}`;
    const anchor = hit.section_key === null ? "#summary-heading" : `#section-${hit.section_key}`;
    const keys = [...new Set(citationKeys(hit.body))];
    const citations = keys
      .map((key) => ({ key, number: facts.numberOf(key) }))
      .filter((c): c is { key: string; number: number } => c.number !== undefined)
      .sort((x, y) => x.number - y.number)
      .map(({ key, number }) => {
        const ref = facts.reference(key)!;
        return { number, title: ref.detailsMissing ? null : ref.title, source: ref.detailsMissing ? null : ref.source, year: ref.detailsMissing ? null : ref.year };
      });
    const html = renderMarkdown(hit.body, { numberOf: facts.numberOf }).replace(/href="#ref-(\d+)"/g, (_m, n: string) => `href="${articleUrl}#ref-${n}"`);
    answers.push({
      article: { slug: hit.slug, title: hit.title, url: articleUrl },
      section: { heading: hit.heading, url: `${articleUrl}${anchor}` },
      text: plainText(hit.body, facts.numberOf),
      html,
      citations,
      reviewedBy: facts.reviewedBy,
      lastReviewed: facts.lastReviewed,
      pendingReview: hit.revision_id !== hit.published_revision_id,
      audience: hit.audience_slug,
      passageId: hit.id,
      coverage: hit.coverage,
    });
  }
  return { question, status: answers.length ? "answered" : "no-reviewed-answer", answers, normalized: terms.normalized };
}

/** The audience a reader asked for (by ?for= or their remembered choice); null for the default (the text as written). */
export async function readerAudience(db: Db, slug: string | undefined): Promise<{ slug: string; name: string } | null> {
  if (!slug) return null;
  const audience = await db.audience.findUnique({ where: { slug }, select: { slug: true, name: true, isDefault: true } });
  return audience && !audience.isDefault ? { slug: audience.slug, name: audience.name } : null;
}

/** A bare full-text query of the same words (for the benchmark's baseline). */
export async function bareFullTextQuery(db: Db, question: string) {
  return db.$queryRaw<{ id: string }[]>`
    SELECT p.id::text FROM answer_passage p, plainto_tsquery('english', ${question}) q
    WHERE p.document @@ q ORDER BY ts_rank(p.document, q) DESC LIMIT ${MAX_ANSWERS}`;
}

/** Every passage of one article that answers may show (the proof that they are exactly the public text). */
export async function publicPassagesOf(db: Db, slug: string, audience: string | null = null) {
  return db.$queryRaw<{ revision_id: string; section_key: string | null; body: string }[]>`
    SELECT p.revision_id::text, p.section_key, p.body
    FROM answer_passage p JOIN revision r ON r.id = p.revision_id JOIN article a ON a.id = r.article_id
    WHERE a.slug = ${slug} AND ${publicPassage(audience)}
    ORDER BY p.position, p.ordinal`;
}
