// One-time status messages after a redirect, kept in the session so a link
// cannot put arbitrary text into the application's own status banner.
import type { Request, Response } from "express";

declare module "express-session" {
  interface SessionData {
    notice?: string;
  }
}

export async function withNotice(req: Request, res: Response, url: string, notice: string) {
  req.session.notice = notice;
  // Save before redirecting: the browser may follow the redirect before express-session's own
  // save at the end of the response has finished, and the next page would miss the notice.
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  res.redirect(303, url);
}

export function takeNotice(req: Request): string | null {
  const notice = req.session.notice ?? null;
  delete req.session.notice;
  return notice;
}
