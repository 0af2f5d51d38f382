// Staff pages: dashboard, article workspace, editor, revisions, workflow
// transitions, comments, comparison and history. Routes parse input, call one
// service, and render or redirect.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import type { User } from "../generated/prisma/client.js";
import { createArticle } from "../services/articles.js";
import { articleWorkspace, listDashboard, listReviewsDue } from "../services/dashboard.js";
import { restoreRevision, saveRevision } from "../services/editing.js";
import { applyTransition, contributorsOf, offeredTransitions, transitionInputSchema } from "../services/workflow.js";
import { findRevision, toContent } from "../services/revisions.js";
import { checkCitations } from "../services/citation-checks.js";
import { compareRevisions } from "../services/compare.js";
import { addComment, listThreads, newCommentSchema, replySchema, replyToComment, setCommentResolved } from "../services/comments.js";
import { articleHistory } from "../services/audit-queries.js";
import { articleSettingsSchema, updateArticleSettings } from "../services/article-settings.js";
import { signatureMeanings, verifySignature } from "../services/signatures.js";
import { contentFromForm, formFromBody, formFromContent, withBlankRows, type ArticleForm } from "../web/article-form.js";
import { articleView } from "../web/article-view.js";
import { auditContext } from "../web/context.js";
import { requireUser } from "../web/security.js";
import { parseInput, textValues } from "../web/validate.js";
import { can, type Permission } from "../workflow/permissions.js";
import { transitionNames, type TransitionName } from "../workflow/transitions.js";
import { referenceTypeLabels, referenceTypes, slugify } from "../content/revision-content.js";
import { revisionStates } from "../web/format.js";
import { positiveInt, uuid } from "../schemas.js";
import { takeNotice, withNotice } from "../web/notice.js";

const idParams = z.object({ id: uuid() });
const revisionParams = idParams.extend({ number: positiveInt() });

function params<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const parsed = schema.safeParse(req.params);
  if (!parsed.success) throw new AppError("NOT_FOUND", "There is no page at this address.");
  return parsed.data;
}

function require(user: User | undefined, permission: Permission, what: string): User {
  if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in to continue.");
  if (!can(user, permission)) throw new AppError("FORBIDDEN", `Your role does not allow ${what}.`);
  return user;
}

async function revisionByNumber(db: Db, articleId: string, number: number) {
  const row = await db.revision.findUnique({ where: { articleId_number: { articleId, number } }, select: { id: true } });
  const revision = row ? await findRevision(db, row.id) : null;
  if (!revision) throw new AppError("NOT_FOUND", "That revision does not exist.");
  return revision;
}

const dashboardQuery = z.object({
  state: z.enum(revisionStates).optional().catch(undefined),
  mine: z.literal("1").optional().catch(undefined),
  after: z.string().max(100).optional().catch(undefined),
});

