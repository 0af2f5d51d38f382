// Creating an article and editing it: every save is a new revision.
import { Router, type Response } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { createNewArticle, saveRevision, toContent } from "../../services/editorial/index.js";
import { editorScreen, openEditorScreen, staleSaveConflict } from "../../services/editor-screens.js";
import { contentFromForm, formFromBody, formFromContent, isBlankFigure, newFigureKey, withBlankRows, type ArticleForm } from "../../web/article-form.js";
import { prepareUpload, storeEditorImages, storedImageHashes } from "../../services/editorial/index.js";
import { figureSchema } from "../../content/revision-content.js";
import type { ProcessedImage } from "../../content/images.js";
import { fieldErrorsOf } from "../../web/validate.js";
import type { Request } from "express";
import { auditContext } from "../../web/context.js";
import { parseInput, textValues } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { schedulesOvertakenBy } from "../../services/publishing/index.js";
import { scheduleInWords } from "../../time.js";
import { can } from "../../workflow/permissions.js";
import { uuid } from "../../schemas.js";
import { idParams, params, requirePermission } from "./shared.js";

const newArticleSchema = z.object({
  title: z.string().trim().min(5, "the question must be at least 5 characters").max(300),
  slug: z.string().trim().max(120).regex(/^[a-z0-9-]*$/, "use lowercase letters, digits and hyphens").optional().default(""),
});

/** An image chosen in the form, checked and ready to store with the save (or the upload). */
interface ChosenImage {
  image: ProcessedImage;
  name: string;
  row: number;
}

/**
 * The images chosen in the editor's file inputs (figures[i][file]), checked and normalized but not
 * stored; each sets its figure row's image. A refused file is a field error on that row, with the
 * sentence saying why; a new figure row gets its key.
 */
async function chooseImages(req: Request, form: ArticleForm, maxBytes: number): Promise<{ chosen: ChosenImage[]; fieldErrors: Record<string, string> }> {
  const chosen: ChosenImage[] = [];
  const fieldErrors: Record<string, string> = {};
  for (const upload of req.uploads ?? []) {
    const m = /^figures\[(\d{1,3})\]\[file\]$/.exec(upload.field);
    const row = m ? form.figures[Number(m[1])] : undefined;
    if (!m || !row) continue;
    const field = `figures.${m[1]}.file`;
    try {
      if (upload.tooLarge) {
        throw new AppError("BAD_REQUEST", `“${upload.name}” is larger than ${(maxBytes / 1024 / 1024).toFixed(0)} MB: export it smaller and upload it again.`);
      }
      const image = await prepareUpload(upload.bytes, upload.name, maxBytes, field);
      row.image = image.hash;
      if (!row.key) row.key = newFigureKey(row, form);
      chosen.push({ image, name: upload.name, row: Number(m[1]) });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "BAD_REQUEST") throw error;
      fieldErrors[field] = error.message;
    }
  }
  // A new figure needs an image: texts typed into the blank row without a file are kept, and said so.
  form.figures.forEach((row, i) => {
    if (!row.remove && !row.image && !isBlankFigure(row) && !fieldErrors[`figures.${i}.file`]) {
      fieldErrors[`figures.${i}.file`] = "choose the image file for this figure (JPEG, PNG, WebP or AVIF)";
    }
  });
  return { chosen, fieldErrors };
}

