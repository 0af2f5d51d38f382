// Staff screens of the reader-questions queue (/editor/questions) and of the instant-answer
// vocabulary (/admin/vocabulary). Refusals stay on the page with the reason and the typed
// text (decision 0021).
import { Router, type Request, type Response } from "express";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { uuid } from "../schemas.js";
import { auditContext } from "../web/context.js";
import { requireUser } from "../web/security.js";
import { parseInput, textValues } from "../web/validate.js";
import { can, type Permission } from "../workflow/permissions.js";
import { answeredBySchema, declineQuestion, declineSchema, listQuestionQueue, markAnsweredBy, queueFilterSchema, startDraftFromQuestion, addVocabularyTerm, listVocabulary, removeVocabularyTerm, vocabularyTermSchema } from "../services/readers/index.js";

const need = (permission: Permission, message: string) => (req: Request, _res: unknown, next: (e?: unknown) => void) =>
  next(can(req.user, permission) ? undefined : new AppError("FORBIDDEN", message));

const groupId = (req: Request) => {
  const id = uuid().safeParse(req.params.id);
  if (!id.success) throw new AppError("NOT_FOUND", "That question is not in the queue.");
  return id.data;
};

export function questionQueueRoutes(db: Db) {
  const router = Router();
  router.use(requireUser);

  const render = async (req: Request, res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const filter = parseInput(queueFilterSchema, req.query, "The filter");
    const groups = await listQuestionQueue(db, filter, { withEmails: can(req.user, "user.manage") });
    res.status(status).render("editor/questions", {
      title: "Reader questions", groups, filter, mayAct: can(req.user, "article.create"), seesAddresses: can(req.user, "user.manage"),
      refused: null, ...extra,
    });
  };

  router.get("/", need("history.view", "Only staff can open the reader-questions queue."), (req, res) => render(req, res, 200));

  const act = (path: string, run: (req: Request, id: string) => Promise<string | void>, fields: readonly string[]) =>
    router.post(path, need("article.create", "Only editors and administrators can act on reader questions."), async (req, res) => {
      const id = groupId(req);
      try {
        const to = await run(req, id);
        res.redirect(303, to ?? "/editor/questions");
      } catch (error) {
        if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT", "NOT_FOUND"].includes(error.code)) throw error;
        const status = { BAD_REQUEST: 400, CONFLICT: 409, NOT_FOUND: 404 }[error.code as "BAD_REQUEST"];
        await render(req, res, status, { refused: { id, message: error.message, fieldErrors: error.details.fieldErrors ?? {}, values: textValues(req.body, fields) } });
      }
    });

  act("/:id/draft", async (req, id) => {
    const article = await startDraftFromQuestion(db, auditContext(req), req.user!, id);
    return `/editor/articles/${article.id}/edit`;
  }, []);
  act("/:id/answered", async (req, id) => markAnsweredBy(db, auditContext(req), id, parseInput(answeredBySchema, req.body, "The answering article")), ["slug"]);
  act("/:id/decline", async (req, id) => declineQuestion(db, auditContext(req), id, parseInput(declineSchema, req.body, "The reason")), ["reason"]);

  return router;
}

export function vocabularyRoutes(db: Db) {
  const router = Router();
  router.use(requireUser);
  router.use(need("user.manage", "Only administrators can change the vocabulary."));
  const render = async (res: Response, status: number, extra: Record<string, unknown> = {}) =>
    res.status(status).render("admin/vocabulary", { title: "Vocabulary", terms: await listVocabulary(db), error: null, fieldErrors: {}, values: {}, ...extra });

  router.get("/", (_req, res) => render(res, 200));
  router.post("/", async (req, res) => {
    const values = textValues(req.body, ["layTerm", "professionalTerm"] as const);
    try {
      await addVocabularyTerm(db, auditContext(req), parseInput(vocabularyTermSchema, req.body, "The vocabulary entry"));
      res.redirect(303, "/admin/vocabulary");
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      await render(res, error.code === "CONFLICT" ? 409 : 400, { error: error.message, fieldErrors: error.details.fieldErrors ?? {}, values });
    }
  });
  router.post("/:id/remove", async (req, res) => {
    const id = uuid().safeParse(req.params.id);
    if (!id.success) throw new AppError("NOT_FOUND", "That vocabulary entry does not exist.");
    try {
      await removeVocabularyTerm(db, auditContext(req), id.data);
      res.redirect(303, "/admin/vocabulary");
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "NOT_FOUND") throw error;
      await render(res, 404, { error: error.message });
    }
  });
  return router;
}
