// Signs a supertest agent in through the real login form, CSRF token included.
import request from "supertest";
import type { Express } from "express";
import { expect } from "vitest";
import qs from "qs";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";

/** Encodes nested form fields with indices (sections[0][heading]), as a browser submits the editor form. */
export function formBody(fields: object): string {
  return qs.stringify(fields);
}

export function csrfFrom(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("no CSRF token on the page");
  return token;
}

export type Agent = ReturnType<typeof request.agent> & { csrf: string };

export async function signedInAgent(app: Express, email: string, password = DEMO_PASSWORD): Promise<Agent> {
  const agent = request.agent(app) as Agent;
  const form = await agent.get("/login").expect(200);
  const res = await agent.post("/login").type("form").send({ _csrf: csrfFrom(form.text), email, password });
  expect(res.status, `sign-in of ${email}: ${res.text.slice(0, 200)}`).toBe(303);
  const page = await agent.get("/editor").expect(200);
  agent.csrf = csrfFrom(page.text);
  return agent;
}

export const demo = {
  alice: "alice.editor@demo.test",
  ben: "ben.editor@demo.test",
  priya: "priya.reviewer@demo.test",
  minh: "minh.reviewer@demo.test",
  sam: "sam.admin@demo.test",
};
