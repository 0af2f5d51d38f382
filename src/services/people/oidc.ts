// Single sign-on with OpenID Connect (decision 0035): the authorization code flow with
// PKCE, state and nonce, through openid-client (which checks the issuer, audience,
// signature, nonce and state). The identity provider only says who the person is: the
// account must already exist here and be active, matched by verified e-mail; it is
// created only when OIDC_AUTO_CREATE_ROLE says so, and never as an administrator.
import { randomBytes } from "node:crypto";
import type * as OpenId from "openid-client";
import type { Config } from "../../config.js";
import type { Db } from "../../db/database.js";
import type { User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { hashPassword, userSnapshot } from "./users.js";
import { recordSsoRefusal } from "./security-log.js";

type OidcSettings = NonNullable<Config["oidc"]>;

/**
 * `amr` values (RFC 8176 and common providers) that mean the provider checked more than a
 * password: multiple factors, a one-time code, a hardware or software key, FIDO, a smart card.
 */
export const MFA_AMR_VALUES = ["mfa", "otp", "hwk", "swk", "fido", "sc"] as const;

export function providerUsedMfa(amr: unknown): boolean {
  return Array.isArray(amr) && amr.some((v) => typeof v === "string" && (MFA_AMR_VALUES as readonly string[]).includes(v.toLowerCase()));
}

/** Kept in the (server-side) session between the redirect to the provider and its answer. */
export interface PendingSso {
  state: string;
  nonce: string;
  codeVerifier: string;
  next: string;
  expiresAt: number;
}

/** How long a person has at the identity provider before the answer is refused. */
export const PENDING_SSO_MS = 10 * 60_000;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Discovery once per issuer (again after a failure, so a provider that was down is retried). */
const discovered = new Map<string, Promise<OpenId.Configuration>>();

// The OpenID Connect library loads with the first single sign-on, not when the app starts.
let openIdLoaded: Promise<typeof OpenId> | undefined;
const openId = () => (openIdLoaded ??= import("openid-client"));

export function providerConfiguration(settings: OidcSettings): Promise<OpenId.Configuration> {
  const key = `${settings.issuer}|${settings.clientId}`;
  let found = discovered.get(key);
  if (!found) {
    const issuer = new URL(settings.issuer);
    // openid-client refuses plain http. It is allowed only for an issuer on this machine's
    // loopback address (a provider run for development or tests), never across a network.
    const insecure = issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname);
    found = openId().then((client) => client.discovery(issuer, settings.clientId, settings.clientSecret, undefined, insecure ? { execute: [client.allowInsecureRequests] } : undefined));
    found.catch(() => discovered.delete(key));
    discovered.set(key, found);
  }
  return found;
}

/** The address of the provider's sign-in page, and what must be kept to check its answer. */
export async function startSso(settings: OidcSettings, next: string): Promise<{ url: string; pending: PendingSso }> {
  const configuration = await providerConfiguration(settings);
  const client = await openId();
  const codeVerifier = client.randomPKCECodeVerifier();
  const pending: PendingSso = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier, next, expiresAt: Date.now() + PENDING_SSO_MS };
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: settings.redirectUri,
    scope: "openid email profile",
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url: url.href, pending };
}

export type SsoResult = { user: User; providerMfa: boolean };

const REFUSED = "The single sign-on answer could not be accepted. Start again from the sign-in page.";

/**
 * Checks the provider's answer (the callback address with its query) and finds the account.
 * Every refusal is a 400 (or 403 for the person's account) with a sentence, and a security-log row.
 */
