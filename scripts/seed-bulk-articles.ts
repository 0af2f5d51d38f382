// Seeds N synthetic articles (each with an approved, live r1; every tenth with a newer draft) for load
// tests and benchmarks of the public index, the dashboard and search at size. Every
// title starts with "[Synthetic]" and every address with "synthetic-". Refused with
// NODE_ENV=production: synthetic clinical content must never reach readers.
// npm run seed:bulk -- --count 10000   (uses DATABASE_URL, or the embedded database)
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { Db } from "../src/db/database.js";
import { contentHash, type RevisionContent } from "../src/content/revision-content.js";
import { recordEvent, systemContext } from "../src/audit/audit-log.js";

export const SYNTHETIC_PREFIX = "synthetic-";

function syntheticContent(n: number, revision: number): RevisionContent {
  return {
    title: `[Synthetic] Clinical question ${n}${revision > 1 ? " (revised)" : ""}?`,
    summaryHeading: "Summary",
    summary: `Synthetic answer ${n} for load testing; not medical advice [@ref-1].`,
    lastUpdated: "2026-01-15",
    disclaimerHeading: "Disclaimer",
    disclaimer: "Synthetic content generated for load testing. Not medical advice.",
    sections: [
      { key: "overview", depth: 1, heading: "Overview", body: `Synthetic overview of question ${n} [@ref-1].` },
      { key: "details", depth: 2, heading: "Details", body: `- Synthetic point one for ${n}\n- Synthetic point two` },
      { key: "management", depth: 1, heading: "Management", body: `1. Synthetic step one\n2. Synthetic step two [@ref-1]` },
    ],
    references: [{ key: "ref-1", type: "RESEARCH", title: `Synthetic study ${n}`, authors: null, source: "Journal of Synthetic Data", year: 2020, doi: null, pmid: null, url: null, detailsMissing: false, note: null }],
    variants: [],
    figures: [],
  };
}

interface Row { articleId: string; slug: string; revisions: { id: string; number: number; state: string; content: RevisionContent }[] }

export async function seedSyntheticArticles(db: Db, count: number, onProgress?: (done: number) => void, batchSize = 500) {
  const existing = await db.article.count({ where: { slug: { startsWith: SYNTHETIC_PREFIX } } });
  const first = existing + 1;
  const slugOf = (n: number) => `${SYNTHETIC_PREFIX}${String(n).padStart(6, "0")}`;
  for (let done = 0; done < count; done += batchSize) {
    const rows: Row[] = [];
    for (let n = first + done; n < first + Math.min(done + batchSize, count); n++) {
      const revisions = [{ id: randomUUID(), number: 1, state: "APPROVED", content: syntheticContent(n, 1) }];
      if (n % 10 === 0) revisions.push({ id: randomUUID(), number: 2, state: "DRAFT", content: syntheticContent(n, 2) });
      rows.push({ articleId: randomUUID(), slug: slugOf(n), revisions });
    }
    const revisions = rows.flatMap((r) => r.revisions.map((v) => ({ ...v, articleId: r.articleId })));
    const sections = revisions.flatMap((v) => v.content.sections.map((s, position) => ({ ...s, position, revisionId: v.id })));
    const references = revisions.flatMap((v) => v.content.references.map((ref, position) => ({ ...ref, position, revisionId: v.id })));
    await db.$transaction(async (tx) => {
      await tx.article.createMany({
        data: rows.map((r) => ({ id: r.articleId, slug: r.slug, nextReviewDue: new Date(Date.UTC(2027, 10, 15)), topic: "Synthetic topic" })),
      });
      await tx.revision.createMany({
        data: revisions.map((v) => ({
          id: v.id, articleId: v.articleId, number: v.number, state: v.state as "APPROVED" | "DRAFT",
          title: v.content.title, summaryHeading: v.content.summaryHeading, summary: v.content.summary,
          disclaimerHeading: v.content.disclaimerHeading, disclaimer: v.content.disclaimer,
          lastUpdated: new Date(`${v.content.lastUpdated}T00:00:00Z`), changeNote: "Synthetic", contentHash: contentHash(v.content),
          publishedAt: v.number === 1 ? new Date() : null,
        })),
      });
      await tx.section.createMany({ data: sections.map((s) => ({ revisionId: s.revisionId, key: s.key, position: s.position, depth: s.depth, heading: s.heading, body: s.body })) });
      await tx.reference.createMany({
        data: references.map((r) => ({ revisionId: r.revisionId, key: r.key, position: r.position, type: r.type, title: r.title, source: r.source, year: r.year })),
      });
      // Set-based pointer update: newest revision is current, revision 1 is published.
      await tx.$executeRaw`
        UPDATE article a SET current_revision_id = (SELECT id FROM revision WHERE article_id = a.id ORDER BY number DESC LIMIT 1),
                             published_revision_id = (SELECT id FROM revision WHERE article_id = a.id AND number = 1)
        WHERE a.id = ANY(${rows.map((r) => r.articleId)}::uuid[])`;
      await recordEvent(tx, systemContext("seed:bulk"), {
        action: "system.synthetic_articles_seeded",
        entityType: "system",
        payload: { count: rows.length, firstSlug: rows[0]!.slug, lastSlug: rows[rows.length - 1]!.slug },
      });
    });
    onProgress?.(Math.min(done + batchSize, count));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { count: { type: "string", default: "10000" } } });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    console.error("--count must be a whole number from 1 to 1,000,000.");
    process.exit(1);
  }
  if (process.env.NODE_ENV === "production") {
    console.error("Refusing: synthetic articles must never be added to a production database.");
    process.exit(1);
  }
  const { loadConfig } = await import("../src/config.js");
  const { openForCommand } = await import("../src/cli/run.js");
  const database = await openForCommand(loadConfig());
  const t0 = Date.now();
  await seedSyntheticArticles(database.prisma, count, (done) => process.stderr.write(`seeded ${done} of ${count} synthetic articles\n`));
  console.log(`Seeded ${count} synthetic articles (titles start with "[Synthetic]") in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  await database.close();
}
