// Admin pages: users, audiences, the outbox, jobs that gave up, and the site-wide audit log with export.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type pg from "pg";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { auditActions } from "../audit/events.js";
import { auditContext } from "../web/context.js";
import { uuid } from "../schemas.js";
import { requireUser } from "../web/security.js";
import { parseInput, textValues } from "../web/validate.js";
import { staysOnPage, type FormRefusal } from "../web/refusal.js";
import { can, type Permission } from "../workflow/permissions.js";
import { accessSummaries, createUser, listUsers, newUserSchema, passwordSchema, resetPassword, roleLabels, roles, setUserActive, updateUser, userChangesSchema } from "../services/people/index.js";
import { readOutbox } from "../jobs/mailer.js";
import { audienceChangesSchema, createAudience, listAudiences, newAudienceSchema, schemaAudienceTypes, setAudienceArchived, updateAudience, auditFilterSchema, auditPage, auditExport } from "../services/editorial/index.js";
import { jobsNeedingAttention, retryJob, undeliveredEmailCount } from "../services/publishing/index.js";

const userParams = z.object({ id: uuid() });

export function adminRoutes(db: Db, options: { outboxDir: string; smtpConfigured: boolean; pool: pg.Pool }) {
  const router = Router();
  router.use(requireUser);
  const need = (permission: Permission) => (req: Request, _res: unknown, next: (e?: unknown) => void) =>
    next(can(req.user, permission) ? undefined : new AppError("FORBIDDEN", "Only administrators can open this page."));

  // ---- notification e-mail written to the outbox folder (when no SMTP_URL is set)
  router.get("/outbox", need("user.manage"), async (_req, res) => {
    res.render("admin/outbox", {
      title: "Outbox", messages: await readOutbox(options.outboxDir), outboxDir: options.outboxDir, smtpConfigured: options.smtpConfigured,
      undelivered: await undeliveredEmailCount(db),
    });
  });

  // ---- queued jobs that gave up (e-mail never delivered, schedules that could not run), with Retry
  const renderJobs = async (res: Response, status: number, error: string | null = null) =>
    res.status(status).render("admin/jobs", { title: "Jobs that gave up", ...(await jobsNeedingAttention(db)), error });

  router.get("/jobs", need("user.manage"), async (_req, res) => renderJobs(res, 200));

  router.post("/jobs/:id/retry", need("user.manage"), async (req, res) => {
    const id = uuid().safeParse(req.params.id);
    try {
      if (!id.success) throw new AppError("NOT_FOUND", "That job does not exist.");
      await retryJob(db, auditContext(req), req.user!, id.data);
      res.redirect(303, "/admin/jobs");
    } catch (error) {
      if (!(error instanceof AppError) || !["NOT_FOUND", "CONFLICT"].includes(error.code)) throw error;
      await renderJobs(res, error.code === "CONFLICT" ? 409 : 404, error.message);
    }
  });

  // ---- reader audiences (the public selector, variants, readability limits)
  const renderAudiences = async (res: Response, status: number, extra: Record<string, unknown> = {}) =>
    res.status(status).render("admin/audiences", {
      title: "Audiences", audiences: await listAudiences(db), schemaAudienceTypes, fieldErrors: {}, values: {}, error: null, ...extra,
    });

  router.get("/audiences", need("user.manage"), async (_req, res) => renderAudiences(res, 200));

  router.post("/audiences", need("user.manage"), async (req, res) => {
    const values = textValues(req.body, ["slug", "name", "description", "schemaAudienceType", "maxGrade"] as const);
    try {
      await createAudience(db, auditContext(req), req.user!, parseInput(newAudienceSchema, req.body, "The new audience"));
      res.redirect(303, "/admin/audiences");
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      await renderAudiences(res, error.code === "CONFLICT" ? 409 : 400, { fieldErrors: error.details.fieldErrors ?? {}, values, error: error.message });
    }
  });

  const audienceId = (params: unknown) => {
    const id = uuid().safeParse((params as { id?: unknown }).id);
    if (!id.success) throw new AppError("NOT_FOUND", "That audience does not exist.");
    return id.data;
  };

  // The display name, description, schema.org type and grade limit; never the address name.
  router.post("/audiences/:id", need("user.manage"), async (req, res) => {
    const id = audienceId(req.params);
    const form = { name: `audience-${id}`, labels: { name: "Name", description: "Description", schemaAudienceType: "schema.org audience", maxGrade: "Highest Flesch–Kincaid grade" } };
    await staysOnPage(res, req.body, form, async () => {
      await updateAudience(db, auditContext(req), req.user!, id, parseInput(audienceChangesSchema, req.body, "The audience"));
      res.redirect(303, "/admin/audiences");
    }, (formRefused) => renderAudiences(res, res.statusCode, { formRefused }));
  });

  for (const [action, archived] of [["archive", true], ["unarchive", false]] as const) {
    router.post(`/audiences/:id/${action}`, need("user.manage"), async (req, res) => {
      const id = audienceId(req.params);
      try {
        await setAudienceArchived(db, auditContext(req), req.user!, id, archived);
        res.redirect(303, "/admin/audiences");
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== "CONFLICT") throw error;
        await renderAudiences(res, 409, { error: error.message });
      }
    });
  }

  // ---- users
  // Each row says what deactivating or setting a password will end, before the admin confirms.
  const renderUsers = async (res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const [users, access] = await Promise.all([listUsers(db), accessSummaries(db)]);
    res.status(status).render("admin/users", {
      title: "Users", users: users.map((u) => ({ ...u, access: access.get(u.id) ?? { sessions: 0, tokens: 0 } })),
      roles, roleLabels, fieldErrors: {}, values: {}, error: null, ...extra,
    });
  };

  router.get("/users", need("user.manage"), async (_req, res) => renderUsers(res, 200));

  router.post("/users", need("user.manage"), async (req, res) => {
    const values = textValues(req.body, ["email", "name", "role", "credentials"] as const);
    try {
      const input = parseInput(newUserSchema, { ...req.body, canReview: req.body?.canReview === "on" }, "The new user");
      await createUser(db, auditContext(req), input);
      res.redirect(303, "/admin/users");
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      await renderUsers(res, error.code === "CONFLICT" ? 409 : 400, { fieldErrors: error.details.fieldErrors ?? {}, values, error: error.message });
    }
  });

  router.post("/users/:id", need("user.manage"), async (req, res) => {
    const { id } = parseParams(req.params);
    const form = { name: `user-${id}`, labels: { name: "Name", role: "Role", credentials: "Credentials", canReview: "Admin also reviews" } };
    await staysOnPage(res, req.body, form, async () => {
      const input = parseInput(userChangesSchema, req.body, "The user");
      await updateUser(db, auditContext(req), req.user!.id, id, input);
      res.redirect(303, "/admin/users");
    }, (formRefused: FormRefusal) => renderUsers(res, res.statusCode, { formRefused }));
  });

  router.post("/users/:id/password", need("user.manage"), async (req, res) => {
    const { id } = parseParams(req.params);
    await staysOnPage(res, req.body, { name: `password-${id}`, labels: { password: "New password" } }, async () => {
      const { password } = parseInput(z.object({ password: passwordSchema }), req.body, "The new password");
      await resetPassword(db, auditContext(req), id, password);
      res.redirect(303, "/admin/users");
    }, (formRefused) => renderUsers(res, res.statusCode, { formRefused }));
  });

  for (const [action, active] of [["deactivate", false], ["reactivate", true]] as const) {
    router.post(`/users/:id/${action}`, need("user.manage"), async (req, res) => {
      const { id } = parseParams(req.params);
      await staysOnPage(res, req.body, { name: `${action}-${id}`, labels: {} }, async () => {
        await setUserActive(db, auditContext(req), req.user!.id, id, active);
        res.redirect(303, "/admin/users");
      }, (formRefused) => renderUsers(res, res.statusCode, { formRefused }));
    });
  }

  // ---- audit log
  router.get("/audit", need("audit.view"), async (req, res) => {
    const filter = parseInput(auditFilterSchema, req.query, "The filter");
    const page = await auditPage(db, filter);
    const query = new URLSearchParams(Object.entries(req.query).filter(([k, v]) => k !== "before" && typeof v === "string" && v) as [string, string][]);
    res.render("admin/audit", { title: "Audit log", page, filter: textValues(req.query, ["actor", "action", "article", "from", "to"] as const), query: query.toString(), actions: auditActions });
  });

  for (const [format, type] of [["csv", "text/csv"], ["jsonl", "application/x-ndjson"]] as const) {
    router.get(`/audit/export.${format}`, need("audit.view"), async (req, res) => {
      const filter = parseInput(auditFilterSchema, req.query, "The filter");
      res.setHeader("Content-Type", `${type}; charset=utf-8`);
      res.setHeader("Content-Disposition", `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.${format}"`);
      await stream(res, auditExport(db, options.pool, filter, format));
    });
  }

  return router;
}

function parseParams(params: unknown) {
  const parsed = userParams.safeParse(params);
  if (!parsed.success) throw new AppError("NOT_FOUND", "That user does not exist.");
  return parsed.data;
}

/**
 * Streams text with back-pressure (constant memory). If reading fails midway the
 * connection is aborted, so a client never mistakes a partial export for a whole one.
 */
async function stream(res: Response, chunks: AsyncIterable<string>) {
  await pipeline(Readable.from(chunks), res).catch(() => res.destroy());
}
