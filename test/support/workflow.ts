// Workflow actions as a signed-in person takes them through HTTP, for tests.
import type request from "supertest";
import { expect } from "vitest";
import type { Database } from "../../src/db/database.js";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";
import { changeDosingLine, currentRevision, editForm, supplyMissingSources } from "./articles.js";
import { formBody, type Agent } from "./session.js";

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

/** Helpers bound to a test file's database (read lazily: it is opened in beforeAll). */
export function workflowActions(database: () => Database) {
  /** Takes a transition on the seeded article's newest revision, as the user saw it. */
  const take = (agent: Agent, transition: string, fields: Record<string, string | string[]> = {}) =>
    pending(
      currentRevision(database()).then(({ article, revision }) =>
        agent
          .post(`/editor/articles/${article.id}/transitions/${transition}`)
          .type("form")
          .send({ _csrf: agent.csrf, revisionId: revision.id, expectedState: revision.state, ...fields }),
      ),
    );

  /** Saves the editor form with `change` applied to the newest revision's content. */
  const save = (agent: Agent, change: Parameters<typeof editForm>[1], extra: Record<string, string> = {}) =>
    pending(
      Promise.all([currentRevision(database()), editForm(database(), change)]).then(([{ article }, form]) =>
        agent.post(`/editor/articles/${article.id}/edit`).type("form").send(formBody({ _csrf: agent.csrf, ...form, ...extra })),
      ),
    );

  const approve = (agent: Agent, fields: Record<string, string> = {}) =>
    take(agent, "approve", { password: DEMO_PASSWORD, meaning: "Approved: medical accuracy", ...fields });

  /**
   * The seeded article's usual round: Priya requests changes, Alice fixes the dosing and supplies
   * the missing sources, resubmits, and Minh starts the review.
   */
  const editedAndUnderReview = async (agents: Record<string, Agent | undefined>) => {
    await take(agents.priya!, "start_review").expect(303);
    await take(agents.priya!, "request_changes", { comment: "Please check the tizanidine dosing." }).expect(303);
    await save(agents.alice!, (c) => { changeDosingLine(c); supplyMissingSources(c); }, { changeNote: "Dosing updated" }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
  };

  return { take, save, approve, editedAndUnderReview };
}
