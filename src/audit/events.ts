// Every audit event type and the shape of its payload.
//
// LONG-LIVED FORMAT: events are kept for as long as the articles they describe
// (years). Never change the meaning of an existing field or remove an action;
// add optional fields or new actions instead, so old events still validate.
import { z } from "zod";

const value = z.unknown();
/** Old and new value of one field. */
const change = z.object({ old: value, new: value });
const fieldChanges = z.record(z.string(), change);

const sectionSnapshot = z.object({ key: z.string(), depth: z.number(), heading: z.string(), body: z.string() });
const variantSnapshot = z.object({ audience: z.string(), sectionKey: z.string().nullable(), body: z.string() });
const referenceSnapshot = z.object({ key: z.string() }).catchall(value);
/** A figure as saved: its image (by hash) and texts. */
const figureSnapshot = z.object({ key: z.string(), sectionKey: z.string(), image: z.string(), alt: z.string(), caption: z.string() }).catchall(value);

/** What changed between two revisions: enough to rebuild each from the one before. */
export const contentChangesSchema = z.object({
  fields: fieldChanges,
  sections: z.object({
    added: z.array(sectionSnapshot),
    removed: z.array(sectionSnapshot),
    changed: z.array(z.object({ key: z.string(), old: sectionSnapshot, new: sectionSnapshot })),
    order: z.object({ old: z.array(z.string()), new: z.array(z.string()) }).nullable(),
  }),
  references: z.object({
    added: z.array(referenceSnapshot),
    removed: z.array(referenceSnapshot),
    changed: z.array(z.object({ key: z.string(), old: referenceSnapshot, new: referenceSnapshot })),
    order: z.object({ old: z.array(z.string()), new: z.array(z.string()) }).nullable(),
  }),
  /** Audience versions of the summary (sectionKey null), a section or the disclaimer ("@disclaimer"); absent in events written before they existed. */
  variants: z
    .object({
      added: z.array(variantSnapshot),
      removed: z.array(variantSnapshot),
      changed: z.array(z.object({ audience: z.string(), sectionKey: z.string().nullable(), old: z.string(), new: z.string() })),
    })
    .optional(),
  /** Figures added, removed, changed (image or texts) or reordered; absent when neither revision has figures. */
  figures: z
    .object({
      added: z.array(figureSnapshot),
      removed: z.array(figureSnapshot),
      changed: z.array(z.object({ key: z.string(), old: figureSnapshot, new: figureSnapshot })),
      order: z.object({ old: z.array(z.string()), new: z.array(z.string()) }).nullable(),
    })
    .optional(),
});
export type ContentChanges = z.infer<typeof contentChangesSchema>;

const transition = z.object({
  transition: z.string(),
  revisionNumber: z.number().int(),
  from: z.string(),
  to: z.string(),
});

const signature = z.object({
  signerName: z.string(),
  signerCredentials: z.string().nullable(),
  meaning: z.string(),
  contentHash: z.string(),
  signaturesCount: z.number().int(),
  signaturesRequired: z.number().int(),
  /** Absent in events from before passkeys: the password was re-entered. */
  method: z.enum(["password", "passkey"]).optional(),
});

/** How a person proved who they are at sign-in (absent in older events: the password alone). */
const signInMethod = z.enum(["password", "password+totp", "password+recovery_code", "password+passkey", "passkey", "sso", "sso+provider_mfa", "sso+totp", "sso+recovery_code", "sso+passkey"]);
const factorKind = z.enum(["totp", "passkey", "recovery_codes"]);

const userSnapshot = z.object({
  email: z.string(),
  name: z.string(),
  role: z.string(),
  credentials: z.string().nullable(),
  canReview: z.boolean(),
  active: z.boolean(),
});

