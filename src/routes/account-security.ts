// /account/security: a person's own second factors (authenticator app, recovery codes,
// passkeys). When REQUIRE_SECOND_FACTOR names their role and they have none yet, this is
// the only staff page they can reach (web/second-factor-gate.ts) and it says why.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { confirmTotpSetup, factorStatus, hasSecondFactor, mustHaveSecondFactor, removeTotp, renewRecoveryCodes, resumeTotpSetup, startTotpSetup } from "../services/people/index.js";
import { auditContext } from "../web/context.js";
import { requireUser } from "../web/security.js";
import { takeNotice, withNotice } from "../web/notice.js";
import { passkeyRoutes } from "./passkeys.js";

declare module "express-session" {
  interface SessionData {
    /** An authenticator app being set up: the sealed secret until a first code confirms it. */
    totpSetup?: { sealed: string; expiresAt: number };
    /** Recovery codes made with a passkey added by the browser's script: shown once on the next page. */
    freshRecoveryCodes?: string[];
  }
}

const SETUP_MS = 15 * 60_000;
const codeSchema = z.object({ code: z.string().trim().max(100).default("") });

export function accountSecurityRoutes(db: Db, config: Config) {
  const router = Router();
  router.use(requireUser);

  async function render(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const user = req.user!;
    const setup = req.session.totpSetup && req.session.totpSetup.expiresAt > Date.now() ? await resumeTotpSetup(user, req.session.totpSetup.sealed, config.sessionSecret) : null;
    const factors = await factorStatus(db, user.id);
    const fresh = req.session.freshRecoveryCodes ?? null;
    delete req.session.freshRecoveryCodes;
    const required = mustHaveSecondFactor(user, config.requireSecondFactorRoles) && !factors.totp && !factors.passkeys.length;
    res.status(status).set("Cache-Control", "no-store").render("account/security", {
      title: "Sign-in security", factors, setup, required, recoveryCodes: fresh, error: null, fieldErrors: {},
      notice: takeNotice(req), recoveryUsed: req.query.recovery === "used", ...extra,
    });
  }

  router.get("/", (req, res) => render(req, res));

  router.post("/totp/start", async (req, res) => {
    const setup = await startTotpSetup(req.user!, config.sessionSecret);
    req.session.totpSetup = { sealed: setup.sealed, expiresAt: Date.now() + SETUP_MS };
    await render(req, res);
  });

  router.post("/totp/confirm", async (req, res) => {
    const pending = req.session.totpSetup;
    if (!pending || pending.expiresAt < Date.now()) {
      delete req.session.totpSetup;
      return render(req, res, 400, { error: "The set-up took too long and has expired. Start again: you will get a new QR code." });
    }
    const { code } = codeSchema.parse(req.body ?? {});
    try {
      if (!code) throw new AppError("BAD_REQUEST", "Enter the 6-digit code the app shows.", { fieldErrors: { code: "Enter the 6-digit code the app shows." } });
      const { recoveryCodes } = await confirmTotpSetup(db, auditContext(req), req.user!, pending.sealed, code, config.sessionSecret);
      delete req.session.totpSetup;
      await render(req, res, 201, { recoveryCodes, notice: "Your authenticator app is set up. From now on you are asked for a code after your password." });
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      if (error.code === "CONFLICT") delete req.session.totpSetup;
      await render(req, res, error.code === "CONFLICT" ? 409 : 400, { error: error.message, fieldErrors: error.details.fieldErrors ?? {} });
    }
  });

  router.post("/totp/cancel", async (req, res) => {
    delete req.session.totpSetup;
    await withNotice(req, res, "/account/security", "The set-up was cancelled; nothing was changed.");
  });

  router.post("/totp/remove", async (req, res) => {
    await removeTotp(db, auditContext(req), req.user!);
    const left = await hasSecondFactor(db, req.user!.id);
    await withNotice(req, res, "/account/security", left ? "The authenticator app is removed." : "The authenticator app is removed. You now sign in with your password alone.");
  });

  router.post("/recovery-codes", async (req, res) => {
    try {
      const recoveryCodes = await renewRecoveryCodes(db, auditContext(req), req.user!);
      await render(req, res, 201, { recoveryCodes, notice: "New recovery codes made: the old ones no longer work." });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "CONFLICT") throw error;
      await render(req, res, 409, { error: error.message });
    }
  });

  router.use("/passkeys", passkeyRoutes(db, config));

  // A refusal the person can act on (nothing to remove, a name too long, a stale page) brings
  // them back to this page with the reason, not to an error page (decision 0021).
  const onThisPage = { BAD_REQUEST: 400, NOT_FOUND: 404, CONFLICT: 409 } as const;
  router.use(async (error: unknown, req: Request, res: Response, next: (e?: unknown) => void) => {
    if (!(error instanceof AppError) || req.method !== "POST" || !(error.code in onThisPage)) return next(error);
    await render(req, res, onThisPage[error.code as keyof typeof onThisPage], { error: error.message, fieldErrors: error.details.fieldErrors ?? {} });
  });
  return router;
}