export async function finishSso(db: Db, ctx: RequestContext, settings: OidcSettings, callbackUrl: URL, pending: PendingSso | undefined): Promise<SsoResult> {
  if (!pending || pending.expiresAt < Date.now()) {
    await recordSsoRefusal(db, ctx, null, "expired");
    throw new AppError("BAD_REQUEST", "This single sign-on was not started here or took too long. Start again from the sign-in page.");
  }
  if (callbackUrl.searchParams.get("state") !== pending.state) {
    await recordSsoRefusal(db, ctx, null, "invalid_response");
    throw new AppError("BAD_REQUEST", REFUSED);
  }
  const client = await openId(); // before the checks below: a library that fails to load is not the provider's fault
  let configuration: OpenId.Configuration;
  try {
    configuration = await providerConfiguration(settings);
  } catch {
    await recordSsoRefusal(db, ctx, null, "provider_error");
    throw new AppError("BAD_REQUEST", "The identity provider could not be reached. Try again in a moment.");
  }
  let claims: OpenId.IDToken | undefined;
  let profile: { email?: unknown; email_verified?: unknown; name?: unknown } = {};
  try {
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
    });
    claims = tokens.claims();
    profile = (claims ?? {}) as typeof profile;
    // Many providers put the e-mail in the ID token; the others (and oidc-provider by
    // default) give it at the userinfo endpoint, whose "sub" openid-client checks against the token's.
    if (claims && typeof claims.email !== "string") profile = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
  } catch (error) {
    // The provider said no (the person cancelled, an error parameter) or its answer failed a check.
    const providerSaidNo = error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError;
    await recordSsoRefusal(db, ctx, null, providerSaidNo ? "provider_error" : "invalid_response");
    if (error instanceof TypeError && !(error instanceof client.ClientError)) {
      // fetch failing: the provider could not be reached (not the person's fault).
      throw new AppError("BAD_REQUEST", "The identity provider could not be reached. Try again in a moment.");
    }
    throw new AppError("BAD_REQUEST", providerSaidNo ? "The identity provider did not sign you in. Start again from the sign-in page." : REFUSED);
  }
  if (!claims) {
    await recordSsoRefusal(db, ctx, null, "invalid_response");
    throw new AppError("BAD_REQUEST", REFUSED);
  }
  const email = typeof profile.email === "string" ? profile.email.trim().toLowerCase() : "";
  if (!email || profile.email_verified !== true) {
    await recordSsoRefusal(db, ctx, email || null, "email_not_verified");
    throw new AppError("FORBIDDEN", "Your identity provider did not confirm your e-mail address, so it cannot be matched to an account here.");
  }
  const providerMfa = providerUsedMfa(claims.amr);
  const user = await db.user.findUnique({ where: { email } });
  if (user && !user.active) {
    await recordSsoRefusal(db, ctx, email, "inactive");
    throw new AppError("FORBIDDEN", "The account for this e-mail address is deactivated. Ask an administrator.");
  }
  if (user) return { user, providerMfa };
  if (!settings.autoCreateRole) {
    await recordSsoRefusal(db, ctx, email, "unknown_email");
    throw new AppError("FORBIDDEN", "No account here uses this e-mail address. Ask an administrator to create one.");
  }
  const name = typeof profile.name === "string" && profile.name.trim().length >= 2 ? profile.name.trim().slice(0, 120) : email.split("@")[0]!.slice(0, 120).padEnd(2, "_");
  return { user: await createAccountFromSso(db, ctx, email, name, settings.autoCreateRole, settings.issuer), providerMfa };
}

async function createAccountFromSso(db: Db, ctx: RequestContext, email: string, name: string, role: "EDITOR" | "REVIEWER", issuer: string): Promise<User> {
  // A random password nobody knows: the person signs in through the provider (an
  // administrator's password reset gives them one if ever needed).
  const passwordHash = await hashPassword(randomBytes(32).toString("base64url"));
  return db.$transaction(async (tx) => {
    const existing = await tx.user.findUnique({ where: { email } });
    if (existing) return existing;
    const user = await tx.user.create({ data: { email, name, role, passwordHash } });
    const actor = { id: user.id, name: user.name, email: user.email, role: user.role };
    await recordEvent(tx, { ...ctx, actor }, { action: "user.created_by_sso", entityType: "user", entityId: user.id, payload: { user: userSnapshot(user), issuer } });
    return user;
  });
}
