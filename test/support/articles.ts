// The seeded article (treatment options for muscle spasms) and the states tests need it in.
import type { Database } from "../../src/db/database.js";
import { findRevision, saveRevision, toContent } from "../../src/services/editorial/index.js";
import { applyTransition } from "../../src/services/review/index.js";
import { formFromContent } from "../../src/web/article-form.js";
import { revisionContentSchema, type RevisionContent } from "../../src/content/revision-content.js";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";
import { contextOf, demo, userByEmail } from "./people.js";

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

/**
 * The content of a new article, checked as the editor checks it: `fields` give what the test is
 * about (title, summary, sections, references…), and the parts every article has default to a
 * plain "Summary" heading, a "Disclaimer" for professionals and a 2026 date.
 */
export function articleContent(fields: Partial<Record<keyof RevisionContent, unknown>>): RevisionContent {
  return revisionContentSchema.parse({
    summaryHeading: "Summary", lastUpdated: "2026-01-02", disclaimerHeading: "Disclaimer", disclaimer: "For professionals.",
    ...fields,
  });
}

type TransitionName = Parameters<typeof applyTransition>[4];

/**
 * Takes a workflow transition on an article's newest revision as the person with `email`, through
 * the workflow service (no HTTP), as they saw it. `fields` are the form's (comment, password, meaning…).
 */
export async function takeAs(database: Database, email: string, name: TransitionName, fields: Record<string, string> = {}, slug = SEEDED_SLUG) {
  const user = await userByEmail(database, email);
  const { article, revision } = await currentRevision(database, slug);
  await applyTransition(database.prisma, contextOf(user), user, article.id, name, {
    revisionId: revision.id, expectedState: revision.state, comment: "", password: "", meaning: "", overrideReason: "", reviewerIds: [], reviewDue: null, ...fields,
  });
}

/** Where `articleAt` can take an article; PUBLISHED is an approved revision that is live. */
export type ArticleStage = "UNDER_REVIEW" | "CHANGES_REQUESTED" | "DRAFT" | "APPROVED" | "PUBLISHED";

export interface ArticleAtOptions {
  slug?: string;
  /** APPROVED and PUBLISHED: the new revision's text, after the missing sources are supplied. */
  change?: (content: RevisionContent) => void;
  /** CHANGES_REQUESTED: what the reviewer asks for. */
  comment?: string;
}

/**
 * Puts an article's newest revision in `stage` through the real services, as the demo people would:
 * from a Submitted revision (as seeded), UNDER_REVIEW is Priya starting the review, CHANGES_REQUESTED
 * her asking for changes as well, DRAFT Alice withdrawing it. APPROVED is a new revision by Alice
 * with the missing sources supplied (withdrawing a Submitted one first), submitted and approved by
 * Priya; PUBLISHED is that revision published by Sam. Returns the article and its newest revision.
 */
export async function articleAt(database: Database, stage: ArticleStage, options: ArticleAtOptions = {}) {
  const { slug = SEEDED_SLUG, change = () => {}, comment = "Please supply the missing sources." } = options;
  const take = (email: string, name: TransitionName, fields: Record<string, string> = {}) => takeAs(database, email, name, fields, slug);
  if (stage === "UNDER_REVIEW" || stage === "CHANGES_REQUESTED") {
    await take(demo.priya, "start_review");
    if (stage === "CHANGES_REQUESTED") await take(demo.priya, "request_changes", { comment });
  } else if (stage === "DRAFT") {
    await take(demo.alice, "withdraw");
  } else {
    if ((await currentRevision(database, slug)).revision.state === "SUBMITTED") await take(demo.alice, "withdraw");
    const alice = await userByEmail(database, demo.alice);
    const { article, revision, content } = await currentRevision(database, slug);
    supplyMissingSources(content);
    change(content);
    await saveRevision(database.prisma, contextOf(alice), alice, article.id, { baseRevisionId: revision.id, content, changeNote: "ready" });
    await take(demo.alice, "submit");
    await take(demo.priya, "start_review");
    await take(demo.priya, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy" });
    if (stage === "PUBLISHED") await take(demo.sam, "publish");
  }
  return currentRevision(database, slug);
}

/** Takes the seeded article from Submitted to Published (new revision with the missing sources supplied), returns it. */
export function publishSeeded(database: Database, change: (content: RevisionContent) => void = () => {}, slug: typeof SEEDED_SLUG = SEEDED_SLUG) {
  return articleAt(database, "PUBLISHED", { change, slug });
}
