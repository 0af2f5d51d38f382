// Article settings (admins) and the article's address (editors too).
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { addressChangeSchema, articleSettingsSchema, changeArticleAddress, updateArticleSettings } from "../../services/editorial/index.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { staysOnPage } from "../../web/refusal.js";
import { idParams, params, requirePermission, workspaceRefusal } from "./shared.js";

const settingsForm = {
  name: "settings",
  labels: { slug: "Address", approvalsRequired: "Approvals required", nextReviewDue: "Next review due", visibleWhilePending: "Show to the public while pending review" },
};
const addressForm = { name: "address", labels: { slug: "Public address" } };

export function settingsRoutes(db: Db) {
  const router = Router();

  router.post("/articles/:id/settings", async (req, res) => {
    const { id } = params(idParams, req);
    requirePermission(req.user, "article.settings", "changing article settings");
    await staysOnPage(res, req.body, settingsForm, async () => {
      const input = parseInput(articleSettingsSchema, req.body, "The settings");
      await updateArticleSettings(db, auditContext(req), id, input);
      await withNotice(req, res, `/editor/articles/${id}`, "Settings saved.");
    }, workspaceRefusal(db, req, res, id));
  });

  // Editors may change the article's address, but not the review settings above.
  router.post("/articles/:id/slug", async (req, res) => {
    const { id } = params(idParams, req);
    requirePermission(req.user, "article.edit", "changing the article's address");
    await staysOnPage(res, req.body, addressForm, async () => {
      const input = parseInput(addressChangeSchema, req.body, "The address");
      await changeArticleAddress(db, auditContext(req), id, input);
      await withNotice(req, res, `/editor/articles/${id}`, `The article's address is now /articles/${input.slug}.`);
    }, workspaceRefusal(db, req, res, id));
  });

  return router;
}
