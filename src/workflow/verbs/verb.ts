// What every workflow verb is: one guard() that answers "may this user take this
// step on this revision, and if not, why", used both by the page (which buttons to
// show) and by the POST (under the row locks); and one apply() that makes the
// change and writes its audit event with the caller's transaction.
import type { Prisma, RevisionState, User } from "../../generated/prisma/client.js";
import type { ErrorCode } from "../../errors.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import type { RevisionContent } from "../../content/revision-content.js";
import { can } from "../permissions.js";
import { stateLabels } from "../states.js";
import type { Transition } from "../transitions.js";

export type Tx = Prisma.TransactionClient;

/** Everything a guard may look at; loaded the same way for the page and under the lock. */
export interface GuardFacts {
  user: User;
  article: { id: string; currentRevisionId: string | null; publishedRevisionId: string | null; approvalsRequired: number };
  revision: { id: string; number: number; state: RevisionState; authorId: string | null };
  /** Who wrote or edited the revision (separation of duties). */
  contributors: Set<string>;
  /** "where: message" for each citation error in the revision's content. */
  citationErrors: string[];
  /** Reviewers who signed this revision. */
  signerIds: string[];
  /** Signatures whose content hash no longer matches the revision's content. */
  invalidSignatures: number;
}

export interface Refusal {
  code: ErrorCode;
  reason: string;
  /** Shown on the page with its button disabled (the user can fix it), rather than left out. */
  shownDisabled?: boolean;
}

export interface TransitionInput {
  comment: string;
  password: string;
  meaning: string;
  overrideReason: string;
  /** Submit only: the board members asked to review, and by when. */
  reviewerIds?: string[];
  reviewDue?: string | null;
}

/** What a verb reads of the revision it acts on (the services pass the whole stored revision). */
export interface VerbRevision {
  id: string;
  number: number;
  title: string;
  authorId: string | null;
  /** The signatures it already has. */
  approvals: { reviewerId: string }[];
}

export interface ApplyArgs {
  tx: Tx;
  ctx: RequestContext;
  facts: GuardFacts;
  revision: VerbRevision;
  content: RevisionContent;
  input: TransitionInput;
  now: Date;
  /** Approve only: the verified passkey signature, when the signer used a passkey instead of the password. */
  passkeySignature?: { credentialId: string; evidence: unknown };
}

export interface Verb {
  transition: Transition;
  guard(facts: GuardFacts): Refusal | null;
  apply(args: ApplyArgs): Promise<void>;
}

const refuse = (code: ErrorCode, reason: string, shownDisabled = false): Refusal => ({ code, reason, shownDisabled });

/** Whether the revision is the one the transition acts on (the newest, or the live one). */
export function targetRefusal(t: Transition, f: GuardFacts): Refusal | null {
  if (t.target === "newest" && f.revision.id !== f.article.currentRevisionId) {
    return refuse("CONFLICT", `Revision ${f.revision.number} is no longer the newest revision of this article; reload the page to see the current one.`);
  }
  if (t.target === "live" && f.revision.id !== f.article.publishedRevisionId) {
    return refuse("CONFLICT", `Revision ${f.revision.number} is not the live revision of this article; reload the page to see the current one.`);
  }
  return null;
}

/** The checks the transition table itself implies, in the order users meet them. */
export function tableGuard(t: Transition, f: GuardFacts): Refusal | null {
  if (!can(f.user, t.permission)) return refuse("FORBIDDEN", `Your role does not allow "${t.label}".`);
  const wrongTarget = targetRefusal(t, f);
  if (wrongTarget) return wrongTarget;
  if (!t.from.includes(f.revision.state)) {
    return refuse("CONFLICT", `"${t.label}" is not possible while the revision is "${stateLabels[f.revision.state]}".`);
  }
  if (t.authorOnly && f.revision.authorId !== null && f.revision.authorId !== f.user.id) {
    return refuse("FORBIDDEN", `Only the revision's author can "${t.label}".`);
  }
  if (t.notByContributors && f.contributors.has(f.user.id)) {
    return refuse("FORBIDDEN", "You cannot approve a revision you wrote or edited (separation of duties).");
  }
  if (t.blockedByCitationErrors && f.citationErrors.length) {
    return refuse("CONFLICT", `"${t.label}" is blocked by ${f.citationErrors.length} citation error(s): ${f.citationErrors.join(" ")}`, true);
  }
  return null;
}

/** The revision's review state moves only if nobody moved it meanwhile (0 rows = someone else acted). */
export async function moveTo(args: ApplyArgs, to: RevisionState) {
  const updated = await args.tx.revision.updateMany({ where: { id: args.revision.id, state: args.facts.revision.state }, data: { state: to, stateChangedAt: args.now } });
  if (updated.count !== 1) throw new AppError("CONFLICT", "Someone else changed this revision at the same moment; reload and try again.");
}

/** The fields every workflow event about this revision shares. */
export function eventOf(args: ApplyArgs) {
  return { entityType: "revision" as const, entityId: args.revision.id, articleId: args.facts.article.id, revisionId: args.revision.id, articleTitle: args.revision.title };
}

/** The transition payload every workflow event carries. */
export function transitionPayload(args: ApplyArgs, t: Transition, to: string) {
  return { transition: t.name, revisionNumber: args.revision.number, from: args.facts.revision.state, to };
}

/**
 * A verb that only moves the revision to `to` and records the step (start review, withdraw):
 * the transition table's checks are its whole guard.
 */
export function stateMove(t: Transition, to: RevisionState): Verb {
  return {
    transition: t,
    guard: (facts) => tableGuard(t, facts),
    async apply(args) {
      await moveTo(args, to);
      await recordEvent(args.tx, args.ctx, { ...eventOf(args), action: t.event, comment: args.input.comment || null, payload: transitionPayload(args, t, to) });
    },
  };
}
