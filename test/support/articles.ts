import type { Database } from "../../src/db/database.js";
import { findRevision, toContent } from "../../src/services/editorial/index.js";
import { formFromContent } from "../../src/web/article-form.js";
import type { RevisionContent } from "../../src/content/revision-content.js";

export const SEEDED_SLUG = "treatment-options-for-muscle-spasms";

export async function currentRevision(database: Database, slug = SEEDED_SLUG) {
  const article = await database.prisma.article.findUniqueOrThrow({ where: { slug } });
  const revision = (await findRevision(database.prisma, article.currentRevisionId!))!;
  return { article, revision, content: toContent(revision) };
}

/** The editor form's fields for the current revision, after `change`. */
export async function editForm(database: Database, change: (content: RevisionContent) => void, slug = SEEDED_SLUG) {
  const { revision, content } = await currentRevision(database, slug);
  change(content);
  return formFromContent(content, revision.id);
}

export const MISSING_SOURCES: RevisionContent["references"] = [4, 5, 6].map((n) => ({
  key: `missing-source-${n}`, type: "RESEARCH" as const, title: `Supplied source ${n}`, authors: null, source: "Journal of Examples", year: 2020 + n,
  doi: null, pmid: null, url: null, detailsMissing: false, note: null,
}));

/** Supplies the three sources the seeded article lacks, so its citation checks pass. */
export function supplyMissingSources(content: RevisionContent) {
  content.references = content.references.map((r) => MISSING_SOURCES.find((m) => m.key === r.key) ?? r);
}

export const NEW_DOSING = "Dosing: Start at 2mg at bedtime and titrate by 2mg every 3-4 days, up to 36mg daily in divided doses";

export function changeDosingLine(content: RevisionContent) {
  const section = content.sections.find((s) => s.key === "skeletal-muscle-relaxants")!;
  section.body = section.body.replace(/Dosing: Start at low dose \(2-4mg\)[^[]*/, `${NEW_DOSING} `);
}
