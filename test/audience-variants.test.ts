// Audience versions (variants) of a revision's text: saved with the revision, covered by
// its content hash, diffed, citation-checked, measured for readability; and audiences
// as admins manage them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, type Agents, auditEventsSince, currentRevision, editForm, formBody, lastAuditId, openSite, pending, startAfresh, supplyMissingSources, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { contentHash, type RevisionContent } from "../src/content/revision-content.js";
import { readability } from "../src/content/readability.js";
import { checkCitations, findRevision } from "../src/services/editorial/index.js";
import { verifySignature } from "../src/services/review/index.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite()));
afterAll(() => database?.close());

const freshArticleAndSessions = () => startAfresh(database, app, agents);

const { take, save, approve, requestChanges } = workflowActions(() => database);
const SECTION = "skeletal-muscle-relaxants";
const PATIENT_TEXT = "These medicines relax tight muscles. Ask your doctor which one is right for you [@tizanidine-update-2008].";

/** The seeded revision is submitted: a reviewer asks for changes so an editor may save. */
const openForEditing = () => requestChanges(agents, "Please add a patient version.");

const withPatientVersion = (body = PATIENT_TEXT) => (content: RevisionContent) => {
  content.variants = [...content.variants.filter((v) => !(v.audience === "patients" && v.sectionKey === SECTION)), { audience: "patients", sectionKey: SECTION, body }];
};

async function counts() {
  return {
    revisions: await database.prisma.revision.count(),
    variants: await database.prisma.contentVariant.count(),
    audit: await lastAuditId(database),
  };
}

