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
// headings, not only in the article's title; answers are ordered by that share, then by how
// densely the passage matches. Otherwise the reader is told plainly that no reviewed answer
// exists yet and the question goes to the board. How this stays fast at 10,000 articles
// (the full-text index drives every query, caches checked on every question): decision 0032.
import { Prisma } from "../../generated/prisma/client.js";
import type { Db } from "../../db/database.js";
import { renderMarkdown, citationKeys } from "../../content/markdown.js";
import { statesWhere } from "../../workflow/states.js";
import { revisionCitationNumbering } from "../../content/render.js";
import { contentHash, hasRequiredDetails, sortedVariants, type RevisionContent } from "../../content/revision-content.js";
import { meaningAppliesTo } from "../review/index.js";

/** Share of the question's weight a passage must match to be shown as an answer. */
export const RELEVANCE_THRESHOLD = 0.5;
/** Most passages shown for one question. */
export const MAX_ANSWERS = 3;
/** Document frequencies are counted up to this many passages (enough to tell rare from common). */
const DF_CAP = 200;
/**
 * A word in at least this many passages (of any revision) is common: its df is taken as the cap.
 * `answer_term` stops counting there (migration 20261207120000 names the same number).
 */
const COMMON_PASSAGES = 10 * DF_CAP;
/**
 * Passages scored per question, at most, for each of the two candidate sets (those matching every
 * term, and those matching enough of them). When more match, the first ones the full-text index
 * returns are scored: a bound on the work of one question, whatever the size of the library.
 */
const MAX_CANDIDATES = 150;
/** Questions with more terms than this are narrowed with a looser (necessary, not sufficient) filter. */
const MAX_EXACT_TERMS = 8;
/**
 * How long the vocabulary and the word weights are kept in memory. Both are also checked against
 * a version read with every question (the vocabulary's entries, the audit trail's newest event),
 * so a change shows at once; the time limit only bounds what a race between two commits can leave.
 */
const CACHE_TTL_MS = 60_000;
const MAX_CACHED_WEIGHTS = 20_000;

/**
 * Words of how people ask rather than what they ask about. They are left out of the
 * question's terms: "does baclofen make you sleepy" is about baclofen and sleepiness.
 */
const QUESTION_WORDS =
  "take taking took use using used make makes making get gets getting help helps work works need needs " +
  "good bad ok okay much many long often best better way ways thing things know tell mean means happen happens " +
  "someone somebody people person really still also anything something normal usual usually would could might " +
  "want like ever every day week time times question answer right possible recommend recommended doctor " +
  "cause causes caused worse worsen affect affects risk risks low high safe safely hurt hurts harm harms " +
  "done give gives given giving choice choose worry worried worries concern concerned problem problems issue issues";

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

// ---- the vocabulary, in memory

interface Vocabulary {
  /** Number of entries and the newest one's time: any addition or removal changes it. */
  version: string;
  loadedAt: number;
  /** Lexemes of QUESTION_WORDS, as the database's English configuration stems them. */
  questionWords: Set<string>;
  /** One per lay phrase (lower case): its phrase query, its lexemes and the professional terms' queries. */
  entries: { layQuery: string; layLexemes: string[]; proQueries: string[] }[];
}

/** What is kept in memory, per database (a process may open more than one: the benchmark does). */
interface Cached {
  vocabulary: Vocabulary | null;
  weights: Map<string, { df: number; stamp: string; at: number }>;
  jitAvailable: Promise<boolean> | null;
  revisionFacts: Map<string, { at: number; facts: Promise<RevisionFacts | undefined> }>;
}
const caches = new WeakMap<Db, Cached>();
function cacheOf(db: Db): Cached {
  let cached = caches.get(db);
  if (!cached) caches.set(db, (cached = { vocabulary: null, weights: new Map(), jitAvailable: null, revisionFacts: new Map() }));
  return cached;
}

