// Passkeys (WebAuthn, decision 0031): registered by their owner on /account/security;
// they sign a person in alone (a discoverable credential unlocked with a biometric or PIN
// is two factors in one) or after the password, and they can sign a revision.
//
// A signature's challenge is not random: it is the SHA-256 of a canonical text naming
// the revision, its content hash, the meaning, the signer and a server nonce. The
// assertion (authenticatorData, clientDataJSON, signature) is kept with the approval,
// with the public key it was checked against, so anyone can later check that this key
// signed exactly this content with this meaning (verifyPasskeySignature).
import { createHash, randomBytes } from "node:crypto";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Approval, Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { firstRecoveryCodes, tellAboutFactorChange } from "./second-factors.js";
import { recordSecondFactorRefusal } from "./security-log.js";
import { giveBackAttempt, signInPerAddress, takeAttempt, waitText } from "./throttle.js";

// The WebAuthn library is loaded the first time someone uses a passkey, not when the app
// starts: it is the largest module the app has (about a third of a second to load).
let webauthnLoaded: Promise<typeof import("@simplewebauthn/server")> | undefined;
const webauthn = () => (webauthnLoaded ??= import("@simplewebauthn/server"));

type Tx = Prisma.TransactionClient;

export interface RelyingParty {
  rpID: string;
  origin: string;
  rpName: string;
}

/** The relying party is the site's public address (PUBLIC_URL): passkeys only work there. */
export function relyingParty(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { rpID: url.hostname, origin: url.origin, rpName: "Clinical Answers" };
}

/** How long a browser has to answer a challenge. */
export const CHALLENGE_MS = 5 * 60_000;

export const passkeyNameSchema = z.string().trim().min(1, "give the passkey a name").max(60, "must be at most 60 characters");

// The browser's answer, checked for shape before the library looks at it (it is user input).
const b64url = z.string().max(20_000).regex(/^[A-Za-z0-9_-]*$/, "is not base64url");
const responseBase = { id: b64url.min(1), rawId: b64url.min(1), type: z.literal("public-key"), clientExtensionResults: z.record(z.string(), z.unknown()).default({}), authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional() };
const assertionSchema = z.object({
  ...responseBase,
  response: z.object({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
});
const attestationSchema = z.object({
  ...responseBase,
  response: z.object({
    clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(20)).max(10).optional(),
    publicKeyAlgorithm: z.number().optional(), publicKey: b64url.optional(), authenticatorData: b64url.optional(),
  }),
});

/** Parses the JSON a page sent; a sentence instead of a 500 when it is not a WebAuthn answer. */
export function parseAssertion(json: unknown): AuthenticationResponseJSON {
  const value = typeof json === "string" ? safeJson(json) : json;
  const parsed = assertionSchema.safeParse(value);
  if (!parsed.success) throw new AppError("BAD_REQUEST", "The passkey's answer could not be read. Try again.");
  return parsed.data as AuthenticationResponseJSON;
}

export function parseAttestation(json: unknown): RegistrationResponseJSON {
  const parsed = attestationSchema.safeParse(typeof json === "string" ? safeJson(json) : json);
  if (!parsed.success) throw new AppError("BAD_REQUEST", "The passkey's answer could not be read. Try again.");
  return parsed.data as RegistrationResponseJSON;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// ---- registration

export async function registrationOptions(db: Db, user: User, rp: RelyingParty) {
  const existing = await db.passkey.findMany({ where: { userId: user.id }, select: { credentialId: true, transports: true } });
  return (await webauthn()).generateRegistrationOptions({
    rpName: rp.rpName, rpID: rp.rpID, userName: user.email, userDisplayName: user.name,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as never })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    timeout: CHALLENGE_MS,
  });
}

export async function registerPasskey(db: Db, ctx: RequestContext, user: User, rp: RelyingParty, expectedChallenge: string, nameInput: string, body: unknown) {
  const name = passkeyNameSchema.safeParse(nameInput);
  if (!name.success) throw new AppError("BAD_REQUEST", `The passkey's name ${name.error.issues[0]!.message}.`, { fieldErrors: { name: name.error.issues[0]!.message } });
  const response = parseAttestation(body);
  let verified;
  const { verifyRegistrationResponse } = await webauthn(); // outside the try: a load failure is not the person's
  try {
    verified = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.rpID, requireUserVerification: true });
  } catch (error) {
    throw new AppError("BAD_REQUEST", `The passkey was not added: ${(error as Error).message.slice(0, 200)}`);
  }
  if (!verified.verified || !verified.registrationInfo) throw new AppError("BAD_REQUEST", "The passkey was not added: the browser's answer did not verify.");
  const { credential, credentialBackedUp } = verified.registrationInfo;
  return db.$transaction(async (tx) => {
    if (await tx.passkey.findUnique({ where: { credentialId: credential.id } })) throw new AppError("CONFLICT", "This passkey is already registered.");
    const passkey = await tx.passkey.create({
      data: { userId: user.id, credentialId: credential.id, publicKey: Buffer.from(credential.publicKey), counter: credential.counter, transports: credential.transports ?? [], name: name.data, backedUp: credentialBackedUp },
    });
    await recordEvent(tx, ctx, { action: "auth.factor.enrolled", entityType: "user", entityId: user.id, payload: { factor: "passkey", name: name.data } });
    await tellAboutFactorChange(tx, user.id, `A passkey named “${name.data}” was added to your account.`);
    const recoveryCodes = await firstRecoveryCodes(tx, user.id);
    return { passkey, recoveryCodes };
  });
}

