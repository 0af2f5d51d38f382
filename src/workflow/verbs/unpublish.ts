// Unpublish (reason required): takes the article off the public site. It acts on the
// live revision even while a newer one is being written: a take-down never waits.
import { recordEvent } from "../../audit/audit-log.js";
import { transitions } from "../transitions.js";
import { eventOf, tableGuard, type ApplyArgs, type Verb } from "./verb.js";

const t = transitions.unpublish;

/** The change itself, shared by the Unpublish button and scheduled unpublishing. */
export async function takeDown(args: ApplyArgs) {
  const { tx, ctx, facts, revision, input } = args;
  await tx.article.update({ where: { id: facts.article.id }, data: { publishedRevisionId: null, version: { increment: 1 } } });
  // "PUBLISHED" as `from` means "was live" (the format predates the live pointer).
  await recordEvent(tx, ctx, {
    ...eventOf(args), action: t.event, comment: input.comment,
    payload: { transition: t.name, revisionNumber: revision.number, from: "PUBLISHED", to: facts.revision.state },
  });
}

export const unpublish: Verb = {
  transition: t,
  guard: (facts) => tableGuard(t, facts),
  apply: takeDown,
};
