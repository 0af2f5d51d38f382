// Roles grant named permissions; everything else asks for a permission, never a role.
import type { Role, User } from "../generated/prisma/client.js";

export type Permission =
  | "article.create"
  | "article.edit"
  | "article.settings"
  | "workflow.submit"
  | "workflow.withdraw"
  | "workflow.review"
  | "workflow.approve"
  | "workflow.publish"
  | "preview.create"
  | "review.assign"
  | "comment.write"
  | "history.view"
  | "audit.view"
  | "user.manage";

const editorial: Permission[] = ["article.create", "article.edit", "workflow.submit", "workflow.withdraw", "review.assign", "preview.create", "comment.write", "history.view"];
const review: Permission[] = ["workflow.review", "workflow.approve", "comment.write", "history.view"];

const byRole: Record<Role, Permission[]> = {
  EDITOR: editorial,
  REVIEWER: review,
  ADMIN: [...editorial, "article.settings", "workflow.publish", "audit.view", "user.manage"],
};

export function permissionsOf(user: Pick<User, "role" | "canReview" | "active">): Set<Permission> {
  if (!user.active) return new Set();
  const granted = new Set(byRole[user.role]);
  // An admin may hold reviewer rights; separation of duties still applies to them.
  if (user.role === "ADMIN" && user.canReview) for (const p of review) granted.add(p);
  return granted;
}

export function can(user: Pick<User, "role" | "canReview" | "active"> | undefined, permission: Permission): boolean {
  return !!user && permissionsOf(user).has(permission);
}
