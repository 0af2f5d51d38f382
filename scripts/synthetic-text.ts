// Deterministic synthetic article text for the search and answer benchmarks, so every run
// searches the same corpus. Each article is about a topic (a handful of clinical words it
// repeats) and draws the rest from a long tail, Zipf-like, so a clinical word is common but
// not in every article.
export const clinical = (
  "muscle spasm cramp pain relief tizanidine baclofen cyclobenzaprine diazepam dantrolene botulinum toxin injection stretching physiotherapy " +
  "magnesium electrolyte dehydration neuropathy spasticity multiple sclerosis stroke spinal injury dose titration sedation hepatotoxicity monitoring " +
  "renal impairment elderly pregnancy contraindication interaction opioid nsaid acetaminophen migraine headache hypertension diabetes insulin metformin " +
  "statin cholesterol anticoagulant warfarin apixaban bleeding infection antibiotic amoxicillin resistance vaccine asthma inhaler steroid eczema"
).split(" ");
const syllables = ["ba", "ce", "di", "fo", "gu", "ha", "ke", "li", "mo", "nu", "pa", "re", "si", "to", "vu", "xa", "ze", "lo", "mi", "ra"];
export const rare = Array.from({ length: 4000 }, (_, i) => syllables[i % 20]! + syllables[Math.floor(i / 20) % 20]! + syllables[Math.floor(i / 400) % 20]! + "n");

let seed = 42;
/** Starts the sequence again, so a second database gets the same corpus. */
export function restartRandom() {
  seed = 42;
}

export function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
}

let topic: string[] = [];
/** Starts a new article: picks the clinical words it will repeat. */
export function newTopic() {
  topic = Array.from({ length: 6 }, () => clinical[Math.floor(random() * clinical.length)]!);
}

function word(): string {
  return random() < 0.3 ? topic[Math.floor(random() * topic.length)]! : rare[Math.floor(random() ** 3 * rare.length)]!;
}

export function words(n: number): string {
  return Array.from({ length: n }, word).join(" ");
}

/**
 * Statements that insert a batch of synthetic articles ($1: a JSON array of their ids, slug,
 * title, summary and sections): each gets an approved revision and one in five a newer draft.
 */
export const syntheticArticleSql = [
  `INSERT INTO article (id, slug, visible_while_pending, approvals_required, version)
   SELECT (x->>'articleId')::uuid, x->>'slug', false, 1, 0 FROM jsonb_array_elements($1::jsonb) x`,
  `INSERT INTO revision (id, article_id, number, state, title, summary_heading, summary, disclaimer_heading, disclaimer, last_updated, content_hash, published_at)
   SELECT (x->>'revisionId')::uuid, (x->>'articleId')::uuid, 1, 'APPROVED', x->>'title', 'Summary', x->>'summary', 'Disclaimer', 'For professionals.', current_date, 'synthetic', now()
   FROM jsonb_array_elements($1::jsonb) x`,
  // One in five has a newer draft with a word that no public search or answer may ever contain.
  `INSERT INTO revision (id, article_id, number, state, title, summary_heading, summary, disclaimer_heading, disclaimer, last_updated, content_hash)
   SELECT (x->>'draftId')::uuid, (x->>'articleId')::uuid, 2, 'DRAFT', x->>'title', 'Summary', (x->>'summary') || ' unreleasedword', 'Disclaimer', 'For professionals.', current_date, 'synthetic'
   FROM jsonb_array_elements($1::jsonb) x WHERE x->>'draftId' IS NOT NULL`,
  `INSERT INTO section (id, revision_id, key, position, depth, heading, body)
   SELECT gen_random_uuid(), (x->>'revisionId')::uuid, 's' || s.ord, s.ord - 1, 1, s.v->>'heading', s.v->>'body'
   FROM jsonb_array_elements($1::jsonb) x, jsonb_array_elements(x->'sections') WITH ORDINALITY s(v, ord)`,
];

/** Makes each article's approved revision live (and its draft, if any, the current one). */
export const publishSyntheticSql =
`UPDATE article a SET current_revision_id = coalesce((x->>'draftId')::uuid, (x->>'revisionId')::uuid), published_revision_id = (x->>'revisionId')::uuid
   FROM jsonb_array_elements($1::jsonb) x WHERE a.id = (x->>'articleId')::uuid`;
