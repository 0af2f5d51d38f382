// Helpers the editor's screens share: route parameters and permission checks.
import type { Request, Response } from "express";
import type { Db } from "../../db/database.js";
import type { FormRefusal } from "../../web/refusal.js";
import { workspaceScreen } from "../../services/editor-screens.js";
import { z } from "zod";
import { AppError } from "../../errors.js";
import type { User } from "../../generated/prisma/client.js";
import { can, type Permission } from "../../workflow/permissions.js";
import { positiveInt, uuid } from "../../schemas.js";

export const idParams = z.object({ id: uuid() });
export const revisionParams = idParams.extend({ number: positiveInt() });

export function params<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const parsed = schema.safeParse(req.params);
  if (!parsed.success) throw new AppError("NOT_FOUND", "There is no page at this address.");
  return parsed.data;
}

export function requirePermission(user: User | undefined, permission: Permission, what: string): User {
  if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in to continue.");
  if (!can(user, permission)) throw new AppError("FORBIDDEN", `Your role does not allow ${what}.`);
  return user;
}

/** Re-renders the article workspace with one of its forms refused (decision 0021). */
export function workspaceRefusal(db: Db, req: Request, res: Response, articleId: string) {
  return async (formRefused: FormRefusal) => {
    res.render("editor/article", { ...(await workspaceScreen(db, req.user!, articleId)), notice: null, refused: null, formRefused });
  };
}
