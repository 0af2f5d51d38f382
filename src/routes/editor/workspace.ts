// The article workspace: the page, and the workflow steps taken from it.
import { Router } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError, httpStatusOf } from "../../errors.js";
import { confirmQuerySchema, confirmScreen, workspaceScreen } from "../../services/editor-screens.js";
import { applyTransition, signedContentHash, transitionInputSchema, type PasskeySigning, signatureMeanings, reassignReviewers, reassignSchema } from "../../services/review/index.js";
import { CHALLENGE_MS, newNonce, relyingParty, signingOptions, hasPasskey } from "../../services/people/index.js";
import { uuid } from "../../schemas.js";
import { can } from "../../workflow/permissions.js";
import { transitions } from "../../workflow/transitions.js";
import { jsonRefusal } from "../passkeys.js";
import { auditContext } from "../../web/context.js";
import { parseInput, textValues } from "../../web/validate.js";
import { correctableRefusal, staysOnPage } from "../../web/refusal.js";
import { takeNotice, withNotice } from "../../web/notice.js";
import { transitionNames, type TransitionName } from "../../workflow/transitions.js";
import { idParams, params, requirePermission, workspaceRefusal } from "./shared.js";

/** What a refused workflow form shows again as typed (never the password). */
const refillableFields = ["comment", "meaning", "overrideReason", "reviewDue"] as const;

declare module "express-session" {
  interface SessionData {
    /** A passkey signature being made: what its challenge was computed from (used once). */
    signing?: { nonce: string; revisionId: string; meaning: string; expiresAt: number };
  }
}

const signingRequest = z.object({
  revisionId: uuid("unknown revision"),
  meaning: z.enum(signatureMeanings, { message: "Choose the meaning of your signature." }),
});
/** The browser's passkey answer, sent with the approve form in place of the password. */
const passkeyField = z.object({ passkeyResponse: z.string().max(30_000).optional().default("") });

export function workspaceRoutes(db: Db, publicUrl: string) {
  const router = Router();
  const rp = relyingParty(publicUrl);

  router.get("/articles/:id", async (req, res) => {
    const { id } = params(idParams, req);
    // ?created=<id>: the preview link just created, marked in the list.
    const created = uuid().safeParse(req.query.created);
    res.render("editor/article", { ...(await workspaceScreen(db, req.user!, id)), hasPasskey: await hasPasskey(db, req.user!.id), notice: takeNotice(req), refused: null, createdLinkId: created.success ? created.data : null });
  });

  // The challenge of a passkey signature: SHA-256 over the revision, its content hash, the
  // meaning, the signer and a nonce kept in the session (services/people/passkeys.ts).
  router.post("/articles/:id/signature-options", async (req, res) => {
    try {
      const { id } = params(idParams, req);
      if (!can(req.user, transitions.approve.permission)) throw new AppError("FORBIDDEN", "Your role does not allow signing.");
      const input = parseInput(signingRequest, req.body, "The signature");
      const nonce = newNonce();
      const contentHash = await signedContentHash(db, id, input.revisionId);
      const options = await signingOptions(db, req.user!, rp, { revisionId: input.revisionId, contentHash, meaning: input.meaning, signerId: req.user!.id, nonce });
      req.session.signing = { nonce, revisionId: input.revisionId, meaning: input.meaning, expiresAt: Date.now() + CHALLENGE_MS };
      res.json(options);
    } catch (error) {
      jsonRefusal(res, error);
    }
  });

  router.post("/articles/:id/transitions/:name", async (req, res) => {
    const { id } = params(idParams, req);
    const name = z.enum(transitionNames as [TransitionName, ...TransitionName[]]).safeParse(req.params.name);
    if (!name.success) throw new AppError("NOT_FOUND", "There is no such workflow step.");
    try {
      const input = parseInput(transitionInputSchema, req.body);
      const { passkeyResponse } = parseInput(passkeyField, req.body);
      let passkey: PasskeySigning | undefined;
      if (name.data === "approve" && passkeyResponse) {
        const pending = req.session.signing;
        delete req.session.signing;
        passkey = { rp, response: passkeyResponse, challenge: pending && pending.expiresAt > Date.now() ? pending : null };
      }
      const result = await applyTransition(db, auditContext(req), req.user!, id, name.data, input, passkey);
      await withNotice(req, res, `/editor/articles/${id}`, result.notice);
    } catch (error) {
      const refusal = correctableRefusal(error);
      if (!refusal) throw error;
      res.status(httpStatusOf[refusal.code]);
      if (typeof refusal.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(refusal.details.retryAfterSeconds));
      const refused = { transition: name.data, message: refusal.message, fieldErrors: refusal.details.fieldErrors ?? {}, values: textValues(req.body, refillableFields) };
      // Publish and Unpublish are posted from their confirmation page: a reason to correct goes back
      // there, kept; a state that changed meanwhile goes to the workspace, which shows it as it now is.
      if ((name.data === "publish" || name.data === "unpublish") && Object.keys(refused.fieldErrors).length) {
        const query = confirmQuerySchema.safeParse({ ...textValues(req.body, ["revisionId", "expectedState"] as const), comment: refused.values.comment.slice(0, 5000) });
        if (query.success) {
          const screen = await confirmScreen(db, id, name.data, query.data).catch(() => null);
          if (screen) return res.render("editor/confirm", { ...screen, query: { ...query.data, comment: refused.values.comment }, refused });
        }
      }
      res.render("editor/article", {
        ...(await workspaceScreen(db, req.user!, id)),
        hasPasskey: await hasPasskey(db, req.user!.id),
        notice: null,
        refused: { transition: name.data, message: refusal.message, fieldErrors: refusal.details.fieldErrors ?? {}, values: textValues(req.body, refillableFields) },
      });
    }
  });

  // Publish and Unpublish are confirmed on a page that shows what the public will see.
  router.get("/articles/:id/confirm/:name", async (req, res) => {
    const { id } = params(idParams, req);
    const name = z.enum(["publish", "unpublish"]).safeParse(req.params.name);
    if (!name.success) throw new AppError("NOT_FOUND", "There is no such workflow step.");
    requirePermission(req.user, "workflow.publish", `"${name.data === "publish" ? "Publish" : "Unpublish"}"`);
    const query = parseInput(confirmQuerySchema, req.query, "The link");
    res.render("editor/confirm", await confirmScreen(db, id, name.data, query));
  });

  // Reassigning the revision under review (an audited action of its own).
  router.post("/articles/:id/assignments", async (req, res) => {
    const { id } = params(idParams, req);
    await staysOnPage(res, req.body, { name: "assignment", labels: { reviewerIds: "Reviewers", reviewDue: "Review due by" } }, async () => {
      const input = parseInput(reassignSchema, req.body, "The assignment");
      const { revisionNumber } = await reassignReviewers(db, auditContext(req), req.user!, id, input);
      await withNotice(req, res, `/editor/articles/${id}#reviewers`, `Reviewers of revision ${revisionNumber} reassigned. They are told now and see it under Assigned reviews.`);
    }, workspaceRefusal(db, req, res, id));
  });

  return router;
}
