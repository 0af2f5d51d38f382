// One formatter per kind of audit event, writing it as a sentence a physician reads
// ("Dr. Priya Patel requested changes on r1: 'Please correct…'"), with state names as
// people say them, fields by their form labels and changed text as a small diff.
//
// `formatters` is typed over every action in src/audit/events.ts: adding an action there
// without a sentence here does not compile. The raw event stays available to auditors.
import type { z } from "zod";
import { formatDate } from "../../dates.js";
import type { AuditAction, eventSchemas } from "../../audit/events.js";
import { stateLabels, isRevisionState } from "../../workflow/states.js";
import { changedLinesHtml, fieldLabels, wordDiffHtml } from "./compare.js";

type Payload<A extends AuditAction> = z.output<(typeof eventSchemas)[A]>;

export interface HistoryFacts {
  /** Who acted, as the page names them ("System" when nobody did). */
  actor: string;
  /** The free text stored with the event (a change request, an unpublish reason). */
  comment: string | null;
  /** Comment threads of the article by id: resolving names what was resolved. */
  comments: Map<string, { body: string; revisionNumber: number; addressedInNumber: number | null }>;
  /** A reference's number as readers see it in the newest revision. */
  referenceNumber(key: string): number | undefined;
  /** A section's heading in the newest revision (or undefined once removed). */
  sectionHeading(key: string): string | undefined;
}

/** A small diff: one label and the changed lines, words marked with <ins>/<del> (escaped HTML). */
export interface HistoryDiff {
  label: string;
  lines: string[];
  more: number;
}

export interface HistoryEntry {
  sentence: string;
  /** Text the person wrote (a comment, a reason), shown as a quotation. */
  quote: string | null;
  diffs: HistoryDiff[];
}

type Formatter<A extends AuditAction> = (payload: Payload<A>, facts: HistoryFacts) => HistoryEntry;

const say = (sentence: string, quote: string | null = null, diffs: HistoryDiff[] = []): HistoryEntry => ({ sentence, quote, diffs });

/** "Changes requested" for CHANGES_REQUESTED; older events may name states no longer used. */
function stateName(state: string): string {
  if (isRevisionState(state)) return stateLabels[state].toLowerCase();
  if (state === "PUBLISHED") return "published";
  return state.toLowerCase().replace(/_/g, " ");
}

const short = (text: string, max = 140) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