async function loadVocabulary(db: Db): Promise<Vocabulary> {
  const [row] = await db.$queryRaw<{ version: string; question_words: string[]; pairs: { lay: string; lay_q: string; pro_q: string; lay_lexemes: string[] }[] }[]>`
    SELECT
      (SELECT count(*) || '/' || coalesce(max(created_at)::text, '') FROM ask_vocabulary) AS version,
      ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', ${QUESTION_WORDS}))) AS question_words,
      coalesce((
        SELECT json_agg(json_build_object(
                 'lay', lower(v.lay_term),
                 'lay_q', phraseto_tsquery('english', v.lay_term)::text,
                 'pro_q', phraseto_tsquery('english', v.professional_term)::text,
                 'lay_lexemes', ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', v.lay_term))))
               ORDER BY v.lay_term, v.professional_term)
        FROM ask_vocabulary v
        WHERE numnode(phraseto_tsquery('english', v.lay_term)) > 0 AND numnode(phraseto_tsquery('english', v.professional_term)) > 0
      ), '[]'::json) AS pairs`;
  const byLay = new Map<string, Vocabulary["entries"][number]>();
  for (const pair of row?.pairs ?? []) {
    const entry = byLay.get(pair.lay) ?? { layQuery: pair.lay_q, layLexemes: pair.lay_lexemes, proQueries: [] };
    entry.proQueries.push(pair.pro_q);
    byLay.set(pair.lay, entry);
  }
  return { version: row?.version ?? "", loadedAt: Date.now(), questionWords: new Set(row?.question_words ?? []), entries: [...byLay.values()] };
}

/** The question's words, which lay phrases of the vocabulary it contains, and the versions to check caches against. */
async function readQuestion(db: Db, question: string, vocab: Vocabulary) {
  const [row] = await db.$queryRaw<{ lexemes: string[]; matched: number[]; version: string; stamp: string }[]>`
    WITH t AS (SELECT to_tsvector('english', ${question}) AS v)
    SELECT
      ARRAY(SELECT lexeme FROM t, unnest(t.v) ORDER BY lexeme) AS lexemes,
      ARRAY(SELECT (i - 1)::int FROM t, unnest(${vocab.entries.map((e) => e.layQuery)}::text[]) WITH ORDINALITY AS l(q, i) WHERE t.v @@ l.q::tsquery) AS matched,
      (SELECT count(*) || '/' || coalesce(max(created_at)::text, '') FROM ask_vocabulary) AS version,
      (SELECT coalesce(max(id), 0)::text FROM audit_event) AS stamp`;
  return { lexemes: row?.lexemes ?? [], matched: row?.matched ?? [], version: row?.version ?? "", stamp: row?.stamp ?? "" };
}

/** The question's term groups (vocabulary applied), its normalized form, and the audit trail's newest event. */
export async function questionTerms(db: Db, question: string): Promise<{ groups: Group[]; normalized: string; stamp: string }> {
  const cache = cacheOf(db);
  let vocab = cache.vocabulary && Date.now() - cache.vocabulary.loadedAt < CACHE_TTL_MS ? cache.vocabulary : (cache.vocabulary = await loadVocabulary(db));
  let read = await readQuestion(db, question, vocab);
  if (read.version !== vocab.version) {
    // The vocabulary changed since it was loaded (here or in another process): load it again.
    vocab = cache.vocabulary = await loadVocabulary(db);
    read = await readQuestion(db, question, vocab);
  }
  const matched = read.matched.map((i) => vocab.entries[i]!);
  const consumed = new Set(matched.flatMap((e) => e.layLexemes));
  const groups: Group[] = matched.map((e) => ({ query: [e.layQuery, ...e.proQueries].map((q) => `(${q})`).join(" | ") }));
  const words = [...new Set(read.lexemes)].filter((l) => !vocab.questionWords.has(l) && !/^[0-9.,/-]+$/.test(l) && [...l].length > 1);
  for (const word of words) if (!consumed.has(word)) groups.push({ query: quoteLexeme(word) });
  // Two lay words for one thing ("stiff", "stiffness") are one term, not two.
  const unique = [...new Map(groups.map((g) => [g.query, g])).values()];
  const normalized = words.length ? words.join(" ") : question.toLowerCase().replace(/\s+/g, " ").trim();
  return { groups: unique, normalized, stamp: read.stamp };
}

// ---- which passages are public

