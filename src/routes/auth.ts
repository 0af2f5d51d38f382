// Sign-in and sign-out. After a correct password, a person who has a second factor is
// asked for it before any session is created: until then the session only holds a
// short-lived pending sign-in (server-side, in the session store; the cookie is signed),
// which no page treats as signed in.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import type { User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { checkPassword, recordSignIn, recordSignOut, type SignInMethod, activeUser, checkSignInCode, factorStatus, hasSecondFactor, recordSecondFactorRefusal, relyingParty, signInOptions, signInWithPasskey, finishSso, startSso, type PendingSso } from "../services/people/index.js";
import { auditContext } from "../web/context.js";
import { jsonRefusal, rememberChallenge, takeChallenge } from "./passkeys.js";

declare module "express-session" {
  interface SessionData {
    /** The password was right; the second factor is still to come (never a signed-in session). */
    pendingLogin?: { userId: string; expiresAt: number; next: string; via?: "sso" };
    /** A single sign-on sent to the identity provider, waiting for its answer. */
    pendingSso?: PendingSso;
    /** The identity provider reported a second factor (amr) at this sign-in: it counts for REQUIRE_SECOND_FACTOR. */
    secondFactorByProvider?: boolean;
  }
}

/** How long a person has to enter the second factor after the password. */
export const PENDING_LOGIN_MS = 5 * 60_000;

const loginSchema = z.object({
  email: z.string().trim().min(1, "enter your email").max(200),
  password: z.string().min(1, "enter your password").max(200),
  next: z.string().optional(),
});

const codeSchema = z.object({ code: z.string().trim().min(1, "enter a code").max(100, "is too long to be a code") });

/** Only local paths, so the sign-in form cannot redirect anywhere else. */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?!\/)[\w\-/?=&%.]*$/.test(next) ? next : "/editor";
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

