// What a person is told after a workflow step: what happened, what happens next and
// who acts, by name ("Changes requested on r1. Alice Carter and Ben Okafor can now edit
// it; you will see the new revision on your dashboard."). Read after the step commits.
import type { Db } from "../../db/database.js";
import type { TransitionName } from "../../workflow/transitions.js";
import { activeAssignments } from "./assignments.js";
import { listBoardMembers } from "../people/index.js";

function listed(names: string[], nobody: string): string {
  if (!names.length) return nobody;
  if (names.length === 1) return names[0]!;
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

const activeNames = async (db: Db, role: "EDITOR" | "ADMIN") =>
  (await db.user.findMany({ where: { active: true, role }, orderBy: { name: "asc" }, select: { name: true } })).map((u) => u.name);

export async function transitionNotice(db: Db, name: TransitionName, articleId: string, revisionId: string): Promise<string> {
  const revision = await db.revision.findUniqueOrThrow({
    where: { id: revisionId },
    select: { number: true, approvals: { select: { id: true } }, article: { select: { slug: true, approvalsRequired: true, publishedRevisionId: true, nextReviewDue: true } } },
  });
  const r = `r${revision.number}`;
  switch (name) {
    case "submit": {
      const assigned = (await activeAssignments(db, revisionId)).map((a) => a.reviewer.name);
      const reviewers = assigned.length ? assigned : (await listBoardMembers(db)).map((m) => m.name);
      return `Submitted ${r} for review. ${listed(reviewers, "The advisory board")} can now start the review; nobody can edit ${r} meanwhile (withdraw it to make changes). You will see their decision on your dashboard.`;
    }
    case "withdraw":
      return `Withdrew ${r} from review. It is a draft again: edit it, then submit it for review when it is ready.`;
    case "start_review":
      return `You are reviewing ${r}. Compare it with the revision the board last reviewed, then approve and sign it, or request changes.`;
    case "request_changes":
      return `Changes requested on ${r}. ${listed(await activeNames(db, "EDITOR"), "The editors")} can now edit it; you will see the new revision on your dashboard when it is submitted.`;
    case "approve": {
      const { approvalsRequired } = revision.article;
      if (revision.approvals.length < approvalsRequired) {
        return `Signed ${r} (${revision.approvals.length} of ${approvalsRequired} signatures). Another member of the board must sign before it can be published.`;
      }
      const live = revision.article.publishedRevisionId ? "the current live revision" : "nothing (the article is not published)";
      return `Approved ${r}. ${listed(await activeNames(db, "ADMIN"), "An admin")} can now publish it; until then the public sees ${live}.`;
    }
    case "publish": {
      const due = revision.article.nextReviewDue?.toISOString().slice(0, 10);
      return `Published ${r}. The public now sees it at /articles/${revision.article.slug}${due ? `; its next review is due ${due}` : ""}.`;
    }
    case "unpublish":
      return `Unpublished ${r}. The public no longer sees this article; an admin can publish an approved revision again.`;
  }
}
