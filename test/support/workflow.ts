// Workflow actions as a signed-in person takes them through HTTP, for tests.
import type { Database } from "../../src/db/database.js";
import type { RevisionContent } from "../../src/content/revision-content.js";
import { DEMO_PASSWORD } from "../../seed/demo-users.js";
import { changeDosingLine, currentRevision, editForm, supplyMissingSources } from "./articles.js";
import { formBody, pending, type Agent } from "./session.js";

// Where it was first defined, so older imports keep working.
export { pending } from "./session.js";

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

  /** Priya starts the review of the submitted revision and asks for `comment`, so an editor may save. */
  const requestChanges = async (agents: Record<string, Agent | undefined>, comment: string) => {
    await take(agents.priya!, "start_review").expect(303);
    await take(agents.priya!, "request_changes", { comment }).expect(303);
  };

  /** Priya asks for `comment`; Alice saves r2 with the new dosing line and the missing sources supplied (a draft). */
  const dosingRevised = async (agents: Record<string, Agent | undefined>, comment: string, extra: Record<string, string> = {}) => {
    await requestChanges(agents, comment);
    await save(agents.alice!, (c) => { changeDosingLine(c); supplyMissingSources(c); }, extra).expect(303);
  };

  /**
   * The seeded article's usual round: Priya requests changes, Alice fixes the dosing and supplies
   * the missing sources, resubmits, and Minh starts the review.
   */
  const editedAndUnderReview = async (agents: Record<string, Agent | undefined>) => {
    await dosingRevised(agents, "Please check the tizanidine dosing.", { changeNote: "Dosing updated" });
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
  };

  /**
   * On a revision sent back for changes: Alice saves `change` and submits, Minh starts the review
   * and signs with `meaning`, and Sam publishes.
   */
  const revisedAndPublished = async (agents: Record<string, Agent | undefined>, change: (content: RevisionContent) => void, meaning: string) => {
    await save(agents.alice!, change).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.minh!, "start_review").expect(303);
    await approve(agents.minh!, { meaning }).expect(303);
    await take(agents.sam!, "publish").expect(303);
  };

  /**
   * A patient version of one section, live: Priya asks for it, Alice writes it (supplying the
   * missing sources), Minh signs it as a plain-language version, and Sam publishes.
   */
  const patientVersionPublished = async (agents: Record<string, Agent | undefined>, sectionKey: string, body: string) => {
    await requestChanges(agents, "Please add a patient version.");
    await revisedAndPublished(agents, (c) => {
      supplyMissingSources(c);
      c.variants = [{ audience: "patients", sectionKey, body }];
    }, "Approved: plain-language version");
  };

  return { take, save, approve, requestChanges, dosingRevised, editedAndUnderReview, revisedAndPublished, patientVersionPublished };
}