export function editorRoutes(db: Db) {
  const router = Router();
  router.use(requireUser);

  router.get("/", async (req, res) => {
    const query = dashboardQuery.parse(req.query);
    const user = req.user!;
    const page = await listDashboard(db, user, { state: query.state, waitingForMe: query.mine === "1", after: query.after });
    res.render("editor/dashboard", {
      title: "Dashboard",
      rows: page.rows,
      nextAfter: page.nextAfter,
      reviewsDue: await listReviewsDue(db),
      filter: query,
      canCreate: can(user, "article.create"),
    });
  });

  // ---- creating an article
  const newArticleSchema = z.object({
    title: z.string().trim().min(5, "the question must be at least 5 characters").max(300),
    slug: z.string().trim().max(120).regex(/^[a-z0-9-]*$/, "use lowercase letters, digits and hyphens").optional().default(""),
  });

  router.get("/articles/new", (req, res) => {
    require(req.user, "article.create", "creating articles");
    res.render("editor/new-article", { title: "New article", values: { title: "", slug: "" }, fieldErrors: {} });
  });

  router.post("/articles", async (req, res) => {
    const user = require(req.user, "article.create", "creating articles");
    const values = textValues(req.body, ["title", "slug"] as const);
    try {
      const input = parseInput(newArticleSchema, req.body);
      const slug = input.slug || slugify(input.title);
      if (!slug) throw new AppError("BAD_REQUEST", "Choose an address for the article.", { fieldErrors: { slug: "required" } });
      const { article } = await createArticle(db, auditContext(req), {
        slug,
        authorId: user.id,
        content: {
          title: input.title, summaryHeading: "Summary", summary: "Write a short answer to the question here.",
          lastUpdated: new Date().toISOString().slice(0, 10), disclaimerHeading: "Professional Medical Disclaimer",
          disclaimer: "This information is intended for healthcare professionals. Any medical decision-making should rely on clinical judgment and independently verified information.",
          sections: [], references: [],
        },
      });
      res.redirect(303, `/editor/articles/${article.id}/edit`);
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      res.status(error.code === "CONFLICT" ? 409 : 400).render("editor/new-article", { title: "New article", values, fieldErrors: error.details.fieldErrors ?? {}, error: error.message });
    }
  });

  // ---- article workspace: state, transitions, revisions, comments
  router.get("/articles/:id", async (req, res) => {
    const { id } = params(idParams, req);
    const user = req.user!;
    const article = await articleWorkspace(db, id);
    if (!article || !article.currentRevisionId) throw new AppError("NOT_FOUND", "That article does not exist.");
    const current = (await findRevision(db, article.currentRevisionId))!;
    const content = toContent(current);
    const issues = checkCitations(content);
    const contributors = await contributorsOf(db, current);
    const published = article.revisions.find((r) => r.id === article.publishedRevisionId) ?? null;
    const offers = offeredTransitions(user, current, {
      contributors, published,
      citationErrorCount: issues.filter((i) => i.severity === "error").length,
      alreadySigned: current.approvals.some((a) => a.reviewerId === user.id),
    });
    const threads = await listThreads(db, id, current);
    // Reviewers see, by default, what changed since the last approved revision (or the previous one).
    const lastApproved = article.revisions.find((r) => r.number < current.number && (r.state === "APPROVED" || r.state === "PUBLISHED"));
    const compareFrom = lastApproved?.number ?? (current.number > 1 ? current.number - 1 : null);
    const baseline = compareFrom ? await revisionByNumber(db, id, compareFrom) : null;
    res.render("editor/article", {
      title: current.title, article, current, issues, offers, threads,
      signatures: current.approvals.map((a) => ({ ...a, valid: verifySignature(a, current) })),
      meanings: signatureMeanings,
      compareFrom,
      comparison: baseline ? compareRevisions(toContent(baseline), content) : null,
      canEdit: can(user, "article.edit") && !["SUBMITTED", "UNDER_REVIEW"].includes(current.state),
      canComment: can(user, "comment.write"),
      canChangeSettings: can(user, "article.settings"),
      notice: takeNotice(req),
    });
  });

  // ---- editing
  async function renderEditor(res: Response, articleId: string, form: ArticleForm, extra: Record<string, unknown> = {}, status = 200) {
    const article = await db.article.findUnique({ where: { id: articleId }, select: { id: true, slug: true, currentRevisionId: true } });
    const current = article?.currentRevisionId ? await findRevision(db, article.currentRevisionId) : null;
    if (!article || !current) throw new AppError("NOT_FOUND", "That article does not exist.");
    res.status(status).render("editor/edit", {
      title: `Edit: ${current.title}`, article, current, form: withBlankRows(form),
      referenceTypes, referenceTypeLabels, fieldErrors: {}, error: null, conflict: null,
      issues: checkCitations(toContent(current)), ...extra,
    });
  }

  router.get("/articles/:id/edit", async (req, res) => {
    const { id } = params(idParams, req);
    require(req.user, "article.edit", "editing articles");
    const article = await db.article.findUnique({ where: { id }, select: { currentRevisionId: true } });
    const current = article?.currentRevisionId ? await findRevision(db, article.currentRevisionId) : null;
    if (!current) throw new AppError("NOT_FOUND", "That article does not exist.");
    if (["SUBMITTED", "UNDER_REVIEW"].includes(current.state)) {
      throw new AppError("CONFLICT", `Revision ${current.number} is in review and cannot be edited now. Withdraw it first, or wait for the review.`);
    }
    await renderEditor(res, id, formFromContent(toContent(current), current.id));
  });

  router.post("/articles/:id/edit", async (req, res) => {
    const { id } = params(idParams, req);
    const user = require(req.user, "article.edit", "editing articles");
    const form = formFromBody(req.body ?? {});
    if (!uuid().safeParse(form.baseRevisionId).success) {
      throw new AppError("BAD_REQUEST", "The form does not say which revision it was opened on. Reload the editor and try again.");
    }
    form.baseRevisionId = form.baseRevisionId.toLowerCase();
    const parsed = contentFromForm(form);
    if (!parsed.ok) {
      return renderEditor(res, id, form, { fieldErrors: parsed.fieldErrors, error: "The revision was not saved: please correct the fields marked below." }, 400);
    }
    try {
      const revision = await saveRevision(db, auditContext(req), user, id, { baseRevisionId: form.baseRevisionId, content: parsed.content, changeNote: parsed.changeNote });
      await withNotice(req, res, `/editor/articles/${id}`, `Saved revision ${revision.number}.`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === "CONFLICT" && error.details.staleConflict) {
        // Keep the user's text; show what the other person changed since the user's base revision.
        const base = await findRevision(db, form.baseRevisionId);
        const theirs = await findRevision(db, String(error.details.currentRevisionId));
        const conflict = base && theirs ? { number: theirs.number, author: theirs.author?.name ?? "someone", comparison: compareRevisions(toContent(base), toContent(theirs)) } : null;
        return renderEditor(res, id, { ...form, baseRevisionId: String(error.details.currentRevisionId) }, { error: error.message, conflict }, 409);
      }
      if (error.code === "BAD_REQUEST" || error.code === "CONFLICT") {
        return renderEditor(res, id, form, { error: error.message, fieldErrors: error.details.fieldErrors ?? {} }, error.code === "CONFLICT" ? 409 : 400);
      }
      throw error;
    }
  });

  // ---- revisions
  router.get("/articles/:id/revisions/:number", async (req, res) => {
    const { id, number } = params(revisionParams, req);
    const revision = await revisionByNumber(db, id, number);
    const article = await db.article.findUniqueOrThrow({ where: { id }, include: { currentRevision: { select: { state: true } } } });
    const view = articleView(revision, { pendingReview: revision.state !== "PUBLISHED", newestState: revision.state, nextReviewDue: article.nextReviewDue });
    res.render("editor/revision", { title: `Revision ${number}: ${revision.title}`, article, revision, ...view, canRestore: can(req.user, "article.edit") && article.currentRevisionId !== revision.id });
  });

  router.post("/articles/:id/revisions/:number/restore", async (req, res) => {
    const { id, number } = params(revisionParams, req);
    const user = require(req.user, "article.edit", "restoring revisions");
    const from = await revisionByNumber(db, id, number);
    const base = z.object({ baseRevisionId: uuid() }).safeParse(req.body);
    if (!base.success) throw new AppError("BAD_REQUEST", "The form is missing the revision it was opened on; reload and try again.");
    const revision = await restoreRevision(db, auditContext(req), user, id, from.id, base.data.baseRevisionId);
    await withNotice(req, res, `/editor/articles/${id}`, `Revision ${number} restored as revision ${revision.number} (a draft).`);
  });

  router.get("/articles/:id/compare", async (req, res) => {
    const { id } = params(idParams, req);
    const query = z.object({ from: positiveInt(), to: positiveInt() }).safeParse(req.query);
    if (!query.success) throw new AppError("BAD_REQUEST", "Choose two revision numbers to compare.");
    const [from, to] = await Promise.all([revisionByNumber(db, id, query.data.from), revisionByNumber(db, id, query.data.to)]);
    const revisions = await db.revision.findMany({ where: { articleId: id }, orderBy: { number: "desc" }, select: { number: true, state: true } });
    res.render("editor/compare", { title: `Compare revisions ${from.number} and ${to.number}`, articleId: id, from, to, revisions, comparison: compareRevisions(toContent(from), toContent(to)) });
  });

  // ---- workflow transitions
  router.post("/articles/:id/transitions/:name", async (req, res) => {
    const { id } = params(idParams, req);
    const name = z.enum(transitionNames as [TransitionName, ...TransitionName[]]).safeParse(req.params.name);
    if (!name.success) throw new AppError("NOT_FOUND", "There is no such workflow step.");
    const input = parseInput(transitionInputSchema, req.body);
    const result = await applyTransition(db, auditContext(req), req.user!, id, name.data, input);
    await withNotice(req, res, `/editor/articles/${id}`, `${result.label}: done for revision ${result.revisionNumber}.`);
  });

  // ---- comments
  router.post("/articles/:id/comments", async (req, res) => {
    const { id } = params(idParams, req);
    const input = parseInput(newCommentSchema, req.body, "The comment");
    await addComment(db, auditContext(req), req.user!, id, input);
    res.redirect(303, `/editor/articles/${id}#comments`);
  });

  const commentParams = idParams.extend({ commentId: uuid() });
  router.post("/articles/:id/comments/:commentId/replies", async (req, res) => {
    const { id, commentId } = params(commentParams, req);
    const { body } = parseInput(replySchema, req.body, "The reply");
    await replyToComment(db, auditContext(req), req.user!, id, commentId, body);
    res.redirect(303, `/editor/articles/${id}#comment-${commentId}`);
  });

  for (const action of ["resolve", "reopen"] as const) {
    router.post(`/articles/:id/comments/:commentId/${action}`, async (req, res) => {
      const { id, commentId } = params(commentParams, req);
      await setCommentResolved(db, auditContext(req), req.user!, id, commentId, action === "resolve");
      res.redirect(303, `/editor/articles/${id}#comment-${commentId}`);
    });
  }

  // ---- article settings (admins)
  router.post("/articles/:id/settings", async (req, res) => {
    const { id } = params(idParams, req);
    require(req.user, "article.settings", "changing article settings");
    const input = parseInput(articleSettingsSchema, req.body, "The settings");
    await updateArticleSettings(db, auditContext(req), id, input);
    await withNotice(req, res, `/editor/articles/${id}`, "Settings saved.");
  });

  // Editors may change the article's address, but not the review settings above.
  router.post("/articles/:id/slug", async (req, res) => {
    const { id } = params(idParams, req);
    require(req.user, "article.edit", "changing the article's address");
    const article = await db.article.findUnique({ where: { id } });
    if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
    const input = parseInput(articleSettingsSchema, {
      version: req.body?.version, slug: req.body?.slug, approvalsRequired: article.approvalsRequired,
      visibleWhilePending: article.visibleWhilePending ? "on" : "", nextReviewDue: article.nextReviewDue?.toISOString().slice(0, 10) ?? "",
    }, "The address");
    await updateArticleSettings(db, auditContext(req), id, input);
    await withNotice(req, res, `/editor/articles/${id}`, `The article's address is now /articles/${input.slug}.`);
  });

  // ---- history
  router.get("/articles/:id/history", async (req, res) => {
    const { id } = params(idParams, req);
    require(req.user, "history.view", "viewing history");
    const article = await db.article.findUnique({ where: { id }, include: { currentRevision: { select: { title: true } } } });
    if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
    res.render("editor/history", { title: `History: ${article.currentRevision?.title ?? article.slug}`, article, events: await articleHistory(db, id) });
  });

  return router;
}