describe("variants in the content model", () => {
  beforeEach(freshArticleAndSessions);

  it("an editor saves a patient version of one section: a new revision holds it and the audit event records it", async () => {
    await openForEditing();
    const since = await lastAuditId(database);
    await save(agents.alice!, withPatientVersion(), { changeNote: "Patient version of the relaxants section" }).expect(303);
    const { revision, content } = await currentRevision(database);
    expect(revision.number).toBe(2);
    expect(content.variants).toEqual([{ audience: "patients", sectionKey: SECTION, body: PATIENT_TEXT }]);
    const events = await auditEventsSince(database, since);
    const created = events.find((e) => e.action === "article.revision.created")!;
    expect((created.payload as { changes: { variants: unknown } }).changes.variants).toEqual({
      added: [{ audience: "patients", sectionKey: SECTION, body: PATIENT_TEXT }], removed: [], changed: [],
    });
  });

  it("the editor shows each section's patient version beside the text as written, with readability figures", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion()).expect(303);
    const { article } = await currentRevision(database);
    const page = (await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200)).text;
    const index = (await currentRevision(database)).content.sections.findIndex((s) => s.key === SECTION);
    expect(page).toContain(`name="sections[${index}][variants][patients]"`);
    expect(page).toContain(`name="summaryVariants[patients]"`);
    const box = new RegExp(`name="sections\\[${index}\\]\\[variants\\]\\[patients\\]"[^>]*>([^<]*)</textarea>`).exec(page);
    expect(box?.[1]).toBe(PATIENT_TEXT);
    const figure = readability(PATIENT_TEXT)!;
    expect(visibleText(page)).toContain(`Reading grade ${figure.grade.toFixed(1)} · reading ease ${figure.ease.toFixed(1)}`);
  });

  it("staff preview a revision as each audience reads it; an unknown version is a 404", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion()).expect(303);
    const { article } = await currentRevision(database);
    const asWritten = visibleText((await agents.priya!.get(`/editor/articles/${article.id}/revisions/2`).expect(200)).text);
    expect(asWritten).not.toContain("These medicines relax tight muscles.");
    expect(asWritten).toContain("Read as: Healthcare professional Patient or caregiver");
    const forPatients = visibleText((await agents.priya!.get(`/editor/articles/${article.id}/revisions/2?for=patients`).expect(200)).text);
    expect(forPatients).toContain("These medicines relax tight muscles.");
    expect(forPatients).toContain("Written for healthcare professionals");
    await agents.priya!.get(`/editor/articles/${article.id}/revisions/2?for=astronauts`).expect(404);
    await agents.priya!.get(`/editor/articles/${article.id}/revisions/2?for=Bad%20Slug`).expect(404);
  });

  it("editing only a variant changes the content hash, so a signature on the previous text no longer verifies", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion()).expect(303);
    const first = await currentRevision(database);
    const changed = structuredClone(first.content);
    withPatientVersion("Simpler words for the same advice [@tizanidine-update-2008].")(changed);
    expect(contentHash(changed)).not.toBe(first.revision.contentHash);
    // A signature made on revision 2 stops verifying if only its variant's text is altered behind the app's back.
    const signature = { contentHash: first.revision.contentHash };
    expect(verifySignature(signature, first.revision)).toBe(true);
    await database.prisma.contentVariant.updateMany({ where: { revisionId: first.revision.id }, data: { body: "Altered." } });
    expect(verifySignature(signature, (await findRevision(database.prisma, first.revision.id))!)).toBe(false);
  });

  it("a revision without variants keeps the hash it had before variants existed", async () => {
    const { revision, content } = await currentRevision(database);
    expect(content.variants).toEqual([]);
    expect(contentHash(content)).toBe(revision.contentHash);
    const { variants: _none, ...withoutVariants } = content;
    const legacy = JSON.stringify(withoutVariants);
    expect(legacy).not.toContain("variants");
  });

  it("a save that changes only a variant is a new revision, and a save that changes nothing is refused", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion()).expect(303);
    await save(agents.alice!, withPatientVersion("Shorter and plainer [@tizanidine-update-2008].")).expect(303);
    expect((await currentRevision(database)).revision.number).toBe(3);
    const before = await counts();
    const res = await save(agents.alice!, () => {}).expect(400);
    expect(visibleText(res.text)).toContain("Nothing has changed since revision 3");
    expect(await counts()).toEqual(before);
  });

  it("a variant for an audience that does not exist is refused with a message and changes nothing", async () => {
    await openForEditing();
    const before = await counts();
    const res = await save(agents.alice!, (c) => {
      c.variants = [{ audience: "astronauts", sectionKey: SECTION, body: "In space." }];
    }).expect(400);
    expect(visibleText(res.text)).toContain('There is no audience "astronauts"');
    expect(await counts()).toEqual(before);
  });

  it("a variant for the default audience is refused: the professional text is the article as written", async () => {
    await openForEditing();
    const before = await counts();
    const res = await save(agents.alice!, (c) => {
      c.variants = [{ audience: "professionals", sectionKey: SECTION, body: "Twice." }];
    }).expect(400);
    expect(visibleText(res.text)).toContain('"professionals" is the default audience, which reads the article as written');
    expect(await counts()).toEqual(before);
  });

  it("a malformed variant field is refused with 400, not a server error", async () => {
    await openForEditing();
    const { article } = await currentRevision(database);
    const form = await editForm(database, () => {});
    const before = await counts();
    const body = formBody({ _csrf: agents.alice!.csrf, ...form }) + "&summaryVariants=plain";
    await pending(agents.alice!.post(`/editor/articles/${article.id}/edit`).type("form").send(body)).expect(400);
    const nested = formBody({ _csrf: agents.alice!.csrf, ...form }) + "&summaryVariants[patients][x]=1";
    await pending(agents.alice!.post(`/editor/articles/${article.id}/edit`).type("form").send(nested)).expect(400);
    expect(await counts()).toEqual(before);
  });

  it("a variant may cite only the article's references: an unknown key is a citation error that blocks submitting", async () => {
    await openForEditing();
    await save(agents.alice!, (c) => {
      supplyMissingSources(c);
      withPatientVersion("Ask your doctor [@not-a-reference].")(c);
    }).expect(303);
    const { content } = await currentRevision(database);
    const errors = checkCitations(content).filter((i) => i.severity === "error");
    expect(errors.map((e) => e.where)).toEqual(["patients version of section “Skeletal Muscle Relaxants”, item 1"]);
    const res = await take(agents.alice!, "submit").expect(409);
    expect(visibleText(res.text)).toContain("citation error");
  });

  it("the diff a reviewer sees shows the variant change with its readability grade", async () => {
    await openForEditing();
    await save(agents.alice!, (c) => {
      supplyMissingSources(c);
      withPatientVersion()(c);
    }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    const { article } = await currentRevision(database);
    const page = (await agents.priya!.get(`/editor/articles/${article.id}/compare?from=1&to=2`).expect(200)).text;
    const block = /<section class="diff-variant" data-variant="patients\|skeletal-muscle-relaxants">([\s\S]*?)<\/section>/.exec(page);
    expect(block, "the variant is in the diff").not.toBeNull();
    expect(visibleText(block![1]!)).toContain("Version added");
    expect(block![1]).toContain("<ins>These medicines relax tight muscles.");
    expect(visibleText(block![1]!)).toContain(`Reading grade ${readability(PATIENT_TEXT)!.grade.toFixed(1)}`);
    // The workspace (the review page) shows the same figures in its readability table.
    const workspace = (await agents.priya!.get(`/editor/articles/${article.id}`).expect(200)).text;
    const row = /<tr data-part="skeletal-muscle-relaxants">([\s\S]*?)<\/tr>/.exec(workspace)![1]!;
    expect(visibleText(row)).toContain(`Reading grade ${readability(PATIENT_TEXT)!.grade.toFixed(1)}`);
  });

  it("a reviewer can sign with the meaning “Approved: plain-language version”", async () => {
    await openForEditing();
    await save(agents.alice!, (c) => {
      supplyMissingSources(c);
      withPatientVersion()(c);
    }).expect(303);
    await take(agents.alice!, "submit").expect(303);
    await take(agents.priya!, "start_review").expect(303);
    await approve(agents.priya!, { meaning: "Approved: plain-language version" }).expect(303);
    const { revision } = await currentRevision(database);
    expect(revision.state).toBe("APPROVED");
    expect(revision.approvals.map((a) => a.meaning)).toEqual(["Approved: plain-language version"]);
    expect(verifySignature(revision.approvals[0]!, revision)).toBe(true);
  });
});