export function editRoutes(db: Db, options: { mediaMaxBytes: number }) {
  const router = Router();
  router.use((_req, res, next) => {
    res.locals.mediaMaxMb = Math.round((options.mediaMaxBytes / 1024 / 1024) * 10) / 10;
    next();
  });

  router.get("/articles/new", (req, res) => {
    requirePermission(req.user, "article.create", "creating articles");
    res.render("editor/new-article", { title: "New article", values: { title: "", slug: "" }, fieldErrors: {} });
  });

  router.post("/articles", async (req, res) => {
    const user = requirePermission(req.user, "article.create", "creating articles");
    const values = textValues(req.body, ["title", "slug"] as const);
    try {
      const input = parseInput(newArticleSchema, req.body);
      const { article } = await createNewArticle(db, auditContext(req), user, input);
      res.redirect(303, `/editor/articles/${article.id}/edit`);
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      res.status(error.code === "CONFLICT" ? 409 : 400).render("editor/new-article", { title: "New article", values, fieldErrors: error.details.fieldErrors ?? {}, error: error.message });
    }
  });

  async function renderEditor(res: Response, articleId: string, form: ArticleForm, extra: Record<string, unknown>, status: number) {
    res.status(status).render("editor/edit", await editorScreen(db, articleId, withBlankRows(form), extra));
  }

  router.get("/articles/:id/edit", async (req, res) => {
    const { id } = params(idParams, req);
    const user = requirePermission(req.user, "article.edit", "editing articles");
    const { locked, editable } = await openEditorScreen(db, user, id);
    // A revision in review: say why it cannot be edited and what can be done (not a bare 409 page).
    if (locked) return res.status(409).render("editor/locked", locked);
    res.render("editor/edit", await editorScreen(db, id, withBlankRows(formFromContent(toContent(editable), editable.id))));
  });

  router.post("/articles/:id/edit", async (req, res) => {
    const { id } = params(idParams, req);
    const user = requirePermission(req.user, "article.edit", "editing articles");
    const form = formFromBody(req.body ?? {});
    if (!uuid().safeParse(form.baseRevisionId).success) {
      throw new AppError("BAD_REQUEST", "The form does not say which revision it was opened on. Reload the editor and try again.");
    }
    form.baseRevisionId = form.baseRevisionId.toLowerCase();
    const images = await chooseImages(req, form, options.mediaMaxBytes);
    // A file refused for what it is (its type, size, a bomb): nothing is stored, everything typed comes back.
    const imageRefusal = Object.values(images.fieldErrors)[0];
    if (req.body?.intent === "upload") return uploadOnly(req, res, id, user, form, images, imageRefusal);
    const parsed = contentFromForm(form);
    // A refused save stores no chosen image: those rows must be given their file again.
    const forgetChosen = async (fieldErrors: Record<string, string>) => {
      const stored = await storedImageHashes(db, images.chosen.map((c) => c.image.hash));
      for (const c of images.chosen) {
        if (stored.has(c.image.hash)) continue;
        form.figures[c.row]!.image = "";
        fieldErrors[`figures.${c.row}.file`] ??= `choose “${c.name}” again: an image is stored only with a saved revision (or with “Upload and keep editing”)`;
      }
      return fieldErrors;
    };
    if (!parsed.ok || imageRefusal) {
      const fieldErrors = await forgetChosen({ ...(parsed.ok ? {} : parsed.fieldErrors), ...images.fieldErrors });
      return renderEditor(res, id, form, { fieldErrors, error: `The revision was not saved${imageRefusal ? ` and no image was stored: ${imageRefusal}` : ": please correct the fields marked below."}` }, 400);
    }
    try {
      const revision = await saveRevision(db, auditContext(req), user, id, {
        baseRevisionId: form.baseRevisionId, content: parsed.content, changeNote: parsed.changeNote,
        images: images.chosen.map((c) => ({ image: c.image, name: c.name })),
      });
      // An older approved revision still scheduled to go live will not carry this edit: say so now.
      const overtaken = (await schedulesOvertakenBy(db, id, revision.number)).map((s) =>
        ` Note: r${s.revision.number} is still scheduled to go live ${scheduleInWords(s.runAt)}, without this edit; ${can(user, "workflow.publish") ? "cancel that schedule below" : "ask an admin to cancel that schedule"} if this edit must go live with it.`);
      await withNotice(req, res, `/editor/articles/${id}${overtaken.length ? "#overtaken-schedules" : ""}`, `Saved revision ${revision.number}. It is a draft that only staff see: submit it for review when it is ready, and the board will be told.${overtaken.join("")}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === "CONFLICT" && error.details.staleConflict) {
        // Keep the user's text; show what the other person changed since the user's base revision.
        const currentRevisionId = String(error.details.currentRevisionId);
        const conflict = await staleSaveConflict(db, form.baseRevisionId, currentRevisionId);
        return renderEditor(res, id, { ...form, baseRevisionId: currentRevisionId }, { error: error.message, conflict, fieldErrors: await forgetChosen({}) }, 409);
      }
      if (error.code === "BAD_REQUEST" || error.code === "CONFLICT") {
        return renderEditor(res, id, form, { error: error.message, fieldErrors: await forgetChosen({ ...(error.details.fieldErrors ?? {}) }) }, error.code === "CONFLICT" ? 409 : 400);
      }
      throw error;
    }
  });

  /**
   * "Upload and keep editing": the chosen images are checked (with their figures' texts) and
   * stored, audited, and the editor comes back with everything typed and the new figures filled
   * in, nothing else saved. A refusal stores nothing.
   */
  async function uploadOnly(req: Request, res: Response, id: string, user: NonNullable<Request["user"]>, form: ArticleForm, images: Awaited<ReturnType<typeof chooseImages>>, imageRefusal: string | undefined) {
    const fieldErrors: Record<string, string> = { ...images.fieldErrors };
    if (!images.chosen.length && !imageRefusal) {
      return renderEditor(res, id, form, { fieldErrors, error: "Choose an image file first (in “New figure” or “Replace the image”), then upload it." }, 400);
    }
    // Each uploaded figure must already say what it shows: no image is stored without its alternative text.
    for (const c of images.chosen) {
      const row = form.figures[c.row]!;
      const checked = figureSchema.safeParse({
        key: row.key, image: row.image, sectionKey: row.sectionKey || "x", decorative: row.decorative === "on", alt: row.alt, caption: row.caption,
        credit: row.credit, licence: row.licence, referenceKey: null, variants: [],
      });
      if (!checked.success) for (const [path, message] of Object.entries(fieldErrorsOf(checked.error))) fieldErrors[`figures.${c.row}.${path}`] ??= message;
    }
    if (Object.keys(fieldErrors).length) {
      // The hashes of refused files were never stored: the rows must not point at them.
      for (const c of images.chosen) if (Object.keys(fieldErrors).some((k) => k.startsWith(`figures.${c.row}.`))) form.figures[c.row]!.image = "";
      const first = Object.values(fieldErrors)[0]!;
      return renderEditor(res, id, form, { fieldErrors, error: `No image was stored: ${first}` }, 400);
    }
    await storeEditorImages(db, auditContext(req), user, id, images.chosen);
    const placed = images.chosen.map((c) => `[[figure:${form.figures[c.row]!.key}]]`).join(", ");
    await renderEditor(res, id, form, {
      notice: `Uploaded ${images.chosen.length === 1 ? "the image" : `${images.chosen.length} images`}; nothing else is saved yet. Put ${placed} on a line of its own in the section's text where the figure belongs (or leave it at the end of the section), then save the revision: the figure becomes part of the text the board reviews.`,
    }, 200);
  }

  return router;
}
