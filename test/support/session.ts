// Signs a supertest agent in through the real login form, CSRF token included.
import request from "supertest";
import type { Express } from "express";
import { expect } from "vitest";
import qs from "qs";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";
import { demo, type DemoName } from "./people.js";

export { demo } from "./people.js";

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

/** A signed-in agent per demo person (agents.priya, agents.alice…). */
export type Agents = Record<string, Agent>;

/** A pending response that can also be awaited with an expected status (the page text explains a mismatch). */
export function pending(response: Promise<request.Response>) {
  return Object.assign(response, {
    async expect(status: number) {
      const res = await response;
      expect(res.status, res.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 400)).toBe(status);
      return res;
    },
  });
}

/** Opens the sign-in form and submits it, as a person would; the agent keeps whatever session results. */
export function submitLogin(agent: ReturnType<typeof request.agent>, email: string, password: string) {
  return pending(
    agent.get("/login").expect(200).then((form) => agent.post("/login").type("form").send({ _csrf: csrfFrom(form.text), email, password })),
  );
}

export async function signedInAgent(app: Express, email: string, password = DEMO_PASSWORD): Promise<Agent> {
  const agent = request.agent(app) as Agent;
  const res = await submitLogin(agent, email, password);
  expect(res.status, `sign-in of ${email}: ${res.text.slice(0, 200)}`).toBe(303);
  const page = await agent.get("/editor").expect(200);
  agent.csrf = csrfFrom(page.text);
  return agent;
}

/** The demo person `name` (alice, ben, priya, minh or sam), signed in through the login form. */
export function signedIn(app: Express, name: DemoName): Promise<Agent> {
  return signedInAgent(app, demo[name]);
}

/**
 * Signs all five demo people in, one agent each, into `agents` (the same object, so helpers that
 * hold it see the new sessions), and returns it.
 */
export async function signInEveryone(app: Express, agents: Agents = {}): Promise<Agents> {
  for (const name of Object.keys(demo) as DemoName[]) agents[name] = await signedIn(app, name);
  return agents;
}
