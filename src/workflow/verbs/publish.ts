// Publish: makes one named approved revision the live one by moving the article's
// published-revision pointer (the only record of what is live). Any approved
// revision qualifies, not only the newest, so a safety correction can go live while
// another draft is in progress. Every signature must still match the content.
import { recordEvent } from "../../audit/audit-log.js";
import { transitions } from "../transitions.js";
import { eventOf, tableGuard, transitionPayload, type GuardFacts, type Refusal, type Verb, type ApplyArgs } from "./verb.js";

const t = transitions.publish;

const REVIEW_INTERVAL_MONTHS = 12;

export function publishGuard(facts: GuardFacts): Refusal | null {
  const refusal = tableGuard(t, facts);
  if (refusal) return refusal;
  if (facts.revision.id === facts.article.publishedRevisionId) return { code: "CONFLICT", reason: `Revision ${facts.revision.number} is already live.` };
  if (facts.signerIds.length === 0) return { code: "CONFLICT", reason: `Revision ${facts.revision.number} has no reviewer signature, so it cannot be published.` };
  if (facts.invalidSignatures > 0) {
    return { code: "CONFLICT", reason: `${facts.invalidSignatures} signature(s) on revision ${facts.revision.number} no longer match its content, so its approval is void.` };
  }
  return null;
}

/** The change itself, shared by the Publish button and scheduled publishing. */
export async function makeLive(args: ApplyArgs) {
  const { tx, ctx, facts, revision, now } = args;
  const previousId = facts.article.publishedRevisionId;
  const previous = previousId ? await tx.revision.findUnique({ where: { id: previousId }, select: { number: true } }) : null;
  await tx.revision.update({ where: { id: revision.id }, data: { publishedAt: now } });
  const due = new Date(now);
  due.setUTCMonth(due.getUTCMonth() + REVIEW_INTERVAL_MONTHS);
  const nextReviewDue = due.toISOString().slice(0, 10);
  await tx.article.update({ where: { id: facts.article.id }, data: { publishedRevisionId: revision.id, nextReviewDue: new Date(nextReviewDue), version: { increment: 1 } } });
  // "PUBLISHED" in a transition payload means "became live" (the format predates the live pointer).
  await recordEvent(tx, ctx, {
    ...eventOf(args), action: "workflow.published", comment: args.input.comment || null,
    payload: { ...transitionPayload(args, t, "PUBLISHED"), previousPublishedNumber: previous?.number ?? null, nextReviewDue },
  });
}

export const publish: Verb = {
  transition: t,
  guard: publishGuard,
  apply: makeLive,
};
