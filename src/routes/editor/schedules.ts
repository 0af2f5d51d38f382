// Scheduling and cancelling the publication of a named revision.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { cancelSchedule, createSchedule, newScheduleSchema, scheduleToCancel } from "../../services/schedules.js";
import { askToConfirm, isConfirmed } from "../../web/confirm.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { uuid } from "../../schemas.js";
import { formatDateTime } from "../../web/format.js";
import { idParams, params } from "./shared.js";

export function scheduleRoutes(db: Db) {
  const router = Router();

  router.post("/articles/:id/schedules", async (req, res) => {
    const { id } = params(idParams, req);
    const input = parseInput(newScheduleSchema, req.body, "The schedule");
    const { schedule, revisionNumber } = await createSchedule(db, auditContext(req), req.user!, id, input);
    const what = schedule.action === "PUBLISH" ? "publication" : "unpublication";
    await withNotice(req, res, `/editor/articles/${id}#schedules`, `Revision ${revisionNumber}: ${what} scheduled for ${formatDateTime(schedule.runAt)}. The app does it then, after checking again that it is allowed; you and the editor are told if it cannot.`);
  });

  router.post("/articles/:id/schedules/:scheduleId/cancel", async (req, res) => {
    const { id, scheduleId } = params(idParams.extend({ scheduleId: uuid() }), req);
    if (!isConfirmed(req)) {
      const s = await scheduleToCancel(db, req.user!, id, scheduleId);
      const what = s.action === "PUBLISH" ? "publication" : "unpublication";
      return askToConfirm(req, res, {
        title: "Cancel this schedule?", question: `Cancel the ${what} of r${s.revision.number} planned for ${formatDateTime(s.runAt)}? Nothing will happen at that time.`,
        yes: "Yes, cancel the schedule", back: `/editor/articles/${id}#schedules`,
      });
    }
    await cancelSchedule(db, auditContext(req), req.user!, id, scheduleId);
    await withNotice(req, res, `/editor/articles/${id}#schedules`, "Schedule cancelled. Nothing will happen at that time; the public page stays as it is.");
  });

  return router;
}
