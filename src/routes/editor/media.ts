// The media page (/editor/media): every image with its texts and where it is used, searchable
// by alternative text, caption or file name; deleting an image nobody publicly depends on; and
// the signed-in route for images that are not (yet) public.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { deleteMedia, imageRendition, listMedia } from "../../services/editorial/index.js";
import { imageHashPattern } from "../../content/revision-content.js";
import { parseRenditionFile, renditionFile } from "../../content/images.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { takeNotice, withNotice } from "../../web/notice.js";
import { staysOnPage, type FormRefusal } from "../../web/refusal.js";
import { isConfirmed } from "../../web/confirm.js";
import { sendImage } from "../../web/image-response.js";
import { can } from "../../workflow/permissions.js";
import { requirePermission } from "./shared.js";

const searchSchema = z.object({ q: z.string().trim().max(200, "must be at most 200 characters").optional().default("") });
const hashParams = z.object({ hash: z.string().regex(imageHashPattern) });
const deleteSchema = z.object({ reason: z.string().trim().min(1, "say why the image is deleted (it is kept in the audit trail)").max(500, "must be at most 500 characters") });

export function mediaRoutes(db: Db) {
  const router = Router();

  async function renderMedia(req: Request, res: Response, q: string, formRefused: FormRefusal | null = null) {
    const items = await listMedia(db, { q });
    res.render("editor/media", {
      title: "Images", q, formRefused, notice: takeNotice(req), canDelete: can(req.user, "article.edit"),
      items: items.map((item) => ({
        ...item,
        // A small rendition for the list (the staff route serves images that are not public).
        thumb: item.deletedAt ? null : `/editor/media/${renditionFile(item.hash, Math.min(480, item.width), "webp")}`,
      })),
    });
  }

  router.get("/media", async (req, res) => {
    const { q } = parseInput(searchSchema, req.query, "The search");
    await renderMedia(req, res, q);
  });

  // An image at its content-addressed name, for signed-in staff (drafts' images too).
  router.get("/media/:file", async (req, res) => {
    const file = parseRenditionFile(String(req.params.file));
    const rendition = file ? await imageRendition(db, file.hash, file.width, file.format, { nearest: true }) : null;
    if (!file || !rendition) throw new AppError("NOT_FOUND", "There is no such image.");
    sendImage(res, rendition.bytes, file.format);
  });

  router.post("/media/:hash/delete", async (req, res) => {
    const parsed = hashParams.safeParse(req.params);
    if (!parsed.success) throw new AppError("NOT_FOUND", "There is no such image.");
    const { hash } = parsed.data;
    const user = requirePermission(req.user, "article.edit", "deleting images");
    const form = { name: `delete-${hash}`, labels: { reason: "Why delete it" } };
    await staysOnPage(res, req.body, form, async () => {
      if (!isConfirmed(req)) throw new AppError("BAD_REQUEST", "Confirm the deletion with its button.");
      const { reason } = parseInput(deleteSchema, req.body, "The deletion");
      await deleteMedia(db, auditContext(req), user, hash, reason);
      await withNotice(req, res, "/editor/media", "Image deleted. Revisions that used it show it as deleted; none of them is live, approved or shown to the public.");
    }, (refused) => renderMedia(req, res, "", refused));
  });

  return router;
}
