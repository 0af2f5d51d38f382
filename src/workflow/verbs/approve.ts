// Approve and sign: an electronic signature bound to the exact content. The revision
// becomes Approved once `approvals_required` distinct non-contributors have signed.
import { recordEvent } from "../../audit/audit-log.js";
import { AppError } from "../../errors.js";
import { contentHash } from "../../content/revision-content.js";
import { transitions } from "../transitions.js";
import { eventOf, moveTo, tableGuard, transitionPayload, type Verb } from "./verb.js";

const t = transitions.approve;

export const approve: Verb = {
  transition: t,
  guard(facts) {
    const refusal = tableGuard(t, facts);
    if (refusal) return refusal;
    if (facts.signerIds.includes(facts.user.id)) return { code: "CONFLICT", reason: "You have already signed this revision.", shownDisabled: true };
    return null;
  },
  async apply(args) {
    const { tx, ctx, facts, revision, content, input, passkeySignature } = args;
    const { user, article } = facts;
    const openComments = await tx.comment.count({ where: { articleId: article.id, parentId: null, resolvedAt: null } });
    if (openComments > 0 && !input.overrideReason) {
      throw new AppError("CONFLICT", `${openComments} review comment(s) are unresolved. Resolve them, or approve with an override reason.`, { fieldErrors: { overrideReason: "required while comments are open" } });
    }
    const hash = contentHash(content);
    await tx.approval.create({
      data: {
        revisionId: revision.id, reviewerId: user.id, signerName: user.name, signerCredentials: user.credentials, meaning: input.meaning, contentHash: hash,
        ...(passkeySignature
          ? { signatureMethod: "passkey", passkeyCredentialId: passkeySignature.credentialId, passkeyAssertion: passkeySignature.evidence as object }
          : { signatureMethod: "password" }),
      },
    });
    const count = revision.approvals.length + 1;
    const signature = { signerName: user.name, signerCredentials: user.credentials, meaning: input.meaning, contentHash: hash, signaturesCount: count, signaturesRequired: article.approvalsRequired, method: passkeySignature ? ("passkey" as const) : ("password" as const) };
    const overriding = openComments > 0 && input.overrideReason !== "";
    const comment = overriding ? `Signed with ${openComments} open comment(s): ${input.overrideReason}` : input.comment || null;
    const override = overriding ? { overriddenComments: openComments } : {};
    if (count >= article.approvalsRequired) {
      await moveTo(args, "APPROVED");
      await recordEvent(tx, ctx, { ...eventOf(args), action: "workflow.approved", comment, payload: { ...transitionPayload(args, t, "APPROVED"), signature, ...override } });
    } else {
      await recordEvent(tx, ctx, { ...eventOf(args), action: "workflow.signed", comment, payload: { ...transitionPayload(args, t, facts.revision.state), signature, ...override } });
    }
  },
};