export async function renamePasskey(db: Db, ctx: RequestContext, user: User, passkeyId: string, nameInput: string) {
  const name = passkeyNameSchema.safeParse(nameInput);
  if (!name.success) throw new AppError("BAD_REQUEST", `The passkey's name ${name.error.issues[0]!.message}.`, { fieldErrors: { name: name.error.issues[0]!.message } });
  await db.$transaction(async (tx) => {
    const passkey = await tx.passkey.findFirst({ where: { id: passkeyId, userId: user.id } });
    if (!passkey) throw new AppError("NOT_FOUND", "That passkey does not exist.");
    if (passkey.name === name.data) return;
    await tx.passkey.update({ where: { id: passkey.id }, data: { name: name.data } });
    await recordEvent(tx, ctx, { action: "auth.factor.renamed", entityType: "user", entityId: user.id, payload: { factor: "passkey", old: passkey.name, new: name.data } });
    await tellAboutFactorChange(tx, user.id, `Your passkey “${passkey.name}” was renamed “${name.data}”.`);
  });
}

export async function removePasskey(db: Db, ctx: RequestContext, user: User, passkeyId: string) {
  return db.$transaction(async (tx) => {
    const passkey = await tx.passkey.findFirst({ where: { id: passkeyId, userId: user.id } });
    if (!passkey) throw new AppError("NOT_FOUND", "That passkey does not exist.");
    await tx.passkey.delete({ where: { id: passkey.id } });
    await recordEvent(tx, ctx, { action: "auth.factor.removed", entityType: "user", entityId: user.id, payload: { factor: "passkey", name: passkey.name } });
    await tellAboutFactorChange(tx, user.id, `The passkey “${passkey.name}” was removed from your account.`);
    return passkey;
  });
}

// ---- signing in

/** Options for a sign-in: any discoverable passkey of this site, or only the pending person's. */
export async function signInOptions(db: Db, rp: RelyingParty, pendingUserId: string | null) {
  const allow = pendingUserId ? await db.passkey.findMany({ where: { userId: pendingUserId }, select: { credentialId: true, transports: true } }) : [];
  return (await webauthn()).generateAuthenticationOptions({
    rpID: rp.rpID, userVerification: "required", timeout: CHALLENGE_MS,
    allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: p.transports as never })),
  });
}

async function checkAssertion(tx: Db | Tx, rp: RelyingParty, response: AuthenticationResponseJSON, expectedChallenge: string, userId: string | null) {
  const passkey = await tx.passkey.findUnique({ where: { credentialId: response.id }, include: { user: true } });
  if (!passkey || (userId && passkey.userId !== userId)) return { ok: false as const, reason: "This passkey is not registered for your account on this site." };
  const { verifyAuthenticationResponse } = await webauthn(); // outside the try: a library that fails to load is not a refused passkey
  try {
    const verified = await verifyAuthenticationResponse({
      response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.rpID, requireUserVerification: true,
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: Number(passkey.counter), transports: passkey.transports as never },
    });
    if (!verified.verified) return { ok: false as const, reason: "The passkey's answer did not verify." };
    await tx.passkey.update({ where: { id: passkey.id }, data: { counter: verified.authenticationInfo.newCounter, lastUsedAt: new Date(), backedUp: verified.authenticationInfo.credentialBackedUp } });
    return { ok: true as const, passkey };
  } catch (error) {
    return { ok: false as const, reason: `The passkey's answer was refused (${(error as Error).message.slice(0, 200)}).` };
  }
}

/** A sign-in with a passkey, alone (pendingUser null) or after the password. Refusals go to the security log. */
export async function signInWithPasskey(db: Db, ctx: RequestContext, rp: RelyingParty, expectedChallenge: string | null, body: unknown, pendingUser: User | null): Promise<User> {
  const refuse = async (message: string) => {
    await recordSecondFactorRefusal(db, ctx, pendingUser?.email ?? null, "passkey_refused");
    return new AppError("UNAUTHENTICATED", message);
  };
  // Throttled per address like passwords (a bucket of its own): a passkey cannot be guessed, but
  // a flood of refused attempts would cost a signature check and a database write each.
  const addressKey = `passkey-address:${ctx.ip ?? "unknown"}`;
  const attempt = await takeAttempt(db, addressKey, signInPerAddress);
  if (!attempt.allowed) {
    await recordSecondFactorRefusal(db, ctx, pendingUser?.email ?? null, "rate_limited");
    throw new AppError("TOO_MANY_REQUESTS", `Too many refused passkey attempts from this address. Try again in ${waitText(attempt.retryAfterSeconds)}.`, { retryAfterSeconds: attempt.retryAfterSeconds });
  }
  if (!expectedChallenge) throw await refuse("The passkey request has expired. Try again.");
  const response = parseAssertion(body);
  const checked = await checkAssertion(db, rp, response, expectedChallenge, pendingUser?.id ?? null);
  if (!checked.ok) throw await refuse(`You are not signed in. ${checked.reason}`);
  if (!checked.passkey.user.active) throw await refuse("You are not signed in. This account is deactivated.");
  await giveBackAttempt(db, addressKey, signInPerAddress);
  return checked.passkey.user;
}

