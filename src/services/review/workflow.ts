// Takes a named transition on a revision. The rules live in one module per verb
// (src/workflow/verbs/): its guard() decides, both here under the row locks and on
// the page that offers the buttons; its apply() makes the change and writes the
// audit event in this transaction. The revision and article rows are locked and the
// state the user saw is re-checked, so two people acting at once cannot both
// succeed; the loser gets CONFLICT.
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Prisma, RevisionState, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { can } from "../../workflow/permissions.js";
import { revisionStates, stateLabels } from "../../workflow/states.js";
import type { Transition, TransitionName } from "../../workflow/transitions.js";
import { verbs, type GuardFacts, type Refusal } from "../../workflow/verbs/index.js";
import { targetRefusal } from "../../workflow/verbs/verb.js";
import { findRevision, toContent, type RevisionWithContent, citationErrors, contributorsOf, deletedImagesOf } from "../editorial/index.js";
import { passwordMatches, checkPasswordThrottled, signaturePassword, waitText, verifySigningAssertion, type RelyingParty } from "../people/index.js";
import { transitionNotice } from "./guidance.js";
import { signatureMeanings, verifySignature } from "./signatures.js";
import { contentHash } from "../../content/revision-content.js";
import { uuid } from "../../schemas.js";
import { assignmentFields } from "./assignments.js";


export const transitionInputSchema = z.object({
  revisionId: uuid("unknown revision"),
  expectedState: z.enum(revisionStates as [RevisionState, ...RevisionState[]], { message: "unknown state" }),
  comment: z.string().trim().max(5000, "must be at most 5,000 characters").optional().default(""),
  password: z.string().max(200).optional().default(""),
  meaning: z.string().optional().default(""),
  overrideReason: z.string().trim().max(2000).optional().default(""),
  ...assignmentFields,
});
export type TransitionRequest = z.infer<typeof transitionInputSchema>;

type Tx = Prisma.TransactionClient;

export type ArticleFacts = GuardFacts["article"];

/** The facts a guard looks at, loaded the same way for the page and under the lock. */
export async function guardFacts(db: Db | Tx, user: User, article: ArticleFacts, revision: RevisionWithContent): Promise<GuardFacts> {
  return {
    user,
    article,
    revision: { id: revision.id, number: revision.number, state: revision.state, authorId: revision.authorId },
    contributors: await contributorsOf(db, revision),
    citationErrors: citationErrors(toContent(revision), deletedImagesOf(revision)).map((e) => `${e.where}: ${e.message}`),
    signerIds: revision.approvals.map((a) => a.reviewerId),
    invalidSignatures: revision.approvals.filter((a) => !verifySignature(a, revision)).length,
  };
}

export interface TransitionOffer {
  transition: Transition;
  /** The revision the form acts on, and the state the user sees it in. */
  revisionId: string;
  expectedState: RevisionState;
  revisionNumber: number;
  /** Why it is shown but cannot be taken yet (e.g. citation errors); null when it can. */
  blockedBy: string | null;
}

export interface WorkflowOptions {
  offers: TransitionOffer[];
  /** Steps the user's role allows from this state but the guard refuses, with the reason. */
  unavailable: { label: string; reason: string }[];
}

/**
 * What this user may do with the article now, from the same guards the POST uses:
 * the verbs on the newest revision, Unpublish on the live one, and Publish on every
 * approved revision that is not live (a named revision, not only the newest).
 */