export const eventSchemas = {
  "auth.login.succeeded": z.object({ email: z.string(), method: signInMethod.optional(), recoveryCodesLeft: z.number().int().optional() }),
  /** A person added a second factor to their own account (for a passkey: its name). */
  "auth.factor.enrolled": z.object({ factor: factorKind, name: z.string().optional() }),
  /** New recovery codes replaced the old ones. */
  "auth.factor.recovery_codes_renewed": z.object({ count: z.number().int() }),
  "auth.factor.removed": z.object({ factor: factorKind, name: z.string().optional() }),
  "auth.factor.renamed": z.object({ factor: z.literal("passkey"), old: z.string(), new: z.string() }),
  /** An administrator removed all of a person's second factors (lost phone, lost key); their sessions ended. */
  "auth.factor.reset": z.object({
    email: z.string(), name: z.string(), totp: z.boolean(), passkeys: z.number().int(), recoveryCodes: z.number().int(), sessionsEnded: z.number().int(),
  }),
  "auth.login.failed": z.object({ email: z.string(), reason: z.enum(["unknown_email", "wrong_password", "inactive", "rate_limited"]) }),
  "auth.logout": z.object({}),
  "auth.session.revoked": z.object({ reason: z.string(), sessions: z.number().int() }),
  "auth.session.expired": z.object({ limit: z.enum(["idle", "absolute"]).optional() }),
  "auth.forbidden": z.object({ method: z.string(), path: z.string(), reason: z.string() }),

  "user.created": z.object({ user: userSnapshot }),
  /** An account made at its first single sign-on, with the role OIDC_AUTO_CREATE_ROLE gives. */
  "user.created_by_sso": z.object({ user: userSnapshot, issuer: z.string() }),
  "user.changed": z.object({ changes: fieldChanges }),
  "user.role.changed": z.object({ old: z.string(), new: z.string() }),
  /** `tokensRevoked`: API tokens revoked with it (absent in events written before tokens were revoked here). */
  "user.deactivated": z.object({ sessionsEnded: z.number().int(), tokensRevoked: z.number().int().optional() }),
  /** `tokensRevoked`: tokens still unrevoked from before deactivation revoked tokens (they never come back). */
  "user.reactivated": z.object({ tokensRevoked: z.number().int().optional() }),
  /** The new password is never recorded, only that it was set and whose sessions (and API tokens) ended. */
  "user.password.reset": z.object({ sessionsEnded: z.number().int(), tokensRevoked: z.number().int().optional() }),

  "article.created": z.object({
    slug: z.string(), title: z.string(), visibleWhilePending: z.boolean(), approvalsRequired: z.number().int(),
    /** Set only when an admin chose it at creation (API). */
    nextReviewDue: z.string().optional(),
  }),
  "article.settings.changed": z.object({ changes: fieldChanges }),
  "article.revision.created": z.object({
    revisionNumber: z.number().int(),
    basedOnNumber: z.number().int().nullable(),
    changeNote: z.string().nullable(),
    contentHash: z.string(),
    changes: contentChangesSchema,
  }),
  "article.revision.restored": z.object({
    revisionNumber: z.number().int(),
    restoredFromNumber: z.number().int(),
    contentHash: z.string(),
    changes: contentChangesSchema,
  }),
  "article.references.changed": z.object({ revisionNumber: z.number().int(), references: contentChangesSchema.shape.references }),

  "workflow.submitted": transition,
  "workflow.withdrawn": transition,
  "workflow.review_started": transition,
  "workflow.changes_requested": transition,
  /** A reviewer signed; the revision still needs more signatures. */
  "workflow.signed": transition.extend({ signature, overriddenComments: z.number().int().optional() }),
  "workflow.approved": transition.extend({ signature, overriddenComments: z.number().int().optional() }),
  /** Since the live pointer became the only record of what is live, `to: "PUBLISHED"` here means "became live". */
  "workflow.published": transition.extend({ previousPublishedNumber: z.number().int().nullable(), nextReviewDue: z.string().nullable() }),
  "workflow.unpublished": transition,

  "review.assigned": z.object({ revisionNumber: z.number().int(), reviewers: z.array(z.string()), dueOn: z.string(), previous: z.array(z.string()) }),
  /** The active assignments were ended and replaced. */
  "review.reassigned": z.object({ revisionNumber: z.number().int(), reviewers: z.array(z.string()), dueOn: z.string(), previous: z.array(z.string()) }),

  "schedule.created": z.object({ scheduleId: z.string(), scheduleAction: z.enum(["PUBLISH", "UNPUBLISH"]), revisionNumber: z.number().int(), runAt: z.string() }),
  "schedule.cancelled": z.object({ scheduleId: z.string(), scheduleAction: z.enum(["PUBLISH", "UNPUBLISH"]), revisionNumber: z.number().int() }),
  /** The schedule's time came, but a re-check refused it: nothing was published. */
  "schedule.failed": z.object({ scheduleId: z.string(), scheduleAction: z.enum(["PUBLISH", "UNPUBLISH"]), revisionNumber: z.number().int().nullable(), reason: z.string() }),

  /** An admin put a queued job that had given up back in the queue (a failed schedule is Scheduled again). */
  "job.retried": z.object({ jobId: z.string(), kind: z.string(), kindLabel: z.string(), about: z.string(), attempts: z.number().int(), lastError: z.string().nullable() }),

  "preview.created": z.object({ previewLinkId: z.string(), revisionNumber: z.number().int(), expiresAt: z.string() }),
  "preview.revoked": z.object({ previewLinkId: z.string(), revisionNumber: z.number().int() }),
  /** Someone opened a preview link (no account: the event records the address and browser). */
  "preview.viewed": z.object({ previewLinkId: z.string(), revisionNumber: z.number().int() }),

  "comment.created": z.object({
    commentId: z.string(), sectionKey: z.string().nullable(), quote: z.string().nullable(), body: z.string(), kind: z.string(),
    /** The audience whose version the comment is about (absent: the text as written). */
    audience: z.string().optional(),
  }),
  "comment.replied": z.object({ commentId: z.string(), parentId: z.string(), body: z.string() }),
  "comment.resolved": z.object({ commentId: z.string(), old: z.literal("open"), new: z.literal("resolved") }),
  "comment.reopened": z.object({ commentId: z.string(), old: z.literal("resolved"), new: z.literal("open") }),

  /** A personal API token was created or revoked; the token itself is never recorded. */
  "api_token.created": z.object({ tokenId: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(z.string()) }),
  /** `reason`: set when the token was revoked with an account change, not by its owner. */
  "api_token.revoked": z.object({ tokenId: z.string(), name: z.string(), prefix: z.string(), reason: z.string().optional() }),
  "audience.created": z.object({ slug: z.string(), name: z.string(), schemaAudienceType: z.string(), maxGrade: z.number().nullable() }),
  "audience.changed": z.object({ slug: z.string(), changes: fieldChanges }),
  /** Hidden from readers and editors; `revisionsWithVersions` revisions keep its versions. */
  "audience.archived": z.object({ slug: z.string(), name: z.string(), revisionsWithVersions: z.number().int() }),
  "audience.unarchived": z.object({ slug: z.string(), name: z.string(), revisionsWithVersions: z.number().int() }),

  /** The instant-answer vocabulary: a lay word readers use and the professional term articles use. */
  "vocabulary.term.added": z.object({ termId: z.string(), layTerm: z.string(), professionalTerm: z.string() }),
  "vocabulary.term.removed": z.object({ termId: z.string(), layTerm: z.string(), professionalTerm: z.string() }),
  /** Editors acting on a group of reader questions (or problem reports) from the queue. */
  "reader_question.draft_started": z.object({ groupId: z.string(), question: z.string(), slug: z.string() }),
  "reader_question.answered": z.object({ groupId: z.string(), question: z.string(), slug: z.string() }),
  "reader_question.declined": z.object({ groupId: z.string(), question: z.string(), reason: z.string() }),
  /** A reader's e-mail address was stored or deleted; the address itself is never recorded. */
  "reader_question.email_stored": z.object({ groupId: z.string() }),
  "reader_question.email_deleted": z.object({ groupId: z.string().nullable(), count: z.number().int(), reason: z.enum(["told", "expired"]) }),

  /** An image was stored (an upload from the editor or the API, or an import); the bytes are in the media table, by hash. */
  "media.uploaded": z.object({
    hash: z.string(), format: z.string(), width: z.number().int(), height: z.number().int(), byteSize: z.number().int(),
    originalName: z.string().nullable(), via: z.enum(["editor", "api", "import", "seed"]),
    /** Metadata found in the upload and left out of what was stored. */
    strippedMetadata: z.array(z.string()),
  }),
  /** An image's bytes were deleted (used by no live, approved or publicly shown revision); its hash stays in the revisions that named it. */
  "media.deleted": z.object({ hash: z.string(), originalName: z.string().nullable(), reason: z.string(), revisions: z.number().int() }),

  "system.seeded": z.object({ articles: z.array(z.string()), demoUsers: z.array(z.string()) }),
  "system.synthetic_articles_seeded": z.object({ count: z.number().int(), firstSlug: z.string(), lastSlug: z.string() }),
} as const;

export type AuditAction = keyof typeof eventSchemas;
export const auditActions = Object.keys(eventSchemas) as AuditAction[];

export type AuditPayload<A extends AuditAction> = z.input<(typeof eventSchemas)[A]>;
/** A payload as stored (after its schema parsed it). */
export type StoredPayload<A extends AuditAction> = z.output<(typeof eventSchemas)[A]>;

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(eventSchemas, value);
}

/** Validates a stored payload when it is read back. */
export function parseStoredPayload(action: string, payload: unknown): { ok: true; payload: unknown } | { ok: false; error: string } {
  if (!isAuditAction(action)) return { ok: false, error: `unknown action ${action}` };
  const result = eventSchemas[action].safeParse(payload);
  return result.success ? { ok: true, payload: result.data } : { ok: false, error: result.error.issues[0]?.message ?? "invalid" };
}