function saveSession(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

/** The signed-in session, in a new session id (no fixation), saved before the redirect. */
export async function startSession(db: Db, req: Request, user: User, method: SignInMethod, recoveryCodesLeft?: number) {
  await recordSignIn(db, auditContext(req), user, method, recoveryCodesLeft);
  await regenerate(req);
  req.session.userId = user.id;
  if (method === "sso+provider_mfa") req.session.secondFactorByProvider = true;
  req.session.lastSeenAt = Date.now();
  req.session.signedInAt = Date.now();
  await saveSession(req);
}

/** The pending sign-in's person, or null (none, expired, or the account was deactivated meanwhile). */
export async function pendingUser(db: Db, req: Request): Promise<User | null> {
  const pending = req.session.pendingLogin;
  if (!pending) return null;
  if (pending.expiresAt < Date.now()) {
    delete req.session.pendingLogin;
    return null;
  }
  return activeUser(db, pending.userId);
}

/** After single sign-on, the second step names the method by what came first. */
function afterFirstStep(method: "password+totp" | "password+recovery_code" | "password+passkey", via: "sso" | undefined): SignInMethod {
  return via === "sso" ? (method.replace("password+", "sso+") as SignInMethod) : method;
}

export function authRoutes(db: Db, config: Config) {
  const router = Router();
  // The sign-in page offers single sign-on only when it is configured.
  router.use("/login", (_req, res, next) => {
    res.locals.ssoAvailable = !!config.oidc;
    next();
  });

  router.get("/login", (req, res) => {
    if (req.user) return res.redirect(303, safeNext(req.query.next));
    res.render("login", { title: "Sign in", email: "", next: safeNext(req.query.next), error: null, fieldErrors: {} });
  });

  router.post("/login", async (req, res) => {
    const parsed = loginSchema.safeParse(req.body ?? {});
    const email = typeof req.body?.email === "string" ? req.body.email : "";
    const next = safeNext(req.body?.next);
    if (!parsed.success) {
      return res.status(400).render("login", { title: "Sign in", email, next, error: "Enter your email and password.", fieldErrors: {} });
    }
    try {
      const user = await checkPassword(db, auditContext(req), parsed.data.email, parsed.data.password);
      if (await hasSecondFactor(db, user.id)) {
        // A new session id already here, so the pending state cannot be planted by someone else.
        await regenerate(req);
        req.session.pendingLogin = { userId: user.id, expiresAt: Date.now() + PENDING_LOGIN_MS, next };
        await saveSession(req);
        return res.redirect(303, "/login/second-factor");
      }
      await startSession(db, req, user, "password");
      res.redirect(303, next);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const status = error.code === "TOO_MANY_REQUESTS" ? 429 : 401;
      if (typeof error.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
      res.status(status).render("login", { title: "Sign in", email, next, error: error.message, fieldErrors: {} });
    }
  });

  async function renderSecondFactor(res: Response, user: User, status: number, error: string | null) {
    const factors = await factorStatus(db, user.id);
    res.status(status).render("login-second-factor", {
      title: "Second factor", error, hasTotp: !!factors.totp, hasPasskeys: factors.passkeys.length > 0, recoveryCodesLeft: factors.recoveryCodesLeft,
    });
  }

  const expired = (res: Response) =>
    res.status(401).render("login", { title: "Sign in", email: "", next: "/editor", error: "Your sign-in was not finished in time. Enter your email and password again.", fieldErrors: {} });

  router.get("/login/second-factor", async (req, res) => {
    const user = await pendingUser(db, req);
    if (!user) return res.redirect(303, "/login");
    await renderSecondFactor(res, user, 200, null);
  });

  router.post("/login/second-factor", async (req, res) => {
    const user = await pendingUser(db, req);
    if (!user) {
      if (req.session.pendingLogin === undefined && req.body?.code) await recordSecondFactorRefusal(db, auditContext(req), null, "expired");
      return expired(res);
    }
    const parsed = codeSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderSecondFactor(res, user, 400, "Enter the 6-digit code from your authenticator app, or a recovery code.");
    try {
      const result = await checkSignInCode(db, auditContext(req), user, parsed.data.code, config.sessionSecret);
      const next = req.session.pendingLogin!.next;
      const via = req.session.pendingLogin!.via;
      await startSession(db, req, user, afterFirstStep(result.method, via), result.method === "password+recovery_code" ? result.recoveryCodesLeft : undefined);
      res.redirect(303, result.method === "password+recovery_code" ? "/account/security?recovery=used" : next);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (typeof error.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
      await renderSecondFactor(res, user, error.code === "TOO_MANY_REQUESTS" ? 429 : 401, error.message);
    }
  });

  // Passkeys: alone (a discoverable credential, from the sign-in page) or as the second step.
  const rp = relyingParty(config.publicUrl);
  router.post("/login/passkey/options", async (req, res) => {
    const pending = await pendingUser(db, req);
    const options = await signInOptions(db, rp, pending?.id ?? null);
    rememberChallenge(req, "login", options.challenge);
    res.json(options);
  });

  router.post("/login/passkey", async (req, res) => {
    try {
      const pending = await pendingUser(db, req);
      const next = pending ? req.session.pendingLogin!.next : safeNext(req.body?.next);
      const user = await signInWithPasskey(db, auditContext(req), rp, takeChallenge(req, "login"), req.body?.response, pending);
      await startSession(db, req, user, pending ? afterFirstStep("password+passkey", req.session.pendingLogin!.via) : "passkey");
      res.json({ redirect: next });
    } catch (error) {
      jsonRefusal(res, error);
    }
  });

  // Single sign-on (OpenID Connect, decision 0035).
  router.post("/login/oidc", async (req, res) => {
    if (!config.oidc) throw new AppError("NOT_FOUND", "Single sign-on is not set up on this site.");
    let started;
    try {
      started = await startSso(config.oidc, safeNext(req.body?.next));
    } catch {
      return res.status(502).render("login", { title: "Sign in", email: "", next: safeNext(req.body?.next), error: "The identity provider could not be reached. Try again in a moment, or sign in with your password.", fieldErrors: {} });
    }
    req.session.pendingSso = started.pending;
    await saveSession(req);
    res.redirect(303, started.url);
  });

  router.get("/login/oidc/callback", async (req, res) => {
    if (!config.oidc) throw new AppError("NOT_FOUND", "Single sign-on is not set up on this site.");
    const pending = req.session.pendingSso;
    // Used once, whatever the outcome: a replayed answer finds nothing to match.
    delete req.session.pendingSso;
    const callbackUrl = new URL(req.originalUrl, `${config.publicUrl}/`);
    try {
      const { user, providerMfa } = await finishSso(db, auditContext(req), config.oidc, callbackUrl, pending);
      const next = pending!.next;
      if (!providerMfa && (await hasSecondFactor(db, user.id))) {
        await regenerate(req);
        req.session.pendingLogin = { userId: user.id, expiresAt: Date.now() + PENDING_LOGIN_MS, next, via: "sso" };
        await saveSession(req);
        return res.redirect(303, "/login/second-factor");
      }
      await startSession(db, req, user, providerMfa ? "sso+provider_mfa" : "sso");
      res.redirect(303, next);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await saveSession(req);
      res.status(error.code === "FORBIDDEN" ? 403 : 400).render("login", { title: "Sign in", email: "", next: "/editor", error: error.message, fieldErrors: {} });
    }
  });

  router.post("/login/cancel", async (req, res) => {
    delete req.session.pendingLogin;
    await saveSession(req);
    res.redirect(303, "/login");
  });

  router.post("/logout", async (req, res) => {
    if (req.user) await recordSignOut(db, auditContext(req));
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie("mecms.sid");
    res.redirect(303, "/articles");
  });

  return router;
}