/**
 * Passages of revisions the public may read, as on the article page; `p` (answer_passage) is in
 * scope. The rule of `findPublicArticle()`: an article with a current revision shows its live
 * revision, or, with nothing live and "visible while pending review" set, its newest revision in
 * a state the public may see while pending. Written as a lookup per passage (its article by primary
 * key), so a query walks the full-text index's matches and stops at its limit.
 */
function publicPassage(audience: string | null) {
  const audienceRule = audience === null
    ? Prisma.sql`p.audience_slug IS NULL`
    : Prisma.sql`(p.audience_slug = ${audience} OR (p.audience_slug IS NULL AND NOT EXISTS (
        SELECT 1 FROM content_variant v WHERE v.revision_id = p.revision_id AND v.audience_slug = ${audience} AND v.section_key IS NOT DISTINCT FROM p.section_key)))`;
  return Prisma.sql`p.revision_id = (
      SELECT CASE
        WHEN a.published_revision_id IS NOT NULL THEN a.published_revision_id
        WHEN a.visible_while_pending THEN (
          SELECT r.id FROM revision r WHERE r.article_id = a.id AND r.state::text = ANY(${PENDING_VISIBLE}::text[]) ORDER BY r.number DESC LIMIT 1)
      END
      FROM article a WHERE a.id = p.article_id AND a.current_revision_id IS NOT NULL
    ) AND ${audienceRule}`;
}

// ---- no compiling

/**
 * Runs an answer query with just-in-time compilation off. A PostgreSQL server with JIT compiles a
 * query whose estimated cost passes `jit_above_cost`, and these estimates are high (the planner
 * cannot know that a passage's article is nearly always the public one, so it expects to walk
 * every full-text match), while the queries stop after a few hundred rows: compiling would cost
 * far more than running. The embedded database has no JIT, so it needs no transaction for this.
 */
async function withoutJit<T>(db: Db, query: (db: Db) => Prisma.PrismaPromise<T>): Promise<T> {
  const cache = cacheOf(db);
  cache.jitAvailable ??= db.$queryRaw<{ on: boolean }[]>`SELECT pg_jit_available() AND current_setting('jit')::boolean AS on`
    .then(([row]) => row?.on ?? false, () => false);
  if (!(await cache.jitAvailable)) return query(db);
  const [, result] = await db.$transaction([db.$executeRaw`SET LOCAL jit = off`, query(db)]);
  return result;
}

// ---- word weights, in memory

