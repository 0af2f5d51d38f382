// Scheduling and cancelling the publication of a named revision.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { askToConfirm, isConfirmed } from "../../web/confirm.js";
import { cancelSchedule, createSchedule, findArticleSchedule, newScheduleSchema, scheduleStatusLabels, scheduleToCancel } from "../../services/publishing/index.js";
import { AppError } from "../../errors.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { staysOnPage } from "../../web/refusal.js";
import { scheduleInWords } from "../../time.js";
import { formatDateTime } from "../../web/format.js";
import { uuid } from "../../schemas.js";
import { idParams, params, requirePermission, workspaceRefusal } from "./shared.js";

export const scheduleForm = {
  name: "schedule",
  labels: { revisionId: "Approved revision", action: "Action", runAt: "When", timeZone: "Time zone", reason: "Reason" },
};

export function scheduleRoutes(db: Db) {
  const router = Router();

  router.post("/articles/:id/schedules", async (req, res) => {
    const { id } = params(idParams, req);
    await staysOnPage(res, req.body, scheduleForm, async () => {
      const input = parseInput(newScheduleSchema, req.body, "The schedule");
      const { schedule, revisionNumber } = await createSchedule(db, auditContext(req), req.user!, id, input);
      const what = schedule.action === "PUBLISH" ? "publication" : "unpublication";
      await withNotice(req, res, `/editor/articles/${id}#schedules`, `Revision ${revisionNumber}: ${what} scheduled ${scheduleInWords(schedule.runAt, input.timeZone)}. The app does it then, after checking again that it is allowed; you and the editor are told if it cannot.`);
    }, workspaceRefusal(db, req, res, id));
  });

  // Cancelling is asked once more, saying what will (not) happen.
  router.get("/articles/:id/schedules/:scheduleId/cancel", async (req, res) => {
    const { id, scheduleId } = params(idParams.extend({ scheduleId: uuid() }), req);
    requirePermission(req.user, "workflow.publish", "cancelling scheduled publications");
    const schedule = await findArticleSchedule(db, id, scheduleId);
    if (schedule.status !== "SCHEDULED") throw new AppError("CONFLICT", `This schedule is already ${scheduleStatusLabels[schedule.status].toLowerCase()}; there is nothing to cancel.`);
    const what = schedule.action === "PUBLISH" ? "publication" : "unpublication";
    res.render("editor/confirm-action", {
      title: `Cancel the scheduled ${what} of r${schedule.revision.number}?`,
      explanation: [
        `It is scheduled ${scheduleInWords(schedule.runAt)}.`,
        `If you cancel it, nothing happens at that time and the public page stays as it is. You can schedule it again later.`,
      ],
      action: `/editor/articles/${id}/schedules/${scheduleId}/cancel`, button: `Yes, cancel the ${what} of r${schedule.revision.number}`, back: `/editor/articles/${id}#schedules`,
    });
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
    await staysOnPage(res, req.body, { name: `cancel-${scheduleId}`, labels: {} }, async () => {
      await cancelSchedule(db, auditContext(req), req.user!, id, scheduleId);
      await withNotice(req, res, `/editor/articles/${id}#schedules`, "Schedule cancelled. Nothing will happen at that time; the public page stays as it is.");
    }, workspaceRefusal(db, req, res, id));
  });

  return router;
}