describe("readability figures", () => {
  it("match the Flesch–Kincaid and Flesch formulas on a known text", () => {
    // 6 words, 1 sentence, 6 syllables: grade 0.39·6 + 11.8·1 − 15.59 = −1.45; ease 206.835 − 1.015·6 − 84.6·1 = 116.145.
    expect(readability("The cat sat on the mat.")).toEqual({ grade: -1.4, ease: 116.1, words: 6, sentences: 1 });
  });

  it("count list items as sentences and ignore citations and Markdown", () => {
    const figures = readability("- Stretch each day [@ref-a]\n- **Drink** water");
    expect(figures).toMatchObject({ words: 5, sentences: 2 });
    // "e.g." and "0.5" do not end sentences.
    expect(readability("Take 0.5 mg, e.g. at night. Then sleep.")).toMatchObject({ sentences: 2 });
  });

  it("rate dense clinical prose far above plain language", () => {
    const clinical = readability("Pharmacological intervention necessitates individualized consideration of contraindications.")!;
    const plain = readability(PATIENT_TEXT)!;
    expect(clinical.grade).toBeGreaterThan(15);
    expect(plain.grade).toBeLessThan(8);
    expect(clinical.ease).toBeLessThan(plain.ease);
  });

  it("give nothing for a text without words", () => {
    expect(readability("[@ref-a]")).toBeNull();
  });

  it("flag a patient version above the audience's grade limit in the editor", async () => {
    await freshArticleAndSessions();
    await openForEditing();
    await save(agents.alice!, withPatientVersion("Pharmacological intervention necessitates individualized consideration of contraindications.")).expect(303);
    const { article } = await currentRevision(database);
    const page = visibleText((await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200)).text);
    expect(page).toContain("above grade 8, the limit for this audience");
  });
});

describe("audiences, managed by admins", () => {
  beforeEach(freshArticleAndSessions);

  it("the seed has the two audiences: Healthcare professional (default) and Patient or caregiver (grade 8)", async () => {
    const audiences = await database.prisma.audience.findMany({ orderBy: { position: "asc" } });
    expect(audiences.map((a) => [a.slug, a.name, a.isDefault, a.schemaAudienceType, a.maxGrade])).toEqual([
      ["professionals", "Healthcare professional", true, "Clinician", null],
      ["patients", "Patient or caregiver", false, "Patient", 8],
    ]);
  });

  it("an admin changes the patient grade limit: recorded in the audit trail, and the editor's flag follows it", async () => {
    await openForEditing();
    const hard = "Muscle relaxants reduce spasticity but frequently cause drowsiness and weakness.";
    await save(agents.alice!, withPatientVersion(hard)).expect(303);
    const { article } = await currentRevision(database);
    const edit = async () => visibleText((await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200)).text);
    expect(await edit()).toContain("above grade 8, the limit for this audience");
    expect(readability(hard)!.grade).toBeGreaterThan(8);
    expect(readability(hard)!.grade).toBeLessThan(30);
    const patients = await database.prisma.audience.findUniqueOrThrow({ where: { slug: "patients" } });
    const since = await lastAuditId(database);
    await pending(agents.sam!.post(`/admin/audiences/${patients.id}`).type("form").send({
      _csrf: agents.sam!.csrf, name: patients.name, description: patients.description, schemaAudienceType: "Patient", maxGrade: "30",
    })).expect(303);
    const events = await auditEventsSince(database, since);
    expect(events.map((e) => e.action)).toEqual(["audience.changed"]);
    expect(events[0]!.payload).toEqual({ slug: "patients", changes: { maxGrade: { old: 8, new: 30 } } });
    expect(await edit()).not.toContain("the limit for this audience");
    // The audit log and the article's history show the new events.
    expect(visibleText((await agents.sam!.get("/admin/audit").expect(200)).text)).toContain("audience.changed");
    await agents.sam!.get(`/editor/articles/${article.id}/history`).expect(200);
  });

  it("an admin adds an audience; the editor then offers a version for it", async () => {
    await pending(agents.sam!.post("/admin/audiences").type("form").send({
      _csrf: agents.sam!.csrf, slug: "carers", name: "Carer", description: "People who look after someone.", schemaAudienceType: "Patient", maxGrade: "6",
    })).expect(303);
    const list = visibleText((await agents.sam!.get("/admin/audiences").expect(200)).text);
    expect(list).toContain("?for=carers");
    await openForEditing();
    const { article } = await currentRevision(database);
    expect((await agents.alice!.get(`/editor/articles/${article.id}/edit`).expect(200)).text).toContain('name="summaryVariants[carers]"');
  });

  it("bad audience input, a taken address or an editor is refused, and nothing changes", async () => {
    const before = { audiences: await database.prisma.audience.count(), audit: await lastAuditId(database) };
    const post = (agent: Agent, fields: Record<string, string>) =>
      pending(agent.post("/admin/audiences").type("form").send({ _csrf: agent.csrf, name: "Name", description: "Description", schemaAudienceType: "Patient", maxGrade: "", ...fields }));
    const bad = await post(agents.sam!, { slug: "Not A Slug" }).expect(400);
    expect(visibleText(bad.text)).toContain("use lowercase letters, digits and hyphens");
    expect(visibleText((await post(agents.sam!, { slug: "x-grade", maxGrade: "hard" }).expect(400)).text)).toContain("must be a number");
    await post(agents.sam!, { slug: "x-type", schemaAudienceType: "Martians" }).expect(400);
    expect(visibleText((await post(agents.sam!, { slug: "patients" }).expect(409)).text)).toContain("already exists");
    await post(agents.alice!, { slug: "by-editor" }).expect(403);
    expect(await database.prisma.audience.count()).toBe(before.audiences);
    expect((await auditEventsSince(database, before.audit)).filter((e) => e.action.startsWith("audience."))).toEqual([]);
  });
});

