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
import { mediaRoutes } from "./editor/media.js";
import { previewPath } from "../services/publishing/index.js";

export function editorRoutes(db: Db, options: { previewSecret: string; publicUrl: string; mediaMaxBytes: number }) {
  const router = Router();
  router.use(requireUser);
  // A preview link's full address, rebuilt from its row: nothing secret is stored (decision 0028).
  router.use((_req, res, next) => {
    res.locals.previewUrlOf = (link: { id: string; expiresAt: Date }) => `${options.publicUrl}${previewPath(options.previewSecret, link)}`;
    next();
  });
  router.use(notificationRoutes(db));
  const workspace = (d: Db) => workspaceRoutes(d, options.publicUrl);
  // Order matters: /articles/new (edit) before /articles/:id (workspace).
  const edit = (d: Db) => editRoutes(d, { mediaMaxBytes: options.mediaMaxBytes });
  router.use(mediaRoutes(db));
  for (const screen of [dashboardRoutes, edit, workspace, revisionRoutes, commentRoutes, settingsRoutes, scheduleRoutes]) {
    router.use(screen(db));
  }
  router.use(previewLinkRoutes(db));
  return router;
}
