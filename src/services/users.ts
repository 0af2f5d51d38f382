// Accounts: creation, changes, deactivation. Passwords are hashed with argon2id.
import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { recordEvent, type RequestContext } from "../audit/audit-log.js";
import type { Role, User } from "../generated/prisma/client.js";

export const roles = ["EDITOR", "REVIEWER", "ADMIN"] as const;
export const roleLabels: Record<Role, string> = { EDITOR: "Editor", REVIEWER: "Reviewer", ADMIN: "Admin" };

export const passwordSchema = z.string().min(12, "must be at least 12 characters").max(200, "must be at most 200 characters");

export const newUserSchema = z.object({
  email: z.string().trim().toLowerCase().email("must be an email address").max(200),
  name: z.string().trim().min(2, "must be at least 2 characters").max(120),
  role: z.enum(roles, { message: "choose editor, reviewer or admin" }),
  credentials: z.string().trim().max(200).nullish().transform((v) => (v ? v : null)),
  canReview: z.boolean().default(false),
  password: passwordSchema,
});
export type NewUser = z.input<typeof newUserSchema>;

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A hash of nothing useful, verified when the email is unknown so that a wrong
// email and a wrong password take the same time.
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hash("decoy-password-that-matches-nothing");
  return decoyHash;
}

export function userSnapshot(user: User) {
  return { email: user.email, name: user.name, role: user.role, credentials: user.credentials, canReview: user.canReview, active: user.active };
}

export async function createUser(db: Db, ctx: RequestContext, input: NewUser): Promise<User> {
  const data = newUserSchema.parse(input);
  const passwordHash = await hashPassword(data.password);
  return db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email: data.email } })) {
      throw new AppError("CONFLICT", `A user with the email ${data.email} already exists.`, { fieldErrors: { email: "already used" } });
    }
    const user = await tx.user.create({
      data: { email: data.email, name: data.name, role: data.role, credentials: data.credentials, canReview: data.canReview, passwordHash },
    });
    await recordEvent(tx, ctx, { action: "user.created", entityType: "user", entityId: user.id, payload: { user: userSnapshot(user) } });
    return user;
  });
}

/** Reviewers (and admins with reviewer rights) for the advisory board page. */
export function listBoardMembers(db: Db) {
  return db.user.findMany({
    where: { active: true, OR: [{ role: "REVIEWER" }, { role: "ADMIN", canReview: true }] },
    orderBy: { name: "asc" },
    select: { id: true, name: true, credentials: true },
  });
}
