// The notifications page (the bell), and each person's e-mail choices.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { emailPreferencesSchema, markAllRead, notificationsScreen, saveEmailPreferences } from "../../services/people/index.js";
import { parseInput } from "../../web/validate.js";
import { staysOnPage } from "../../web/refusal.js";
import { takeNotice, withNotice } from "../../web/notice.js";

export function notificationRoutes(db: Db) {
  const router = Router();

  router.get("/notifications", async (req, res) => {
    // The header's count is read as the page renders, after this marked its notifications read.
    const screen = await notificationsScreen(db, req.user!);
    res.render("editor/notifications", { ...screen, notice: takeNotice(req) });
  });

  router.post("/notifications/read", async (req, res) => {
    await markAllRead(db, req.user!.id);
    await withNotice(req, res, "/editor/notifications", "All notifications marked as read.");
  });

  router.post("/notifications/preferences", async (req, res) => {
    await staysOnPage(res, req.body, { name: "email-preferences", labels: { email: "E-mail" } }, async () => {
      const input = parseInput(emailPreferencesSchema, req.body, "The e-mail choices");
      await saveEmailPreferences(db, req.user!, input);
      await withNotice(req, res, "/editor/notifications", "E-mail choices saved.");
    }, async (formRefused) => res.render("editor/notifications", { ...(await notificationsScreen(db, req.user!)), notice: null, formRefused }));
  });

  return router;
}