// ---- signing a revision

export interface SigningTarget {
  revisionId: string;
  contentHash: string;
  meaning: string;
  signerId: string;
  nonce: string;
}

/** The challenge bytes of a signature: SHA-256 over a canonical text of what is signed. */
export function signatureChallenge(t: SigningTarget): Uint8Array<ArrayBuffer> {
  const canonical = ["clinical-answers-signature-v1", `revision:${t.revisionId}`, `content-sha256:${t.contentHash}`, `meaning:${t.meaning}`, `signer:${t.signerId}`, `nonce:${t.nonce}`].join("\n");
  return Uint8Array.from(createHash("sha256").update(canonical, "utf8").digest());
}

export const newNonce = () => randomBytes(16).toString("base64url");

export async function signingOptions(db: Db, user: User, rp: RelyingParty, target: SigningTarget) {
  const passkeys = await db.passkey.findMany({ where: { userId: user.id }, select: { credentialId: true, transports: true } });
  if (!passkeys.length) throw new AppError("CONFLICT", "You have no passkey: sign with your password, or add a passkey at /account/security.");
  return (await webauthn()).generateAuthenticationOptions({
    rpID: rp.rpID, userVerification: "required", timeout: CHALLENGE_MS, challenge: signatureChallenge(target),
    allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as never })),
  });
}

/** What an approval keeps of a passkey signature (JSON in approval.passkey_assertion). */
export const passkeyEvidenceSchema = z.object({
  nonce: z.string(),
  rpID: z.string(),
  origin: z.string(),
  /** base64url COSE public key of the credential at signing time (the passkey may be removed later). */
  publicKey: z.string(),
  response: assertionSchema,
});
export type PasskeyEvidence = z.infer<typeof passkeyEvidenceSchema>;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** Verifies a signing assertion for exactly this target; returns the evidence to store. */
export async function verifySigningAssertion(db: Db, user: User, rp: RelyingParty, target: SigningTarget, body: unknown): Promise<{ credentialId: string; evidence: PasskeyEvidence }> {
  const response = parseAssertion(body);
  const checked = await checkAssertion(db, rp, response, b64(signatureChallenge(target)), user.id);
  if (!checked.ok) throw new AppError("FORBIDDEN", `The revision was not signed. ${checked.reason}`, { fieldErrors: { passkey: checked.reason } });
  return {
    credentialId: checked.passkey.credentialId,
    evidence: { nonce: target.nonce, rpID: rp.rpID, origin: rp.origin, publicKey: b64(checked.passkey.publicKey), response: assertionSchema.parse(response) },
  };
}

/**
 * Re-verifies a stored passkey signature: the assertion must be a valid signature by the stored
 * public key over a challenge computed from *this approval's* revision, content hash, meaning
 * and signer. Any change to any of them (or to the assertion) makes it false.
 */
export async function verifyPasskeySignature(approval: Pick<Approval, "revisionId" | "reviewerId" | "contentHash" | "meaning" | "signatureMethod" | "passkeyCredentialId" | "passkeyAssertion">): Promise<boolean> {
  if (approval.signatureMethod !== "passkey") return false;
  const evidence = passkeyEvidenceSchema.safeParse(approval.passkeyAssertion);
  if (!evidence.success || evidence.data.response.id !== approval.passkeyCredentialId) return false;
  const e = evidence.data;
  const challenge = signatureChallenge({ revisionId: approval.revisionId, contentHash: approval.contentHash, meaning: approval.meaning, signerId: approval.reviewerId, nonce: e.nonce });
  const { verifyAuthenticationResponse } = await webauthn(); // outside the try: a library that fails to load is not a bad signature
  try {
    const verified = await verifyAuthenticationResponse({
      response: e.response as AuthenticationResponseJSON, expectedChallenge: b64(challenge), expectedOrigin: e.origin, expectedRPID: e.rpID, requireUserVerification: true,
      // The counter protects live sign-ins against cloned keys; a stored signature is checked on its own.
      credential: { id: e.response.id, publicKey: new Uint8Array(Buffer.from(e.publicKey, "base64url")), counter: 0 },
    });
    return verified.verified;
  } catch {
    return false;
  }
}
