// Staff pages, one router per screen (src/routes/editor/*). Each route parses its
// input, calls one service, and renders or redirects.
import { Router } from "express";
import type { Db } from "../db/database.js";
import { requireUser } from "../web/security.js";
import { dashboardRoutes } from "./editor/dashboard.js";
import { workspaceRoutes } from "./editor/workspace.js";
import { editRoutes } from "./editor/edit.js";
import { revisionRoutes } from "./editor/revisions.js";
import { commentRoutes } from "./editor/comments.js";
import { settingsRoutes } from "./editor/settings.js";
import { scheduleRoutes } from "./editor/schedules.js";
import { previewLinkRoutes } from "./editor/preview-links.js";
import { notificationRoutes } from "./editor/notifications.js";

export function editorRoutes(db: Db, options: { previewSecret: string; publicUrl: string }) {
  const router = Router();
  router.use(requireUser);
  router.use(notificationRoutes(db));
  const workspace = (d: Db) => workspaceRoutes(d, options.publicUrl);
  // Order matters: /articles/new (edit) before /articles/:id (workspace).
  for (const screen of [dashboardRoutes, editRoutes, workspace, revisionRoutes, commentRoutes, settingsRoutes, scheduleRoutes]) {
    router.use(screen(db));
  }
  router.use(previewLinkRoutes(db, options.previewSecret));
  return router;
}
