// Electronic signatures (21 CFR 11.50/11.70): an approval records the SHA-256 of
// the exact content signed. If the revision's content no longer hashes to that
// value, the signature is shown as invalid: it can never move to other content.
import type { Approval } from "../../generated/prisma/client.js";
import { contentHash } from "../../content/revision-content.js";
import { toContent, type RevisionWithContent } from "../editorial/index.js";

export const signatureMeanings = [
  "Approved: medical accuracy",
  "Approved: references verified",
  "Approved: medical accuracy and references verified",
  /** The audience versions (plain language for patients) were read and approved too. */
  "Approved: plain-language version",
] as const;

const PLAIN_LANGUAGE = "Approved: plain-language version";

/**
 * Whether a signature's meaning speaks about the page a reader is on: the plain-language
 * approval is about the audience versions, so the page as written for professionals does
 * not show it (it would read as the text's only review); an audience's page shows every
 * signature, since the parts it shows as written rest on the same review. Staff pages list all.
 */
export function meaningAppliesTo(meaning: string, page: "as-written" | "audience-version"): boolean {
  return page === "audience-version" || meaning !== PLAIN_LANGUAGE;
}

export function verifySignature(approval: Pick<Approval, "contentHash">, revision: RevisionWithContent): boolean {
  return approval.contentHash === contentHash(toContent(revision));
}