/** The words of a group's query, by alternative: "'muscl' <-> 'relax'" is one alternative of two words. */
function alternativesOf(query: string): string[][] {
  return query.split(" | ").map((alternative) => [...alternative.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'").replace(/\\\\/g, "\\")));
}

/**
 * Each group's weight: ln(1 + DF_CAP / (df + 1)), df = public passages matching it, counted up to
 * DF_CAP. A group that `answer_term` shows in COMMON_PASSAGES passages or more (of any revision;
 * a phrase counts as its rarest word) is common: its df is the cap, without reading its
 * full-text index list. Kept in memory while the audit trail has no newer event (every change
 * to what the public reads is audited), and for at most CACHE_TTL_MS.
 */
async function groupWeights(db: Db, groups: Group[], audience: string | null, stamp: string): Promise<number[]> {
  const weightCache = cacheOf(db).weights;
  const now = Date.now();
  const keyOf = (g: Group) => `${audience ?? ""}|${g.query}`;
  const fresh = (g: Group) => {
    const cached = weightCache.get(keyOf(g));
    return cached && cached.stamp === stamp && now - cached.at < CACHE_TTL_MS ? cached.df : undefined;
  };
  const missing = groups.filter((g) => fresh(g) === undefined);
  if (missing.length) {
    const alternatives = missing.map((g) => alternativesOf(g.query));
    const words = [...new Set(alternatives.flat(2))];
    const counts = new Map((await db.$queryRaw<{ lexeme: string; passages: number }[]>`
      SELECT lexeme, passages FROM answer_term WHERE lexeme = ANY(${words}::text[])`).map((t) => [t.lexeme, t.passages]));
    const upperBound = (alts: string[][]) => alts.reduce((sum, alt) => sum + Math.min(...alt.map((w) => counts.get(w) ?? 0)), 0);
    const dfs = new Map<Group, number>();
    const toCount = missing.filter((g, i) => (upperBound(alternatives[i]!) >= COMMON_PASSAGES ? (dfs.set(g, DF_CAP), false) : true));
    if (toCount.length) {
      const exact = toCount.map((g) => Prisma.sql`(SELECT count(*) FROM (
          SELECT 1 FROM answer_passage p WHERE p.document @@ ${g.query}::tsquery AND ${publicPassage(audience)} LIMIT ${DF_CAP}) x)::int`);
      const [row] = await withoutJit(db, (client) => client.$queryRaw<{ dfs: number[] }[]>`SELECT ARRAY[${Prisma.join(exact)}] AS dfs`);
      toCount.forEach((g, i) => dfs.set(g, row!.dfs[i]!));
    }
    if (weightCache.size + missing.length > MAX_CACHED_WEIGHTS) weightCache.clear();
    for (const g of missing) weightCache.set(keyOf(g), { df: dfs.get(g)!, stamp, at: now });
  }
  return groups.map((g) => Math.log(1 + DF_CAP / (fresh(g)! + 1)));
}

/**
 * A full-text query that a passage matches exactly when the groups it matches carry at least the
 * threshold's share of the weight: the smallest such sets of groups, each an AND, joined by OR.
 * With many terms, a looser query: one of the rarest groups that together carry more than
 * 1 − threshold of the weight (a passage matching none of them cannot reach the threshold).
 */
function enoughTermsQuery(queries: string[], weights: number[], total: number): string {
  const needed = RELEVANCE_THRESHOLD * total - 1e-9;
  const order = queries.map((_, i) => i).sort((x, y) => weights[y]! - weights[x]! || x - y);
  if (queries.length > MAX_EXACT_TERMS) {
    const required: number[] = [];
    let before = 0;
    for (const i of order) {
      if (before > (1 - RELEVANCE_THRESHOLD) * total + 1e-9) break;
      required.push(i);
      before += weights[i]!;
    }
    return required.map((i) => `(${queries[i]})`).join(" | ");
  }
  const minimal: number[][] = [];
  for (let mask = 1; mask < 1 << queries.length; mask++) {
    const members = order.filter((_, k) => mask & (1 << k));
    const sum = members.reduce((s, i) => s + weights[i]!, 0);
    if (sum < needed) continue;
    // Minimal: leaving out any one group drops below the threshold.
    if (members.some((i) => sum - weights[i]! >= needed)) continue;
    minimal.push(members);
  }
  return minimal.map((set) => `(${set.map((i) => `(${queries[i]})`).join(" & ")})`).join(" | ");
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
  const weights = await groupWeights(db, terms.groups, audience, terms.stamp);
  const total = weights.reduce((s, w) => s + w, 0);
  const any = queries.map((q) => `(${q})`).join(" | ");
  const all = queries.map((q) => `(${q})`).join(" & ");
  const enough = enoughTermsQuery(queries, weights, total);
  // Candidates come from the full-text index, each set capped: passages matching every term
  // (the best answers; the index intersects the rarest term's matches, so this is cheap),
  // then, only when those are too few, passages matching enough of the terms (a common word
  // alone can match tens of thousands of passages: it is looked up only when needed). Only
  // candidates are scored. A passage must match in its own words or headings, not only the
  // article's title that every passage of the article shares.
  const candidates = (query: string) => Prisma.sql`
      SELECT p.id, p.article_id, p.position, p.ordinal, p.document FROM answer_passage p
      WHERE p.document @@ ${query}::tsquery AND p.own_document @@ ${any}::tsquery AND ${publicPassage(audience)}
      LIMIT ${MAX_CANDIDATES}`;
  // The share of the question's weight a passage matches, with the weights as constants.
  const coverage = Prisma.sql`(${Prisma.join(queries.map((q, i) => Prisma.sql`CASE WHEN c.document @@ ${q}::tsquery THEN ${weights[i]! / total}::float8 ELSE 0 END`), " + ")})`;
  const hits = await withoutJit(db, (client) => client.$queryRaw<Hit[]>`
    WITH every_term AS MATERIALIZED (${candidates(all)}),
    enough_terms AS MATERIALIZED (
      SELECT * FROM (${candidates(enough)}) x WHERE (SELECT count(*) FROM every_term) < ${limit}
    ), scored AS MATERIALIZED (
      SELECT c.id, c.article_id, c.position, c.ordinal, ${coverage} AS coverage,
             ts_rank('{1,1,1,1}', c.document, ${any}::tsquery, 2) AS rank
      FROM (SELECT * FROM every_term UNION ALL SELECT * FROM enough_terms WHERE id NOT IN (SELECT id FROM every_term)) c
    ), best AS (
      SELECT * FROM scored WHERE coverage >= ${RELEVANCE_THRESHOLD}::float8 - 1e-9
      ORDER BY coverage DESC, rank DESC, article_id, position, ordinal
      LIMIT ${limit}
    )
    SELECT p.id::text, p.revision_id::text, a.slug, a.published_revision_id::text, p.audience_slug, p.section_key,
           p.title, p.heading, p.body, b.coverage::float8 AS coverage, b.rank::float8 AS rank
    FROM best b JOIN answer_passage p ON p.id = b.id JOIN article a ON a.id = b.article_id
    ORDER BY b.coverage DESC, b.rank DESC, b.article_id, b.position, b.ordinal`);
  return { terms, hits };
}

// What an answer shows of its revision (citation numbers, references, reviewers) is worked out
// once per revision and kind of page (as written, or an audience's version) and kept for ten
// minutes: revisions never change, and signatures are re-verified as often as the public page
// re-renders (decision 0007). The revisions an answer needs are read in one statement.
const REVISION_FACTS_TTL_MS = 10 * 60_000;
const REVISION_FACTS_MAX = 500;

interface RevisionFacts {
  numberOf: (key: string) => number | undefined;
  reference: (key: string) => { title: string | null; source: string | null; year: number | null; detailsMissing: boolean } | undefined;
  reviewedBy: AskAnswer["reviewedBy"];
  lastReviewed: string | null;
}

interface RevisionRow {
  id: string;
  title: string;
  summary_heading: string;
  summary: string;
  last_updated: string;
  disclaimer_heading: string;
  disclaimer: string;
  sections: RevisionContent["sections"];
  references: RevisionContent["references"];
  variants: RevisionContent["variants"];
  figures: RevisionContent["figures"];
  approvals: { name: string; credentials: string | null; meaning: string; signedAt: string; contentHash: string }[];
}

/**
 * The facts `articleView()` gives the article page, for an answer: the revision's citation
 * numbering (as written, shared by every audience version), each reference as the page lists it,
 * and the reviewers whose signature applies to this kind of page, each verified against the
 * content's hash. Read in one statement for every revision of an answer, without rendering the
 * whole article.
 */
async function loadRevisionFacts(db: Db, revisionIds: string[], page: "as-written" | "audience-version"): Promise<Map<string, RevisionFacts>> {
  const rows = await db.$queryRaw<RevisionRow[]>`
    SELECT r.id::text, r.title, r.summary_heading, r.summary, to_char(r.last_updated, 'YYYY-MM-DD') AS last_updated, r.disclaimer_heading, r.disclaimer,
      coalesce((SELECT json_agg(json_build_object('key', s.key, 'depth', s.depth, 'heading', s.heading, 'body', s.body) ORDER BY s.position)
                FROM section s WHERE s.revision_id = r.id), '[]'::json) AS sections,
      coalesce((SELECT json_agg(json_build_object('key', x.key, 'type', x.type, 'title', x.title, 'authors', x.authors, 'source', x.source, 'year', x.year,
                  'doi', x.doi, 'pmid', x.pmid, 'url', x.url, 'detailsMissing', x.details_missing, 'note', x.note) ORDER BY x.position)
                FROM reference x WHERE x.revision_id = r.id), '[]'::json) AS references,
      coalesce((SELECT json_agg(json_build_object('audience', v.audience_slug, 'sectionKey', v.section_key, 'body', v.body))
                FROM content_variant v WHERE v.revision_id = r.id), '[]'::json) AS variants,
      coalesce((SELECT json_agg(json_build_object('key', f.key, 'sectionKey', f.section_key, 'image', f.media_hash, 'decorative', f.decorative,
                  'alt', f.alt, 'caption', f.caption, 'credit', f.credit, 'licence', f.licence, 'referenceKey', f.reference_key,
                  'variants', coalesce((SELECT json_agg(json_build_object('audience', fv.audience_slug, 'alt', fv.alt, 'caption', fv.caption))
                                        FROM figure_variant fv WHERE fv.figure_id = f.id), '[]'::json)) ORDER BY f.position)
                FROM figure f WHERE f.revision_id = r.id), '[]'::json) AS figures,
      coalesce((SELECT json_agg(json_build_object('name', ap.signer_name, 'credentials', ap.signer_credentials, 'meaning', ap.meaning,
                  'signedAt', ap.signed_at, 'contentHash', ap.content_hash) ORDER BY ap.signed_at)
                FROM approval ap WHERE ap.revision_id = r.id), '[]'::json) AS approvals
    FROM revision r WHERE r.id = ANY(${revisionIds}::uuid[])`;
  const facts = new Map<string, RevisionFacts>();
  for (const row of rows) {
    const content: RevisionContent = {
      title: row.title, summaryHeading: row.summary_heading, summary: row.summary, lastUpdated: row.last_updated,
      disclaimerHeading: row.disclaimer_heading, disclaimer: row.disclaimer,
      sections: row.sections, references: row.references, variants: sortedVariants({ sections: row.sections, variants: row.variants }),
      // As toContent(): each figure's audience versions in audience order.
      figures: row.figures.map((f) => ({ ...f, variants: [...f.variants].sort((a, b) => (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0)) })),
    };
    const numbering = revisionCitationNumbering(content);
    // As the page lists them (renderRevision()): details shown beat a stale "missing" flag.
    const references = new Map(content.references.map((r) => [r.key, { title: r.title, source: r.source, year: r.year, detailsMissing: r.detailsMissing && !hasRequiredDetails(r) }]));
    const hash = contentHash(content);
    const reviewedBy = row.approvals
      .filter((a) => meaningAppliesTo(a.meaning, page))
      .map((a) => ({ name: a.name, credentials: a.credentials, meaning: a.meaning, signedAt: new Date(a.signedAt).toISOString(), valid: a.contentHash === hash }));
    facts.set(row.id, {
      numberOf: (key) => numbering.numberOf(key),
      reference: (key) => references.get(key),
      reviewedBy,
      lastReviewed: reviewedBy.length ? reviewedBy[reviewedBy.length - 1]!.signedAt : null,
    });
  }
  return facts;
}

/** Each revision's facts for this kind of page, from memory or read together. */
async function factsOf(db: Db, revisionIds: string[], audience: string | null): Promise<Map<string, RevisionFacts | undefined>> {
  const cache = cacheOf(db).revisionFacts;
  const page = audience === null ? "as-written" : "audience-version";
  const keyOf = (id: string) => `${id}|${page}`;
  const now = Date.now();
  const missing = revisionIds.filter((id) => {
    const cached = cache.get(keyOf(id));
    return !cached || now - cached.at >= REVISION_FACTS_TTL_MS;
  });
  if (missing.length) {
    const loading = loadRevisionFacts(db, missing, page);
    for (const id of missing) {
      if (cache.size >= REVISION_FACTS_MAX) cache.delete(cache.keys().next().value!);
      const facts = loading.then((all) => all.get(id));
      cache.set(keyOf(id), { at: now, facts });
      facts.catch(() => cache.delete(keyOf(id)));
    }
  }
  return new Map(await Promise.all(revisionIds.map(async (id) => [id, await cache.get(keyOf(id))!.facts] as const)));
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
  // A few more than shown: the same words in two places (a list item repeated) are shown once.
  const { terms, hits: found } = await findAnswerPassages(db, question, audience, MAX_ANSWERS * 2);
  const seen = new Set<string>();
  const hits = found.filter((hit) => !seen.has(hit.body) && seen.add(hit.body)).slice(0, MAX_ANSWERS);
  // Each revision's facts once, all of them at the same time.
  const factsByRevision = hits.length ? await factsOf(db, [...new Set(hits.map((h) => h.revision_id))], audience) : new Map<string, undefined>();
  const answers: AskAnswer[] = [];
  for (const hit of hits) {
    // Citation numbers as on the page the reader chose: the audience version numbers its own citations.
    const facts = factsByRevision.get(hit.revision_id);
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