export async function workflowOptions(db: Db, user: User, article: ArticleFacts & { revisions: { id: string; state: RevisionState }[] }): Promise<WorkflowOptions> {
  const facts = new Map<string, GuardFacts>();
  const factsOf = async (id: string) => {
    if (!facts.has(id)) {
      const revision = await findRevision(db, id);
      if (!revision) throw new AppError("NOT_FOUND", "That revision does not exist.");
      facts.set(id, await guardFacts(db, user, article, revision));
    }
    return facts.get(id)!;
  };
  const offers: TransitionOffer[] = [];
  const unavailable: WorkflowOptions["unavailable"] = [];
  const consider = (f: GuardFacts, name: TransitionName, explain: boolean) => {
    const verb = verbs[name];
    const refusal: Refusal | null = verb.guard(f);
    if (!refusal || refusal.shownDisabled) {
      offers.push({ transition: verb.transition, revisionId: f.revision.id, expectedState: f.revision.state, revisionNumber: f.revision.number, blockedBy: refusal ? shortReason(refusal, f) : null });
    } else if (explain && verb.transition.from.includes(f.revision.state) && can(user, verb.transition.permission)) {
      unavailable.push({ label: verb.transition.label, reason: refusal.reason });
    }
  };
  if (article.currentRevisionId) {
    const newest = await factsOf(article.currentRevisionId);
    for (const verb of Object.values(verbs)) {
      if (verb.transition.target !== "live") consider(newest, verb.transition.name, true);
    }
  }
  if (article.publishedRevisionId) consider(await factsOf(article.publishedRevisionId), "unpublish", false);
  for (const r of article.revisions) {
    if (r.state === "APPROVED" && r.id !== article.currentRevisionId && r.id !== article.publishedRevisionId && can(user, "workflow.publish")) {
      consider(await factsOf(r.id), "publish", true);
    }
  }
  return { offers, unavailable };
}

function shortReason(refusal: Refusal, f: GuardFacts): string {
  return f.citationErrors.length && refusal.reason.includes("citation error") ? `${f.citationErrors.length} citation error(s) must be fixed first.` : refusal.reason;
}

/**
 * A signature made with a passkey on the page (never through the API): the browser's assertion,
 * and what the server's challenge was computed from (kept in the signer's session).
 */
export interface PasskeySigning {
  rp: RelyingParty;
  response: unknown;
  /** Null when the page's challenge expired or was already used. */
  challenge: { nonce: string; revisionId: string; meaning: string } | null;
}

/** The content hash a signature of this revision binds to (revisions are immutable). */
export async function signedContentHash(db: Db, articleId: string, revisionId: string): Promise<string> {
  const revision = await findRevision(db, revisionId);
  if (!revision || revision.articleId !== articleId) throw new AppError("NOT_FOUND", "That revision does not exist.");
  return contentHash(toContent(revision));
}

async function checkPasskeySignature(db: Db, ctx: RequestContext, user: User, articleId: string, input: TransitionRequest, passkey: PasskeySigning) {
  const refuse = async (reason: string) => {
    await db.$transaction((tx) =>
      recordEvent(tx, ctx, { action: "auth.forbidden", entityType: "session", entityId: user.id, payload: { method: "sign", path: `article ${articleId}, revision ${input.revisionId}`, reason: `passkey signature refused: ${reason}` } }),
    );
    return new AppError("FORBIDDEN", `The revision was not signed: ${reason}`, { recorded: true, fieldErrors: { passkey: reason } });
  };
  const c = passkey.challenge;
  if (!c) throw await refuse("the passkey request expired or was already used. Sign again.");
  if (c.revisionId !== input.revisionId || c.meaning !== input.meaning) throw await refuse("the passkey signed another revision or meaning than this form. Sign again.");
  const hash = await signedContentHash(db, articleId, input.revisionId);
  try {
    return await verifySigningAssertion(db, user, passkey.rp, { revisionId: input.revisionId, contentHash: hash, meaning: input.meaning, signerId: user.id, nonce: c.nonce }, passkey.response);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    throw await refuse(String(error.details.fieldErrors?.passkey ?? error.message));
  }
}

