// Seeds an empty database: the muscle-spasm article and, on the embedded default
// only, demo accounts. Idempotent: what exists already is left as it is.
import type { Db } from "../db/database.js";
import { recordEvent, systemContext } from "../audit/audit-log.js";
import { revisionContentSchema, slugify } from "../content/revision-content.js";
import { muscleSpasmsArticle } from "../../seed/muscle-spasms.js";
import { demoUsers } from "../../seed/demo-users.js";
import { askVocabulary } from "../../seed/ask-vocabulary.js";
import type { SeedArticle } from "../../seed/types.js";
import { createArticle } from "./editorial/index.js";
import { createUser, hashPassword } from "./people/index.js";

export const seedArticles: SeedArticle[] = [muscleSpasmsArticle];

export function seedArticleContent(seed: SeedArticle) {
  const keys = new Set<string>();
  return revisionContentSchema.parse({
    title: seed.title,
    summaryHeading: seed.summaryHeading,
    summary: seed.summary,
    lastUpdated: seed.lastUpdated,
    disclaimerHeading: seed.disclaimerHeading,
    disclaimer: seed.disclaimer,
    sections: seed.sections.map((s) => {
      let key = slugify(s.heading) || "section";
      while (keys.has(key)) key = `${key}-2`;
      keys.add(key);
      return { key, depth: s.depth, heading: s.heading, body: s.body };
    }),
    references: seed.references,
  });
}

export interface SeedResult {
  articles: string[];
  demoUsers: string[];
}

export async function seedDatabase(db: Db, options: { demoUsers: boolean }): Promise<SeedResult> {
  const ctx = systemContext("seed");
  const result: SeedResult = { articles: [], demoUsers: [] };
  if (options.demoUsers) {
    const existing = new Set((await db.user.findMany({ where: { email: { in: demoUsers.map((u) => u.email) } }, select: { email: true } })).map((u) => u.email));
    const missing = demoUsers.filter((user) => !existing.has(user.email));
    // argon2 runs on libuv's thread pool: hash every password at once, create the accounts in order.
    const hashes = missing.map((user) => hashPassword(user.password));
    hashes.forEach((h) => h.catch(() => {}));
    for (const [i, user] of missing.entries()) {
      await createUser(db, ctx, user, { passwordHash: hashes[i]! });
      result.demoUsers.push(user.email);
    }
  }
  for (const seed of seedArticles) {
    if (await db.article.findUnique({ where: { slug: seed.slug } })) continue;
    // The source article was already submitted for review when it was imported.
    await createArticle(db, ctx, {
      slug: seed.slug,
      content: seedArticleContent(seed),
      visibleWhilePending: seed.visibleWhilePending,
      topic: seed.topic ?? null,
      initialState: "SUBMITTED",
      authorId: null,
    });
    result.articles.push(seed.slug);
  }
  // The starting vocabulary of instant answers, only into an empty vocabulary (admins own it after).
  if ((await db.askVocabulary.count()) === 0) {
    await db.askVocabulary.createMany({ data: askVocabulary.map(([layTerm, professionalTerm]) => ({ layTerm, professionalTerm })), skipDuplicates: true });
  }
  if (result.articles.length || result.demoUsers.length) {
    await db.$transaction((tx) => recordEvent(tx, ctx, { action: "system.seeded", entityType: "system", payload: result }));
  }
  return result;
}
