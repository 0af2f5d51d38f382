// Passkeys on /account/security: the browser asks for options (JSON), creates the
// credential, and posts it back (JSON); rename and remove are plain forms.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import { AppError, httpStatusOf } from "../errors.js";
import { CHALLENGE_MS, registerPasskey, registrationOptions, relyingParty, removePasskey, renamePasskey, hasSecondFactor } from "../services/people/index.js";
import { uuid } from "../schemas.js";
import { auditContext } from "../web/context.js";
import { withNotice } from "../web/notice.js";

declare module "express-session" {
  interface SessionData {
    /** The challenge of a WebAuthn ceremony in progress, used once. */
    webauthn?: { purpose: "register" | "login"; challenge: string; expiresAt: number };
  }
}

/** Takes the session's challenge for `purpose` (once: a replayed answer finds none). */
export function takeChallenge(req: Request, purpose: "register" | "login"): string | null {
  const pending = req.session.webauthn;
  delete req.session.webauthn;
  return pending && pending.purpose === purpose && pending.expiresAt > Date.now() ? pending.challenge : null;
}

export function rememberChallenge(req: Request, purpose: "register" | "login", challenge: string) {
  req.session.webauthn = { purpose, challenge, expiresAt: Date.now() + CHALLENGE_MS };
}

/** JSON endpoints answer refusals as { error } with the usual status. */
export function jsonRefusal(res: Response, error: unknown) {
  if (!(error instanceof AppError)) throw error;
  if (typeof error.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
  res.status(httpStatusOf[error.code]).json({ error: error.message });
}

const passkeyParams = z.object({ id: uuid() });
const registerBody = z.object({ name: z.string().max(200).default(""), response: z.unknown() });

export function passkeyRoutes(db: Db, config: Config) {
  const router = Router();
  const rp = relyingParty(config.publicUrl);

  router.post("/options", async (req, res) => {
    const options = await registrationOptions(db, req.user!, rp);
    rememberChallenge(req, "register", options.challenge);
    res.json(options);
  });

  router.post("/", async (req, res) => {
    try {
      const body = registerBody.safeParse(req.body ?? {});
      if (!body.success) throw new AppError("BAD_REQUEST", "The passkey's answer could not be read. Try again.");
      const challenge = takeChallenge(req, "register");
      if (!challenge) throw new AppError("BAD_REQUEST", "The passkey request has expired. Try again.");
      const { passkey, recoveryCodes } = await registerPasskey(db, auditContext(req), req.user!, rp, challenge, body.data.name, body.data.response);
      // Recovery codes are shown once, on the page the browser goes to next.
      req.session.freshRecoveryCodes = recoveryCodes ?? undefined;
      req.session.notice = `The passkey “${passkey.name}” is added.`;
      res.status(201).json({ redirect: "/account/security" });
    } catch (error) {
      jsonRefusal(res, error);
    }
  });

  router.post("/:id/rename", async (req, res) => {
    const params = passkeyParams.safeParse(req.params);
    if (!params.success) throw new AppError("NOT_FOUND", "That passkey does not exist.");
    await renamePasskey(db, auditContext(req), req.user!, params.data.id, String(req.body?.name ?? ""));
    await withNotice(req, res, "/account/security#passkeys", "The passkey is renamed.");
  });

  router.post("/:id/remove", async (req, res) => {
    const params = passkeyParams.safeParse(req.params);
    if (!params.success) throw new AppError("NOT_FOUND", "That passkey does not exist.");
    const removed = await removePasskey(db, auditContext(req), req.user!, params.data.id);
    const left = await hasSecondFactor(db, req.user!.id);
    await withNotice(req, res, "/account/security#passkeys", `The passkey “${removed.name}” is removed.${left ? "" : " You now sign in with your password alone."}`);
  });

  return router;
}
