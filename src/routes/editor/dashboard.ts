// The staff dashboard: articles by state, "waiting for me", reviews and schedules due.
import { Router } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { dashboardScreen } from "../../services/dashboard.js";
import { revisionStates } from "../../web/format.js";

const dashboardQuery = z.object({
  state: z.enum(revisionStates).optional().catch(undefined),
  mine: z.literal("1").optional().catch(undefined),
  after: z.string().max(100).optional().catch(undefined),
});

export function dashboardRoutes(db: Db) {
  const router = Router();
  router.get("/", async (req, res) => {
    const query = dashboardQuery.parse(req.query);
    const screen = await dashboardScreen(db, req.user!, { state: query.state, waitingForMe: query.mine === "1", after: query.after });
    // The header's unread count came with the dashboard's one statement (src/app.ts loads it otherwise).
    res.locals.unreadCount = screen.unreadCount;
    res.render("editor/dashboard", screen);
  });
  return router;
}
