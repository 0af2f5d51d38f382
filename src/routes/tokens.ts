// Personal API tokens, managed by their owner on a signed-in page (session + CSRF,
// like every other form). A new token is shown once, in the response to the form
// that created it, and is never stored or shown again.
import { Router, type Request, type Response } from "express";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { createApiToken, listApiTokens, newTokenSchema, ownApiToken, revokeApiToken, tokenIdSchema, tokenScopes } from "../services/people/index.js";
import { askToConfirm, isConfirmed } from "../web/confirm.js";
import { auditContext } from "../web/context.js";
import { requireUser } from "../web/security.js";
import { parseInput } from "../web/validate.js";
import { staysOnPage } from "../web/refusal.js";
import { takeNotice, withNotice } from "../web/notice.js";

export function tokenRoutes(db: Db) {
  const router = Router();
  router.use(requireUser);

  async function render(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    res.status(status).set("Cache-Control", "no-store").render("account/tokens", {
      title: "API tokens", tokens: await listApiTokens(db, req.user!), scopes: tokenScopes,
      created: null, error: null, fieldErrors: {}, values: { name: "", scopes: ["read"] }, notice: takeNotice(req), ...extra,
    });
  }

  router.get("/", (req, res) => render(req, res));

  router.post("/", async (req, res) => {
    const values = { name: String(req.body?.name ?? ""), scopes: [req.body?.scopes ?? []].flat().map(String) };
    try {
      const input = parseInput(newTokenSchema, req.body, "The token");
      const { token, record } = await createApiToken(db, auditContext(req), req.user!, input);
      await render(req, res, { created: { token, name: record.name, scopes: record.scopes } }, 201);
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      await render(req, res, { error: error.message, fieldErrors: error.details.fieldErrors ?? {}, values }, error.code === "CONFLICT" ? 409 : 400);
    }
  });

  router.post("/:tokenId/revoke", async (req, res) => {
    const parsed = tokenIdSchema.safeParse(req.params);
    if (!parsed.success) throw new AppError("NOT_FOUND", "That token does not exist.");
    if (!isConfirmed(req)) {
      const token = await ownApiToken(db, req.user!, parsed.data.tokenId);
      return askToConfirm(req, res, {
        title: "Revoke this token?", question: `Revoke the token "${token.name}"? Programs using it will stop working at once; this cannot be undone.`,
        yes: "Yes, revoke the token", back: "/account/tokens",
      });
    }
    await staysOnPage(res, req.body, { name: `revoke-${parsed.data.tokenId}`, labels: {} }, async () => {
      const token = await revokeApiToken(db, auditContext(req), req.user!, parsed.data.tokenId);
      await withNotice(req, res, "/account/tokens", `The token "${token.name}" is revoked: it no longer works.`);
    }, (formRefused) => render(req, res, { error: formRefused.message }, res.statusCode));
  });

  return router;
}