/** "4–6", "2, 4–6 and 9": reference numbers as a reader would write them. */
export function numberRanges(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(j - i >= 1 ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return ranges.length > 1 ? `${ranges.slice(0, -1).join(", ")} and ${ranges.at(-1)}` : (ranges[0] ?? "");
}

function listed(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

const settingLabels = new Map<string, string>([
  ["slug", "web address"], ["visibleWhilePending", "shown while pending review"], ["approvalsRequired", "signatures required"], ["nextReviewDue", "next review due"],
]);
const show = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : typeof v === "boolean" ? (v ? "yes" : "no") : String(v));

/** "changed Skeletal Muscle Relaxants, edited references 4–6": what one saved revision did. */
function contentSummary(changes: Payload<"article.revision.created">["changes"], facts: HistoryFacts): { parts: string[]; diffs: HistoryDiff[] } {
  const parts: string[] = [];
  const diffs: HistoryDiff[] = [];
  const labelOf = new Map(fieldLabels);
  for (const [field, change] of Object.entries(changes.fields)) {
    const label = labelOf.get(field as never) ?? field;
    parts.push(`changed the ${label.toLowerCase()}`);
    diffs.push({ label, ...changedLinesHtml(show(change.old), show(change.new)) });
  }
  for (const s of changes.sections.changed) {
    parts.push(`changed ${s.new.heading}`);
    const lines = changedLinesHtml(s.old.body, s.new.body);
    if (s.old.heading !== s.new.heading) lines.lines.unshift(`Heading: ${wordDiffHtml(s.old.heading, s.new.heading)}`);
    diffs.push({ label: s.new.heading, ...lines });
  }
  if (changes.sections.added.length) parts.push(`added ${listed(changes.sections.added.map((s) => s.heading))}`);
  if (changes.sections.removed.length) parts.push(`removed ${listed(changes.sections.removed.map((s) => s.heading))}`);
  if (changes.sections.order) parts.push("reordered sections");
  const refs = (list: { key: string }[], verb: string) => {
    if (!list.length) return;
    const numbers = list.map((r) => facts.referenceNumber(r.key)).filter((n): n is number => n !== undefined);
    const unnumbered = list.length - numbers.length;
    const named = numbers.length ? `reference${numbers.length > 1 ? "s" : ""} ${numberRanges(numbers)}` : "";
    const rest = unnumbered ? `${unnumbered} uncited reference${unnumbered > 1 ? "s" : ""}` : "";
    parts.push(`${verb} ${[named, rest].filter(Boolean).join(" and ")}`);
  };
  refs(changes.references.changed, "edited");
  refs(changes.references.added, "added");
  refs(changes.references.removed, "removed");
  if (changes.references.order) parts.push("reordered references");
  const figures = changes.figures;
  if (figures) {
    const name = (f: { key: string; alt: string }) => `figure “${short(f.alt || f.key, 60)}”`;
    for (const f of figures.added) parts.push(`added ${name(f)}`);
    for (const f of figures.removed) parts.push(`removed ${name(f)}`);
    for (const c of figures.changed) {
      const what: string[] = [];
      if (c.old.image !== c.new.image) what.push("replaced its image");
      if (c.old.alt !== c.new.alt) {
        what.push("changed its alternative text");
        diffs.push({ label: `Alternative text of figure “${short(c.new.key, 40)}”`, ...changedLinesHtml(show(c.old.alt), show(c.new.alt)) });
      }
      if (c.old.caption !== c.new.caption) {
        what.push("changed its caption");
        diffs.push({ label: `Caption of figure “${short(c.new.key, 40)}”`, ...changedLinesHtml(show(c.old.caption), show(c.new.caption)) });
      }
      const rest = (["credit", "licence", "decorative", "sectionKey", "referenceKey", "variants"] as const).filter((k) => JSON.stringify(c.old[k]) !== JSON.stringify(c.new[k]));
      if (rest.length) what.push(`changed its ${listed(rest.map((k) => figureFieldWords[k]))}`);
      parts.push(`${listed(what)} (${name(c.new)})`);
    }
    if (figures.order) parts.push("reordered figures");
  }
  return { parts, diffs };
}

function savedSentence(actor: string, verb: string, changes: Payload<"article.revision.created">["changes"], facts: HistoryFacts) {
  const { parts, diffs } = contentSummary(changes, facts);
  return { text: `${actor} ${verb}${parts.length ? `: ${listed(parts)}` : ""}.`, diffs };
}

function signed(payload: Payload<"workflow.approved">, facts: HistoryFacts, verb: string): HistoryEntry {
  const s = payload.signature;
  const override = payload.overriddenComments ? ` with ${payload.overriddenComments} comment(s) still open` : "";
  return say(
    `${facts.actor} ${verb} r${payload.revisionNumber} (“${s.meaning}”)${override}${s.method === "passkey" ? ", signed with a passkey" : ""}: signature ${s.signaturesCount} of ${s.signaturesRequired}.`,
    facts.comment,
  );
}

const signInMethodWords = {
  password: "password only",
  "password+totp": "password and authenticator app",
  "password+recovery_code": "password and a recovery code",
  "password+passkey": "password and passkey",
  passkey: "passkey",
  sso: "single sign-on",
  "sso+provider_mfa": "single sign-on with the identity provider's second factor",
  "sso+totp": "single sign-on and authenticator app",
  "sso+recovery_code": "single sign-on and a recovery code",
  "sso+passkey": "single sign-on and passkey",
} as const;
const factorWords = { totp: "an authenticator app", passkey: "the passkey", recovery_codes: "recovery codes" } as const;

const figureFieldWords = { credit: "credit", licence: "licence", decorative: "decorative mark", sectionKey: "section", referenceKey: "source reference", variants: "audience versions" } as const;

const megabytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

const scheduleVerb = { PUBLISH: "publication", UNPUBLISH: "unpublication" } as const;

export const formatters: { [A in AuditAction]: Formatter<A> } = {
  "auth.login.succeeded": (p, f) => say(`${f.actor} signed in${p.method ? ` (${signInMethodWords[p.method]})` : ""}.${p.recoveryCodesLeft !== undefined ? ` ${p.recoveryCodesLeft} recovery code(s) left.` : ""}`),
  "auth.factor.enrolled": (p, f) => say(`${f.actor} set up ${factorWords[p.factor]}${p.name ? ` “${p.name}”` : ""} as a second factor.`),
  "auth.factor.recovery_codes_renewed": (p, f) => say(`${f.actor} made ${p.count} new recovery codes; the old ones no longer work.`),
  "auth.factor.removed": (p, f) => say(`${f.actor} removed ${factorWords[p.factor]}${p.name ? ` “${p.name}”` : ""}.`),
  "auth.factor.renamed": (p, f) => say(`${f.actor} renamed the passkey “${p.old}” to “${p.new}”.`),
  "auth.factor.reset": (p, f) =>
    say(`${f.actor} reset the second factors of ${p.name} (${p.email}): ${[p.totp ? "the authenticator app" : "", p.passkeys ? `${p.passkeys} passkey(s)` : "", p.recoveryCodes ? `${p.recoveryCodes} recovery code(s)` : ""].filter(Boolean).join(", ") || "none were set up"} removed, ${p.sessionsEnded} session(s) ended.`),
  "auth.login.failed": (p) => say(`A sign-in as ${p.email} failed (${p.reason.replace(/_/g, " ")}).`),
  "auth.logout": (_p, f) => say(`${f.actor} signed out.`),
  "auth.session.revoked": (p, f) => say(`${f.actor}'s ${p.sessions} session(s) were ended: ${p.reason}.`),
  "auth.session.expired": (p, f) => say(`${f.actor}'s session ended (${p.limit === "absolute" ? "maximum length reached" : "inactive too long"}).`),
  "auth.forbidden": (p, f) => say(`${f.actor} was refused: ${p.reason}`),

  "user.created": (p, f) => say(`${f.actor} created the account of ${p.user.name} (${p.user.role.toLowerCase()}).`),
  "user.created_by_sso": (p, f) => say(`${f.actor} was given an account (${p.user.role.toLowerCase()}) at their first single sign-on through ${p.issuer}.`),
  "user.changed": (p, f) => say(`${f.actor} changed an account: ${Object.keys(p.changes).join(", ")}.`),
  "user.role.changed": (p, f) => say(`${f.actor} changed a role from ${p.old.toLowerCase()} to ${p.new.toLowerCase()}.`),
  "user.deactivated": (p, f) =>
    say(`${f.actor} deactivated an account (${p.sessionsEnded} session(s) ended${p.tokensRevoked !== undefined ? `, ${p.tokensRevoked} API token(s) revoked` : ""}).`),
  "user.reactivated": (p, f) => say(`${f.actor} reactivated an account${p.tokensRevoked ? ` (${p.tokensRevoked} API token(s) left from before were revoked)` : ""}; its old API tokens stay revoked.`),
  "user.password.reset": (p, f) =>
    say(`${f.actor} set a new password for an account (${p.sessionsEnded} session(s) ended${p.tokensRevoked !== undefined ? `, ${p.tokensRevoked} API token(s) revoked` : ""}).`),

  "article.created": (p, f) => say(`${f.actor} created the article “${p.title}”.`),
  "article.settings.changed": (p, f) =>
    say(`${f.actor} changed the article's settings: ${Object.entries(p.changes).map(([k, c]) => `${settingLabels.get(k) ?? k} from ${show(c.old)} to ${show(c.new)}`).join("; ")}.`),
  "article.revision.created": (p, f) => {
    if (p.basedOnNumber === null) return say(`${f.actor} created r${p.revisionNumber}, the first revision.`, p.changeNote);
    const { text, diffs } = savedSentence(f.actor, `saved r${p.revisionNumber}`, p.changes, f);
    return say(text, p.changeNote, diffs);
  },
  "article.revision.restored": (p, f) => {
    const { text, diffs } = savedSentence(f.actor, `restored r${p.restoredFromNumber} as r${p.revisionNumber}`, p.changes, f);
    return say(text, null, diffs);
  },
  "article.references.changed": (p, f) => {
    const { parts } = contentSummary({ fields: {}, sections: { added: [], removed: [], changed: [], order: null }, references: p.references }, f);
    return say(`${f.actor} updated the references of r${p.revisionNumber}${parts.length ? `: ${listed(parts)}` : ""}.`);
  },

  "workflow.submitted": (p, f) => say(`${f.actor} submitted r${p.revisionNumber} for review.`, f.comment),
  "workflow.withdrawn": (p, f) => say(`${f.actor} withdrew r${p.revisionNumber} from review; it is a ${stateName(p.to)} again.`, f.comment),
  "workflow.review_started": (p, f) => say(`${f.actor} started reviewing r${p.revisionNumber}.`),
  "workflow.changes_requested": (p, f) => say(`${f.actor} requested changes on r${p.revisionNumber}${f.comment ? `: “${short(f.comment)}”` : "."}`),
  "workflow.signed": (p, f) => signed(p, f, "signed"),
  "workflow.approved": (p, f) => signed(p, f, "approved and signed"),
  "workflow.published": (p, f) =>
    say(`${f.actor} published r${p.revisionNumber}; the public now sees it${p.previousPublishedNumber ? ` instead of r${p.previousPublishedNumber}` : ""}.${p.nextReviewDue ? ` Next review due ${p.nextReviewDue}.` : ""}`, f.comment),
  "workflow.unpublished": (p, f) => say(`${f.actor} unpublished r${p.revisionNumber}; the public no longer sees it${f.comment ? `. Reason: “${short(f.comment)}”` : "."}`),

  "review.assigned": (p, f) => say(`${f.actor} asked ${listed(p.reviewers)} to review r${p.revisionNumber} by ${formatDate(p.dueOn)}.`),
  "review.reassigned": (p, f) => say(`${f.actor} reassigned the review of r${p.revisionNumber} to ${listed(p.reviewers)} (due ${formatDate(p.dueOn)}).`),

  "schedule.created": (p, f) => say(`${f.actor} scheduled the ${scheduleVerb[p.scheduleAction]} of r${p.revisionNumber} for ${p.runAt.replace("T", " ").slice(0, 16)} UTC.`),
  "schedule.cancelled": (p, f) => say(`${f.actor} cancelled the scheduled ${scheduleVerb[p.scheduleAction]} of r${p.revisionNumber}.`),
  "schedule.failed": (p) => say(`The scheduled ${scheduleVerb[p.scheduleAction]}${p.revisionNumber ? ` of r${p.revisionNumber}` : ""} did not happen: ${p.reason}`),

  "job.retried": (p, f) => say(`${f.actor} retried a ${p.kindLabel.toLowerCase()} that had given up after ${p.attempts} attempt(s): ${p.about}.`, p.lastError ? `Last error: ${short(p.lastError)}` : null),

  "preview.created": (p, f) => say(`${f.actor} shared a preview link to r${p.revisionNumber}, valid until ${formatDate(p.expiresAt)}.`),
  "preview.revoked": (p, f) => say(`${f.actor} revoked a preview link to r${p.revisionNumber}.`),
  "preview.viewed": (p) => say(`Someone opened a preview link to r${p.revisionNumber}.`),

  "comment.created": (p, f) =>
    p.kind === "CHANGE_REQUEST"
      ? say(`${f.actor}'s change request stays open until a new revision is submitted.`)
      : say(`${f.actor} commented${p.sectionKey ? ` on ${f.sectionHeading(p.sectionKey) ?? "a section since removed"}` : ""}: “${short(p.body)}”`, p.quote ? `Quoted: ${p.quote}` : null),
  "comment.replied": (p, f) => {
    const thread = f.comments.get(p.parentId);
    return say(`${f.actor} replied${thread ? ` to “${short(thread.body, 60)}”` : ""}: “${short(p.body)}”`);
  },
  "comment.resolved": (p, f) => {
    const thread = f.comments.get(p.commentId);
    if (thread?.addressedInNumber) return say(`${f.actor} addressed the change request “${short(thread.body, 80)}” by submitting r${thread.addressedInNumber}.`);
    return say(`${f.actor} marked ${thread ? `the comment “${short(thread.body, 80)}”` : "a comment"} as resolved.`);
  },
  "comment.reopened": (p, f) => {
    const thread = f.comments.get(p.commentId);
    return say(`${f.actor} reopened ${thread ? `the comment “${short(thread.body, 80)}”` : "a comment"}.`);
  },

  "api_token.created": (p, f) => say(`${f.actor} created the API token “${p.name}” (${p.prefix}…, ${p.scopes.join(" and ")}).`),
  "api_token.revoked": (p, f) => say(`${f.actor} revoked the API token “${p.name}” (${p.prefix}…)${p.reason ? `: ${p.reason}` : ""}.`),
  "audience.created": (p, f) => say(`${f.actor} added the audience “${p.name}”${p.maxGrade !== null ? ` (reading grade at most ${p.maxGrade})` : ""}.`),
  "audience.changed": (p, f) => say(`${f.actor} changed the audience “${p.slug}”: ${Object.keys(p.changes).join(", ")}.`),
  "audience.archived": (p, f) =>
    say(`${f.actor} archived the audience “${p.name}” (?for=${p.slug}): readers and editors no longer see it; ${p.revisionsWithVersions} revision(s) keep its versions in their history.`),
  "audience.unarchived": (p, f) => say(`${f.actor} brought back the archived audience “${p.name}” (?for=${p.slug}).`),
  "vocabulary.term.added": (p, f) => say(`${f.actor} taught instant answers that readers' “${p.layTerm}” means “${p.professionalTerm}”.`),
  "vocabulary.term.removed": (p, f) => say(`${f.actor} removed “${p.layTerm}” → “${p.professionalTerm}” from the instant-answer vocabulary.`),
  "reader_question.draft_started": (p, f) => say(`${f.actor} started the draft “${p.slug}” from the reader question “${p.question}”.`),
  "reader_question.answered": (p, f) => say(`${f.actor} marked the reader question “${p.question}” as answered by “${p.slug}”.`),
  "reader_question.declined": (p, f) => say(`${f.actor} declined the reader question “${p.question}”: ${p.reason}`),
  "reader_question.email_stored": () => say(`A reader left an e-mail address to be told when their question is answered.`),
  "reader_question.email_deleted": (p) => say(p.reason === "told"
    ? `${p.count === 1 ? "A reader's e-mail address was" : `${p.count} readers' e-mail addresses were`} deleted after telling them their question was answered.`
    : `${p.count === 1 ? "A reader's e-mail address was" : `${p.count} readers' e-mail addresses were`} deleted: not used within the retention period.`),

  "media.uploaded": (p, f) =>
    say(`${f.actor} uploaded the image ${p.originalName ? `“${p.originalName}” ` : ""}(${p.width} × ${p.height} ${p.format.toUpperCase()}, ${megabytes(p.byteSize)}${p.via === "api" ? ", through the API" : p.via === "import" ? ", with an imported article" : ""})${p.strippedMetadata.length ? `; its ${listed(p.strippedMetadata)} metadata was removed` : ""}.`),
  "media.deleted": (p, f) => say(`${f.actor} deleted the image ${p.originalName ? `“${p.originalName}”` : p.hash.slice(0, 12)}${p.revisions ? ` (used by ${p.revisions} draft or earlier revision(s), which now show it as deleted)` : ""}.`, p.reason || null),

  "system.seeded": (p) => say(`The sample content was loaded (${p.articles.length} article(s)).`),
  "system.synthetic_articles_seeded": (p) => say(`${p.count} synthetic articles were added for load testing.`),
};

/** The sentence for one stored event; an event whose payload does not validate still gets one. */
export function formatEvent(action: string, payload: unknown, valid: boolean, facts: HistoryFacts): HistoryEntry {
  if (!valid || !Object.hasOwn(formatters, action)) return say(`${facts.actor} recorded “${action}” (its details are not in the expected form; see the raw event).`);
  const format = formatters[action as AuditAction] as Formatter<AuditAction>;
  return format(payload as Payload<AuditAction>, facts);
}

/** Kinds of event a person filters the history by, each a set of actions by prefix. */
export const historyKinds = {
  workflow: { label: "Review and publication", prefixes: ["workflow."] },
  revisions: { label: "Revisions, figures and settings", prefixes: ["article.", "media."] },
  comments: { label: "Comments", prefixes: ["comment."] },
  assignments: { label: "Assignments", prefixes: ["review."] },
  schedules: { label: "Scheduled publication", prefixes: ["schedule."] },
  previews: { label: "Preview links", prefixes: ["preview."] },
  other: { label: "Accounts and system", prefixes: ["auth.", "user.", "system.", "job."] },
} as const;
export type HistoryKind = keyof typeof historyKinds;
