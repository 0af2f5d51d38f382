// Sign-in and sign-out.
import { Router, type Request } from "express";
import { z } from "zod";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { recordSignOut, signIn } from "../services/auth.js";
import { auditContext } from "../web/context.js";

const loginSchema = z.object({
  email: z.string().trim().min(1, "enter your email").max(200),
  password: z.string().min(1, "enter your password").max(200),
  next: z.string().optional(),
});

/** Only local paths, so the sign-in form cannot redirect anywhere else. */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?!\/)[\w\-/?=&%.]*$/.test(next) ? next : "/editor";
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function authRoutes(db: Db) {
  const router = Router();

  router.get("/login", (req, res) => {
    if (req.user) return res.redirect(303, safeNext(req.query.next));
    res.render("login", { title: "Sign in", email: "", next: safeNext(req.query.next), error: null, fieldErrors: {} });
  });

  router.post("/login", async (req, res) => {
    const parsed = loginSchema.safeParse(req.body ?? {});
    const email = typeof req.body?.email === "string" ? req.body.email : "";
    const next = safeNext(req.body?.next);
    if (!parsed.success) {
      return res.status(400).render("login", { title: "Sign in", email, next, error: "Enter your email and password.", fieldErrors: {} });
    }
    try {
      const user = await signIn(db, auditContext(req), parsed.data.email, parsed.data.password);
      // A new session id on sign-in prevents session fixation.
      await regenerate(req);
      req.session.userId = user.id;
      req.session.lastSeenAt = Date.now();
      req.session.signedInAt = Date.now();
      // Saved before the redirect so the next page already sees the signed-in session.
      await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
      res.redirect(303, next);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const status = error.code === "TOO_MANY_REQUESTS" ? 429 : 401;
      if (typeof error.details.retryAfterSeconds === "number") res.setHeader("Retry-After", String(error.details.retryAfterSeconds));
      res.status(status).render("login", { title: "Sign in", email, next, error: error.message, fieldErrors: {} });
    }
  });

  router.post("/logout", async (req, res) => {
    if (req.user) await recordSignOut(db, auditContext(req));
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie("mecms.sid");
    res.redirect(303, "/articles");
  });

  return router;
}
