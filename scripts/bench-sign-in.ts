// Signing in over HTTP for the benchmarks, as a browser does: the sign-in form's CSRF
// token and cookie, then the form posted. Returns the session cookie header.
import { DEMO_PASSWORD } from "../seed/demo-users.js";

export async function signInOverHttp(base: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const form = await fetch(`${base}/login`);
  const cookie = form.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: "POST", redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, email, password }),
  });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") || cookie;
}
