// One-time status messages after a redirect, kept in the session so a link
// cannot put arbitrary text into the application's own status banner.
import type { Request, Response } from "express";

declare module "express-session" {
  interface SessionData {
    notice?: string;
  }
}

export function withNotice(req: Request, res: Response, url: string, notice: string) {
  req.session.notice = notice;
  res.redirect(303, url);
}

export function takeNotice(req: Request): string | null {
  const notice = req.session.notice ?? null;
  delete req.session.notice;
  return notice;
}