/** Checks what the user must give before any lock is taken: comment, reason, signature. */
async function checkRequirements(db: Db, ctx: RequestContext, user: User, articleId: string, t: Transition, input: TransitionRequest, passkey?: PasskeySigning) {
  if (t.requires === "comment" && !input.comment) throw new AppError("BAD_REQUEST", "A comment is required to request changes.", { fieldErrors: { comment: "explain what needs to change" } });
  if (t.requires === "reason" && !input.comment) throw new AppError("BAD_REQUEST", `A reason is required to ${t.label.toLowerCase()}.`, { fieldErrors: { comment: "give the reason" } });
  if (t.requires === "signature") {
    if (!(signatureMeanings as readonly string[]).includes(input.meaning)) {
      throw new AppError("BAD_REQUEST", "Choose the meaning of your signature.", { fieldErrors: { meaning: "choose one" } });
    }
    // A passkey (a token unlocked by biometric or PIN, 21 CFR 11.200) instead of the password.
    if (passkey) return checkPasskeySignature(db, ctx, user, articleId, input, passkey);
    // Re-authentication for the signature (21 CFR 11.200): checked before the revision is
    // locked, and throttled like sign-in so a session cannot be used to guess the password.
    // A wrong password is a security event of a signed-in user: it goes into the audit
    // trail, recorded here together with the failure it counts.
    const checked = await checkPasswordThrottled(db, `signature:${user.id}`, signaturePassword, () => passwordMatches(user.passwordHash, input.password), (tx) =>
      recordEvent(tx, ctx, { action: "auth.forbidden", entityType: "session", entityId: user.id, payload: { method: "sign", path: `article ${articleId}, revision ${input.revisionId}`, reason: "signature password incorrect" } }),
    );
    if (checked.outcome === "blocked") {
      throw new AppError("TOO_MANY_REQUESTS", `Too many wrong signature passwords. Try again in ${waitText(checked.retryAfterSeconds)}.`, {
        retryAfterSeconds: checked.retryAfterSeconds, fieldErrors: { password: `too many wrong passwords; try again in ${waitText(checked.retryAfterSeconds)}` },
      });
    }
    if (checked.outcome === "wrong") {
      throw new AppError("FORBIDDEN", "The password is not correct, so the revision was not signed.", {
        recorded: true, fieldErrors: { password: "not correct: enter the password you sign in with" },
      });
    }
  }
  return undefined;
}

/** Locks the revision and its article; returns what a guard needs, or null when the revision is not the article's. */
export async function lockRevision(tx: Tx, articleId: string, revisionId: string) {
  const locked = await tx.$queryRaw<{ id: string; current_revision_id: string | null; published_revision_id: string | null; approvals_required: number }[]>`
    SELECT r.id, a.current_revision_id, a.published_revision_id, a.approvals_required
    FROM revision r JOIN article a ON a.id = r.article_id
    WHERE r.id = ${revisionId}::uuid AND r.article_id = ${articleId}::uuid
    FOR UPDATE OF r, a`;
  const row = locked[0];
  if (!row) return null;
  const revision = (await findRevision(tx, row.id))!;
  const article: ArticleFacts = { id: articleId, currentRevisionId: row.current_revision_id, publishedRevisionId: row.published_revision_id, approvalsRequired: row.approvals_required };
  return { revision, article };
}

export async function applyTransition(db: Db, ctx: RequestContext, user: User, articleId: string, name: TransitionName, input: TransitionRequest, passkey?: PasskeySigning) {
  const verb = verbs[name];
  const t = verb.transition;
  if (!can(user, t.permission)) throw new AppError("FORBIDDEN", `Your role does not allow "${t.label}".`);
  const passkeySignature = await checkRequirements(db, ctx, user, articleId, t, input, passkey);

  const done = await db.$transaction(async (tx) => {
    const locked = await lockRevision(tx, articleId, input.revisionId);
    if (!locked) throw new AppError("NOT_FOUND", "That revision does not exist.");
    const { revision, article } = locked;
    const facts = await guardFacts(tx, user, article, revision);
    // Which revision, then whether it is still as the user saw it, then the verb's own rules.
    const wrongTarget = targetRefusal(t, facts);
    if (wrongTarget) throw new AppError(wrongTarget.code, wrongTarget.reason);
    if (revision.state !== input.expectedState) {
      throw new AppError("CONFLICT", `Someone else acted first: revision ${revision.number} is now "${stateLabels[revision.state]}", not "${stateLabels[input.expectedState]}". This page now shows the article as it is.`);
    }
    const refusal = verb.guard(facts);
    if (refusal) throw new AppError(refusal.code, refusal.reason);
    await verb.apply({ tx, ctx, facts, revision, content: toContent(revision), input, now: new Date(), passkeySignature });
    return { revisionNumber: revision.number, revisionId: revision.id, label: t.label };
  });
  // Read after the commit, so the notice names who acts on what is now true. The step is done
  // by then: if reading the names fails, the person is told it is done rather than shown an error
  // that would invite them to try again.
  const notice = await transitionNotice(db, name, articleId, done.revisionId).catch(() => `${t.label}: done for revision ${done.revisionNumber}.`);
  return { ...done, notice };
}
