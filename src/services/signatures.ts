// Electronic signatures (21 CFR 11.50/11.70): an approval records the SHA-256 of
// the exact content signed. If the revision's content no longer hashes to that
// value, the signature is shown as invalid: it can never move to other content.
import type { Approval } from "../generated/prisma/client.js";
import { contentHash } from "../content/revision-content.js";
import { toContent, type RevisionWithContent } from "./revisions.js";

export const signatureMeanings = [
  "Approved: medical accuracy",
  "Approved: references verified",
  "Approved: medical accuracy and references verified",
  /** The audience versions (plain language for patients) were read and approved too. */
  "Approved: plain-language version",
] as const;

export function verifySignature(approval: Pick<Approval, "contentHash">, revision: RevisionWithContent): boolean {
  return approval.contentHash === contentHash(toContent(revision));
}