describe("comments on a variant", () => {
  beforeEach(freshArticleAndSessions);

  it("a reviewer comments on the patient version of a section, quoting it; the thread says which version, and the audit event too", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion()).expect(303);
    const { article, revision } = await currentRevision(database);
    const since = await lastAuditId(database);
    await pending(agents.priya!.post(`/editor/articles/${article.id}/comments`).type("form").send({
      _csrf: agents.priya!.csrf, revisionId: revision.id, sectionKey: SECTION, audience: "patients", quote: "relax tight muscles", body: "Say which muscles.",
    })).expect(303);
    const comment = await database.prisma.comment.findFirstOrThrow({ where: { body: "Say which muscles." } });
    expect(comment.audienceSlug).toBe("patients");
    const [event] = await auditEventsSince(database, since);
    expect(event!.payload).toMatchObject({ sectionKey: SECTION, audience: "patients", quote: "relax tight muscles" });
    const page = visibleText((await agents.priya!.get(`/editor/articles/${article.id}`).expect(200)).text);
    expect(page).toContain("version for “Patient or caregiver”");
    // Changing only the professional text does not mark the version's comment as changed; changing the version does.
    await save(agents.alice!, (c) => { c.sections.find((s) => s.key === SECTION)!.body += "\n\nMore."; }).expect(303);
    expect(visibleText((await agents.priya!.get(`/editor/articles/${article.id}`).expect(200)).text)).not.toContain("Section changed since");
    await save(agents.alice!, withPatientVersion("Different words [@tizanidine-update-2008].")).expect(303);
    expect(visibleText((await agents.priya!.get(`/editor/articles/${article.id}`).expect(200)).text)).toContain("Section changed since");
  });

  it("a comment on a version that does not exist, or quoting text not in the version, is refused and changes nothing", async () => {
    await openForEditing();
    await save(agents.alice!, withPatientVersion()).expect(303);
    const { article, revision } = await currentRevision(database);
    const before = { comments: await database.prisma.comment.count(), audit: await lastAuditId(database) };
    const post = (fields: Record<string, string>) =>
      pending(agents.priya!.post(`/editor/articles/${article.id}/comments`).type("form").send({ _csrf: agents.priya!.csrf, revisionId: revision.id, body: "Hm.", ...fields }));
    expect(visibleText((await post({ sectionKey: SECTION, audience: "carers" }).expect(400)).text)).toContain('has no version for the audience "carers"');
    await post({ audience: "patients" }).expect(400); // the summary has no patient version
    await post({ sectionKey: SECTION, audience: "patients", quote: "not in the version" }).expect(400);
    await post({ sectionKey: SECTION, audience: "Bad Slug" }).expect(400);
    expect(await database.prisma.comment.count()).toBe(before.comments);
    expect(await lastAuditId(database)).toBe(before.audit);
  });
});
