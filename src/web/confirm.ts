// Destructive actions (revoking a token or preview link, cancelling a schedule) happen only
// with `confirmed=yes` in the form: the page's first button opens the question and its second
// sends that field (views/partials/confirm-action.ejs, no JavaScript needed). A form sent
// without it gets the same question as a page, and nothing changes.
import type { Request, Response } from "express";
import { z } from "zod";

const confirmation = z.object({ confirmed: z.literal("yes") });

export function isConfirmed(req: Request): boolean {
  return confirmation.safeParse(req.body ?? {}).success;
}

export function askToConfirm(req: Request, res: Response, question: { title: string; question: string; yes: string; back: string }) {
  res.status(200).render("confirm-action", { ...question, action: req.originalUrl });
}
