// Article-level settings (not part of any revision): public visibility while
// pending review, approvals required, the next review date, the address.
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { isoDate } from "../../schemas.js";
import type { User } from "../../generated/prisma/client.js";
import { can } from "../../workflow/permissions.js";
import { lookupTable } from "../../lookup.js";

export const articleSettingsSchema = z.object({
  version: z.coerce.number().int().min(0),
  slug: z.string().trim().min(1, "required").max(120).regex(/^[a-z0-9-]+$/, "use lowercase letters, digits and hyphens"),
  visibleWhilePending: z.union([z.literal("on"), z.literal("")]).optional().transform((v) => v === "on"),
  approvalsRequired: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "at least 1").max(5, "at most 5"),
  nextReviewDue: isoDate().optional().or(z.literal("")).transform((v) => v || null),
});

export async function updateArticleSettings(db: Db, ctx: RequestContext, articleId: string, input: z.infer<typeof articleSettingsSchema>) {
  return db.$transaction(async (tx) => {
    const article = await tx.article.findUnique({ where: { id: articleId }, include: { currentRevision: { select: { title: true } } } });
    if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
    if (article.version !== input.version) throw new AppError("CONFLICT", "Someone else changed this article's settings meanwhile; reload and try again.");
    if (input.slug !== article.slug && (await tx.article.findUnique({ where: { slug: input.slug } }))) {
      throw new AppError("CONFLICT", `The address "${input.slug}" is used by another article.`, { fieldErrors: { slug: "already used" } });
    }
    const before = { slug: article.slug, visibleWhilePending: article.visibleWhilePending, approvalsRequired: article.approvalsRequired, nextReviewDue: article.nextReviewDue?.toISOString().slice(0, 10) ?? null };
    const after = { slug: input.slug, visibleWhilePending: input.visibleWhilePending, approvalsRequired: input.approvalsRequired, nextReviewDue: input.nextReviewDue };
    const changes = Object.fromEntries(
      (Object.keys(after) as (keyof typeof after)[]).filter((k) => before[k] !== after[k]).map((k) => [k, { old: before[k], new: after[k] }]),
    );
    if (!Object.keys(changes).length) throw new AppError("BAD_REQUEST", "Nothing was changed.");
    const updated = await tx.article.updateMany({
      where: { id: articleId, version: input.version },
      data: { ...after, nextReviewDue: after.nextReviewDue ? new Date(after.nextReviewDue) : null, version: { increment: 1 } },
    });
    if (updated.count !== 1) throw new AppError("CONFLICT", "Someone else changed this article's settings meanwhile; reload and try again.");
    await recordEvent(tx, ctx, { action: "article.settings.changed", entityType: "article", entityId: articleId, articleId, articleTitle: article.currentRevision?.title ?? null, payload: { changes } });
  });
}

/** What every new article starts with, unless an admin chooses otherwise. */
export const newArticleDefaults = { visibleWhilePending: false, approvalsRequired: 1, nextReviewDue: null as string | null };
export type RequestedSettings = { visibleWhilePending?: boolean; approvalsRequired?: number; nextReviewDue?: string | null };

const adminOnlySettings = {
  visibleWhilePending: "whether the public sees the article while it awaits review",
  approvalsRequired: "how many signatures a revision needs",
  nextReviewDue: "the next review date",
} as const satisfies Record<keyof RequestedSettings, string>;

/**
 * The settings page's rule on every other path that creates an article (API create, API
 * import, the import command): only someone who may change article settings (admins) may
 * choose them. Anyone else asking for a value other than the default is refused with
 * FORBIDDEN, naming each field (`field(name)`, as the request spells it), and nothing is
 * created. Asking for the default value is accepted: it chooses nothing (an exported file
 * always carries the settings, so an editor can import one that keeps the defaults).
 */
export function assertMayChooseSettings(user: User, requested: RequestedSettings, field: (name: keyof RequestedSettings) => string = (name) => name) {
  if (can(user, "article.settings")) return;
  const fieldErrors = lookupTable<string>();
  for (const name of Object.keys(adminOnlySettings) as (keyof RequestedSettings)[]) {
    const value = requested[name];
    if (value !== undefined && value !== newArticleDefaults[name]) fieldErrors[field(name)] = "only administrators may choose this setting";
  }
  const refused = Object.keys(fieldErrors);
  if (!refused.length) return;
  throw new AppError(
    "FORBIDDEN",
    `Only administrators may choose ${refused.map((f) => `${f} (${adminOnlySettings[f.split(".").at(-1) as keyof RequestedSettings]})`).join(", ")}. ` +
      "Leave it out, and ask an administrator to change it on the article's settings page. Nothing was created.",
    { fieldErrors, securityReason: `asked for admin-only article settings: ${refused.join(", ")}` },
  );
}

/** What an editor may change without the admin's review settings: the address. */
export const addressChangeSchema = articleSettingsSchema.pick({ version: true, slug: true });

export async function changeArticleAddress(db: Db, ctx: RequestContext, articleId: string, input: z.infer<typeof addressChangeSchema>) {
  const article = await db.article.findUnique({ where: { id: articleId } });
  if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
  await updateArticleSettings(db, ctx, articleId, {
    ...input, approvalsRequired: article.approvalsRequired, visibleWhilePending: article.visibleWhilePending,
    nextReviewDue: article.nextReviewDue?.toISOString().slice(0, 10) ?? null,
  });
}
