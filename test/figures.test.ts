// Figures: images with required alternative text, captions and credits, part of the revision, its
// content hash and its review. Images are generated here by sharp, with EXIF and GPS tags, to
// prove the stored and published bytes carry none; bad files are refused with a sentence and
// nothing stored; an image reaches the public only through a revision the public may see.
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type request from "supertest";
import sharp from "sharp";
import qs from "qs";
import { type Agent, type Agents, auditEventsSince, bearer, contextOf, currentRevision, demo, editForm, lastAuditId, openSite, pending, reseedContent, signedIn, supplyMissingSources, type TestApp, testConfig, type TestDatabase, tokenFor, userByEmail, visibleText, workflowActions } from "./support/index.js";
import { processUpload, ImageRefused, sniffFormat } from "../src/content/images.js";
import { contentHash, revisionContentSchema, type RevisionContent } from "../src/content/revision-content.js";
import { exportArticle, importArticle, storeImage } from "../src/services/editorial/index.js";
import { createPreviewLink, previewPath } from "../src/services/publishing/index.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};

beforeAll(async () => ({ database, app } = await openSite({ env: { MEDIA_MAX_MB: "2" }, publicPagesReady: true })));
afterAll(() => database?.close());
beforeEach(async () => {
  await reseedContent(database);
  await database.prisma.mediaRendition.deleteMany();
  await database.prisma.media.deleteMany();
  for (const name of ["alice", "sam", "priya"] as const) agents[name] = await signedIn(app, name);
});

const { take } = workflowActions(() => database);

/** A JPEG photo 400 × 200 as stored, with a camera's EXIF (rotated 90°) and a GPS position. */
async function photoWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 200, height: 400, channels: 3, background: { r: 180, g: 40, b: 40 } } })
    .jpeg({ quality: 85 })
    .withExif({
      IFD0: { Make: "ClinicCam", Model: "X1", ImageDescription: "Patient 4711" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 24/1", GPSLongitudeRef: "E", GPSLongitude: "2/1 21/1 3/1" },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

async function flowchartPng(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="600"><rect width="1200" height="600" fill="white"/><rect x="50" y="50" width="300" height="120" fill="#0b5cad"/><rect x="450" y="250" width="300" height="120" fill="#1f7a3a"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A PNG whose header claims `width` × `height` (a decompression bomb's shape), with a valid CRC. */
async function bombPng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: "black" } }).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}

const hasExif = async (bytes: Buffer) => {
  const meta = await sharp(bytes).metadata();
  return !!meta.exif || !!meta.xmp || !!meta.iptc;
};

/** Posts the editor form as the browser does with a file chosen (multipart). */
function postEditor(agent: Agent, articleId: string, fields: object, files: { field: string; bytes: Buffer; name: string }[] = []) {
  let req: request.Test = agent.post(`/editor/articles/${articleId}/edit`);
  for (const pair of qs.stringify(fields).split("&")) {
    const [name, value = ""] = pair.split("=").map((p) => decodeURIComponent(p.replace(/\+/g, " ")));
    req = req.field(name!, value);
  }
  for (const f of files) req = req.attach(f.field, f.bytes, f.name);
  return pending(req);
}

/** The editor form of the newest revision, after withdrawing it (the seed is submitted). */
async function openEditor(change: (content: RevisionContent) => void = () => {}) {
  if ((await currentRevision(database)).revision.state === "SUBMITTED") await take(agents.alice!, "withdraw").expect(303);
  const { article } = await currentRevision(database);
  const form = await editForm(database, change);
  return { articleId: article.id, form: form as unknown as Record<string, unknown> };
}

const treatmentKey = async () => "treatment-algorithm";

describe("processing an upload", () => {
  it("keeps no EXIF or GPS, applies the orientation, and says what it removed", async () => {
    const upload = await photoWithGps();
    expect(await hasExif(upload)).toBe(true);
    expect((await sharp(upload).metadata()).orientation).toBe(6);
    expect(upload.includes(Buffer.from("Patient 4711"))).toBe(true);
    const started = performance.now();
    const image = await processUpload(upload, { name: "ward.jpg", maxBytes: 10 * 1024 * 1024 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(image.format).toBe("jpeg");
    expect([image.width, image.height]).toEqual([400, 200]);
    expect(await hasExif(image.bytes)).toBe(false);
    expect(image.bytes.includes(Buffer.from("Patient 4711"))).toBe(false);
    expect(image.bytes.includes(Buffer.from("ClinicCam"))).toBe(false);
    expect(image.strippedMetadata).toEqual(expect.arrayContaining(["EXIF", "GPS location"]));
    // The same upload gives the same address.
    expect((await processUpload(upload, { name: "again.jpg", maxBytes: 10 * 1024 * 1024 })).hash).toBe(image.hash);
  });

  it("reads the type from the bytes, not the name", async () => {
    const png = await flowchartPng();
    expect((await processUpload(png, { name: "disguised.jpg", maxBytes: 10e6 })).format).toBe("png");
    expect(sniffFormat(await sharp(png).webp().toBuffer())).toBe("webp");
    expect(sniffFormat(await sharp(png).avif().toBuffer())).toBe("avif");
  });

  const refusals: [string, () => Promise<Buffer>, RegExp][] = [
    ["an SVG drawing named .png", async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), /SVG files are not accepted/],
    ["a text file named .jpg", async () => Buffer.from("hello, not an image"), /is not a JPEG, PNG, WebP or AVIF image \(its contents are something else/],
    ["a GIF", async () => Buffer.from("GIF89a\x01\x00\x01\x00"), /contents are a GIF image/],
    ["a zero-byte file", async () => Buffer.alloc(0), /is empty \(0 bytes\)/],
    ["a truncated JPEG", async () => (await photoWithGps()).subarray(0, 900), /damaged or incomplete/],
    ["a decompression bomb (20,000 × 20,000)", () => bombPng(20_000, 20_000), /400 megapixels\); images may have at most 50 megapixels/],
    ["a huge side (30,000 × 100)", () => bombPng(30_000, 100), /a side may be at most 16,383 pixels/],
  ];
  for (const [what, make, sentence] of refusals) {
    it(`refuses ${what} with a sentence`, async () => {
      const error = await processUpload(await make(), { name: "upload.png", maxBytes: 10e6 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageRefused);
      expect((error as Error).message).toMatch(sentence);
    });
  }

  it("refuses a file over the size limit", async () => {
    const error = await processUpload(await flowchartPng(), { name: "big.png", maxBytes: 100 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/images may be at most 0\.0 MB|images may be at most/);
  });
});

describe("figures in the content", () => {
  const base = async () => (await currentRevision(database)).content;
  const figure = (sectionKey: string, extra: object = {}) => ({ key: "algorithm", sectionKey, image: "a".repeat(64), alt: "Flowchart of first-line treatment", caption: "Stepwise treatment [@guideline]", ...extra });

  it("requires alternative text unless decorative, and refuses a file name as alternative text", async () => {
    const content = await base();
    const s = content.sections[0]!.key;
    const noAlt = revisionContentSchema.safeParse({ ...content, figures: [figure(s, { alt: "" })] });
    expect(noAlt.success).toBe(false);
    expect(noAlt.error!.issues[0]!.message).toContain("describe what the image shows (alternative text), or mark the image as decorative");
    expect(revisionContentSchema.safeParse({ ...content, figures: [figure(s, { alt: "", decorative: true })] }).success).toBe(true);
    expect(revisionContentSchema.safeParse({ ...content, figures: [figure(s, { alt: "IMG_2041.JPG" })] }).error!.issues[0]!.message).toContain("not its file name");
  });

  it("refuses a token naming a figure that does not exist, with a sentence on the section", async () => {
    const content = await base();
    content.sections[0]!.body += "\n\n[[figure:nowhere]]";
    const result = revisionContentSchema.safeParse(content);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(["sections", 0, "body"]);
    expect(result.error!.issues[0]!.message).toContain("[[figure:nowhere]] places a figure that does not exist");
  });

  it("puts each figure's image hash and texts in the content hash", async () => {
    const content = await base();
    const s = content.sections[0]!.key;
    const withFigure = revisionContentSchema.parse({ ...content, figures: [figure(s)] });
    expect(contentHash(revisionContentSchema.parse(content))).toBe(contentHash(revisionContentSchema.parse({ ...content, figures: [] })));
    const hash = contentHash(withFigure);
    expect(contentHash(revisionContentSchema.parse({ ...content, figures: [figure(s, { image: "b".repeat(64) })] }))).not.toBe(hash);
    expect(contentHash(revisionContentSchema.parse({ ...content, figures: [figure(s, { alt: "Flowchart of second-line treatment" })] }))).not.toBe(hash);
    expect(contentHash(revisionContentSchema.parse({ ...content, figures: [figure(s, { credit: "Board" })] }))).not.toBe(hash);
  });
});

describe("the editor, the review and the public page", () => {
  it("uploads from the edit page keeping what was typed, saves the figure, and only publication makes the image public", async () => {
    const section = await treatmentKey();
    const { articleId, form } = await openEditor((c) => {
      supplyMissingSources(c);
      const s = c.sections.find((x) => x.key === section)!;
      s.body = `${s.body}\n\n[[figure:figure-treatment-flowchart]]`;
    });
    // The token names a figure that is not there yet: uploading first is what makes it exist.
    const typedTitle = "What are the treatment options for muscle spasms (figures)?";
    const fields = {
      _csrf: agents.alice!.csrf, ...form, title: typedTitle, intent: "upload",
      figures: [{ key: "", image: "", sectionKey: section, position: "1", alt: "Treatment flowchart", caption: "First-line treatment, then muscle relaxants [@praxis-spastic-paraparesis-2025]", credit: "Editorial team", licence: "CC BY 4.0", referenceKey: "" }],
    };
    const since = await lastAuditId(database);
    const uploaded = await postEditor(agents.alice!, articleId, fields, [{ field: "figures[0][file]", bytes: await photoWithGps(), name: "flowchart.jpg" }]).expect(200);
    expect(uploaded.text).toContain(`value="${typedTitle}"`);
    expect(visibleText(uploaded.text)).toContain("Uploaded the image; nothing else is saved yet");
    const media = await database.prisma.media.findFirstOrThrow();
    expect((await auditEventsSince(database, since)).map((e) => e.action)).toEqual(["media.uploaded"]);
    expect(await hasExif(Buffer.from(media.bytes!))).toBe(false);
    expect(uploaded.text).toContain(`name="figures[0][image]" value="${media.hash}"`);
    const key = /name="figures\[0\]\[key\]" value="([^"]+)"/.exec(uploaded.text)![1]!;
    expect(key).toBe("figure-treatment-flowchart");

    // Save with the figure (no file now: the row names the stored image).
    const saveFields = { ...fields, intent: "", figures: [{ ...fields.figures[0], key, image: media.hash }] };
    await postEditor(agents.alice!, articleId, saveFields).expect(303);
    const { revision, content } = await currentRevision(database);
    expect(content.figures).toHaveLength(1);
    expect(content.figures[0]!.image).toBe(media.hash);

    // Not public yet: the public address of its renditions answers 404; staff see it.
    const staffPage = await agents.alice!.get(`/editor/articles/${articleId}/revisions/${revision.number}`).expect(200);
    const staffSrc = /<img src="(\/editor\/media\/[^"]+)"/.exec(staffPage.text)![1]!;
    const staffImage = await agents.alice!.get(staffSrc).expect(200);
    expect(staffImage.headers["cache-control"]).toContain("private");
    const file = staffSrc.slice("/editor/media/".length);
    const anonymous = (await import("supertest")).default(app);
    await anonymous.get(`/media/${file}`).expect(404);
    await agents.alice!.get(`/media/${file}`).expect(404);

    // A preview link shows its revision's figures through the link.
    const alice = await userByEmail(database, demo.alice);
    const { link } = await createPreviewLink(database.prisma, contextOf(alice), alice, articleId, { revisionId: revision.id, days: 2 });
    const preview = await anonymous.get(previewPath(testConfig().sessionSecret, link)).expect(200);
    const previewSrc = /<img src="(\/preview\/[^"]+)"/.exec(preview.text)![1]!;
    await anonymous.get(previewSrc).expect(200);
    await anonymous.get(`${previewSrc.split("/media/")[0]}/media/${"c".repeat(64)}-480.jpg`).expect(404);

    // Reviewed, signed and published: now public, immutable, and without metadata.
    const submitted = await take(agents.alice!, "submit");
    expect(submitted.status, (/role="alert"[^>]*>([^<]*)/.exec(submitted.text) ?? [])[1] ?? visibleText(submitted.text).slice(-1500)).toBe(303);
    await take(agents.priya!, "start_review").expect(303);
    await take(agents.priya!, "approve", { password: "demo-password-2025", meaning: "Approved: medical accuracy" }).expect(303);
    const approved = await currentRevision(database);
    await agents.sam!.post(`/editor/articles/${articleId}/transitions/publish`).type("form")
      .send({ _csrf: agents.sam!.csrf, revisionId: approved.revision.id, expectedState: "APPROVED", confirmed: "yes" }).expect(303);
    const page = await anonymous.get(`/articles/${approved.article.slug}`).expect(200);
    const figureHtml = /<figure class="figure" id="figure-[^"]+">[\s\S]*?<\/figure>/.exec(page.text)![0];
    expect(figureHtml).toMatch(/<picture><source type="image\/avif" srcset="\/media\/[0-9a-f]{64}-400\.avif 400w"/);
    expect(figureHtml).toContain('width="400" height="200" alt="Treatment flowchart"');
    expect(figureHtml).toMatch(/<figcaption><span class="figure-number">Figure 1\.<\/span> First-line treatment, then muscle relaxants <sup class="cite"><a href="#ref-\d+"/);
    expect(figureHtml).toContain("Credit: Editorial team.");
    expect(figureHtml).toContain("Licence: CC BY 4.0.");
    const jsonLd = JSON.parse(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(page.text)![1]!);
    expect(jsonLd.image[0]).toMatchObject({ "@type": "ImageObject", description: "Treatment flowchart", width: "400", height: "200" });
    for (const src of [...figureHtml.matchAll(/(\/media\/[0-9a-f]{64}-\d+\.(?:avif|webp|jpg))/g)].map((m) => m[1]!)) {
      const res = await anonymous.get(src).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => done(null, Buffer.concat(chunks)));
      }).expect(200);
      expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      const bytes = res.body as Buffer;
      expect(await hasExif(bytes)).toBe(false);
      expect(bytes.includes(Buffer.from("ClinicCam"))).toBe(false);
    }
    // The JSON API shows the figure, with its sources.
    const api = await anonymous.get(`/api/v1/articles/${approved.article.slug}`).expect(200);
    expect(api.body.figures[0]).toMatchObject({ key, number: 1, alt: "Treatment flowchart", image: media.hash, width: 400, height: 200 });
    expect(api.body.figures[0].sources.length).toBe(3);

    // The live image cannot be deleted.
    const refused = await pending(agents.alice!.post(`/editor/media/${media.hash}/delete`).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes", reason: "mistake" })).expect(409);
    expect(visibleText(refused.text)).toContain("This image cannot be deleted: it is live in");
    // The media page lists it with its texts and where it is used, and finds it by caption.
    const list = await agents.alice!.get("/editor/media?q=muscle%20relaxants").expect(200);
    expect(visibleText(list.text)).toContain("Alternative text: Treatment flowchart");
    expect(visibleText(list.text)).toMatch(/r\d+ \(live\)/);
    expect(visibleText((await agents.alice!.get("/editor/media?q=nothing-like-this").expect(200)).text)).toContain("No image matches");
  });

  it("a figure without alternative text: 400 on the same page, what was typed kept, nothing stored", async () => {
    const section = await treatmentKey();
    const { articleId, form } = await openEditor();
    const since = await lastAuditId(database);
    for (const intent of ["upload", ""]) {
      const res = await postEditor(agents.alice!, articleId, {
        _csrf: agents.alice!.csrf, ...form, summary: "Typed summary kept", intent,
        figures: [{ key: "", image: "", sectionKey: section, position: "1", alt: "", caption: "Typed caption kept", credit: "", licence: "", referenceKey: "" }],
      }, [{ field: "figures[0][file]", bytes: await flowchartPng(), name: "chart.png" }]).expect(400);
      expect(visibleText(res.text)).toContain("describe what the image shows (alternative text), or mark the image as decorative");
      expect(res.text).toContain("Typed summary kept");
      expect(res.text).toContain("Typed caption kept");
      expect(res.text).toMatch(/<textarea id="f0-alt" name="figures\[0\]\[alt\]" rows="2" aria-invalid="true"/);
    }
    expect(await database.prisma.media.count()).toBe(0);
    expect(await auditEventsSince(database, since)).toEqual([]);
  });

  const badFiles: [string, () => Promise<Buffer>, string, RegExp][] = [
    ["an SVG", async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), "chart.png", /SVG files are not accepted/],
    ["a truncated JPEG", async () => (await photoWithGps()).subarray(0, 700), "photo.jpg", /damaged or incomplete/],
    ["a bomb", () => bombPng(10_000, 10_000), "huge.png", /100 megapixels/],
    ["a zero-byte file", async () => Buffer.alloc(0), "empty.jpg", /is empty \(0 bytes\)/],
    ["a file over MEDIA_MAX_MB", async () => Buffer.concat([await photoWithGps(), Buffer.alloc(3 * 1024 * 1024)]), "large.jpg", /is larger than 2 MB/],
  ];
  for (const [what, make, name, sentence] of badFiles) {
    it(`refuses ${what} from the edit page: 400, typed text kept, nothing stored`, async () => {
      const section = await treatmentKey();
      const { articleId, form } = await openEditor();
      const since = await lastAuditId(database);
      const res = await postEditor(agents.alice!, articleId, {
        _csrf: agents.alice!.csrf, ...form, summary: "Typed summary kept", intent: "upload",
        figures: [{ key: "", image: "", sectionKey: section, position: "1", alt: "A chart", caption: "", credit: "", licence: "", referenceKey: "" }],
      }, [{ field: "figures[0][file]", bytes: await make(), name }]).expect(400);
      expect(visibleText(res.text)).toMatch(sentence);
      expect(res.text).toContain("Typed summary kept");
      expect(await database.prisma.media.count()).toBe(0);
      expect(await auditEventsSince(database, since)).toEqual([]);
    });
  }

  it("refuses a token naming a figure that does not exist: 400 beside the section, nothing saved", async () => {
    const { articleId, form } = await openEditor((c) => { c.sections[0]!.body += "\n\n[[figure:ghost]]"; });
    const before = await database.prisma.revision.count();
    const res = await postEditor(agents.alice!, articleId, { _csrf: agents.alice!.csrf, ...form }).expect(400);
    expect(visibleText(res.text)).toContain("[[figure:ghost]] places a figure that does not exist");
    expect(await database.prisma.revision.count()).toBe(before);
  });

  it("the comparison shows old and new images side by side with their texts diffed; the history says what changed", async () => {
    const user = await userByEmail(database, demo.alice);
    const png = await processUpload(await flowchartPng(), { name: "v1.png", maxBytes: 10e6 });
    const jpg = await processUpload(await photoWithGps(), { name: "v2.jpg", maxBytes: 10e6 });
    await database.prisma.$transaction(async (tx) => {
      await storeImage(tx, contextOf(user), user, png, { originalName: "v1.png", via: "editor" });
      await storeImage(tx, contextOf(user), user, jpg, { originalName: "v2.jpg", via: "editor" });
    });
    const section = await treatmentKey();
    const { articleId } = await openEditor();
    const { saveRevision } = await import("../src/services/editorial/index.js");
    const saveWith = async (image: string, alt: string) => {
      const { revision, content } = await currentRevision(database);
      content.figures = [{ key: "chart", sectionKey: section, image, decorative: false, alt, caption: "", credit: "", licence: "", referenceKey: null, variants: [] }];
      return saveRevision(database.prisma, contextOf(user), user, articleId, { baseRevisionId: revision.id, content, changeNote: null });
    };
    const r1 = await saveWith(png.hash, "Old flowchart of treatment");
    const r2 = await saveWith(jpg.hash, "New flowchart of treatment");
    const compare = await agents.alice!.get(`/editor/articles/${articleId}/compare?from=${r1.number}&to=${r2.number}`).expect(200);
    const block = /<section class="diff-figure" data-figure="chart">[\s\S]*?<\/section>/.exec(compare.text)![0];
    expect(block).toContain("Image replaced");
    expect(block).toContain(`/editor/media/${png.hash}-`);
    expect(block).toContain(`/editor/media/${jpg.hash}-`);
    expect(block).toContain("<del>Old</del><ins>New</ins>");
    const history = await agents.alice!.get(`/editor/articles/${articleId}/history?kind=revisions`).expect(200);
    expect(visibleText(history.text)).toContain("replaced its image and changed its alternative text (figure “New flowchart of treatment”)");
    const { formatEvent } = await import("../src/services/editorial/index.js");
    const upload = await database.prisma.auditEvent.findFirstOrThrow({ where: { action: "media.uploaded", entityId: jpg.hash }, orderBy: { id: "desc" } });
    const sentence = formatEvent(upload.action, upload.payload, true, { actor: "Alice Carter", comment: null, comments: new Map(), referenceNumber: () => undefined, sectionHeading: () => undefined }).sentence;
    expect(sentence).toMatch(/^Alice Carter uploaded the image “v2\.jpg” \(400 × 200 JPEG, \d+ KB\); its EXIF and GPS location metadata was removed\.$/);
  });

  it("deletes an unused image after confirmation, audited; a draft using a deleted image cannot be submitted", async () => {
    const user = await userByEmail(database, demo.alice);
    const png = await processUpload(await flowchartPng(), { name: "old.png", maxBytes: 10e6 });
    await database.prisma.$transaction((tx) => storeImage(tx, contextOf(user), user, png, { originalName: "old.png", via: "editor" }));
    const section = await treatmentKey();
    const { articleId } = await openEditor();
    const { saveRevision } = await import("../src/services/editorial/index.js");
    const { revision, content } = await currentRevision(database);
    supplyMissingSources(content);
    content.figures = [{ key: "chart", sectionKey: section, image: png.hash, decorative: false, alt: "A chart", caption: "", credit: "", licence: "", referenceKey: null, variants: [] }];
    await saveRevision(database.prisma, contextOf(user), user, articleId, { baseRevisionId: revision.id, content, changeNote: null });
    const noReason = await pending(agents.alice!.post(`/editor/media/${png.hash}/delete`).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes", reason: "" })).expect(400);
    expect(noReason.text).toMatch(/name="reason" value="" aria-invalid="true"/);
    await agents.alice!.post(`/editor/media/${png.hash}/delete`).type("form").send({ _csrf: agents.alice!.csrf, confirmed: "yes", reason: "Shows a patient's face" }).expect(303);
    const stored = await database.prisma.media.findUniqueOrThrow({ where: { hash: png.hash } });
    expect(stored.bytes).toBeNull();
    expect(stored.deletedReason).toBe("Shows a patient's face");
    await agents.alice!.get(`/editor/media/${png.hash}-480.webp`).expect(404);
    const submit = await take(agents.alice!, "submit").expect(409);
    expect(visibleText(submit.text)).toContain("Its image was deleted");
  });
});

describe("the API and article transfer", () => {
  it("uploads through the editorial API with a write token, refuses a disguised file, and saves a figure naming the hash", async () => {
    const { token } = await tokenFor(database, demo.alice);
    const supertest = (await import("supertest")).default;
    const upload = (bytes: Buffer, type = "image/jpeg") =>
      supertest(app).post("/api/v1/editorial/media").set("Authorization", `Bearer ${token}`).set("Content-Type", type).set("X-Filename", "ward photo.jpg").send(bytes);
    const ok = await upload(await photoWithGps()).expect(201);
    expect(ok.body).toMatchObject({ format: "jpeg", width: 400, height: 200, stored: true, strippedMetadata: expect.arrayContaining(["GPS location"]) });
    expect((await upload(await photoWithGps()).expect(201)).body.stored).toBe(false);
    const svg = await upload(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/png").expect(400);
    expect(svg.headers["content-type"]).toContain("application/problem+json");
    expect(svg.body.detail).toContain("SVG files are not accepted");
    const { token: readOnly } = await tokenFor(database, demo.alice, ["read"], "read only");
    await supertest(app).post("/api/v1/editorial/media").set("Authorization", `Bearer ${readOnly}`).set("Content-Type", "image/jpeg").send(await photoWithGps()).expect(403);
    const doc = await supertest(app).get("/api/openapi.json").expect(200);
    expect(doc.body.paths["/api/v1/editorial/media"].post.requestBody.content["image/jpeg"].schema).toEqual({ type: "string", format: "binary" });

    if ((await currentRevision(database)).revision.state === "SUBMITTED") await take(agents.alice!, "withdraw").expect(303);
    const { article, revision, content } = await currentRevision(database);
    const section = content.sections[0]!.key;
    const api = bearer(app, token);
    const figure = { key: "photo", sectionKey: section, image: ok.body.hash, alt: "Ward photo", caption: "", credit: "", licence: "", referenceKey: null, decorative: false, variants: [] };
    const unknown = await api.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content: { ...content, figures: [{ ...figure, image: "d".repeat(64) }] } }).expect(400);
    expect(unknown.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: "content.figures.0.image" })]));
    const saved = await api.post(`/api/v1/editorial/articles/${article.id}/revisions`, { baseRevisionId: revision.id, content: { ...content, figures: [figure] } }).expect(201);
    expect(saved.body.content.figures[0]).toMatchObject({ key: "photo", image: ok.body.hash, alt: "Ward photo" });
  });

  it("export carries the images and import checks their hashes", async () => {
    const user = await userByEmail(database, demo.alice);
    const admin = await userByEmail(database, demo.sam);
    const png = await processUpload(await flowchartPng(), { name: "flow.png", maxBytes: 10e6 });
    await database.prisma.$transaction((tx) => storeImage(tx, contextOf(user), user, png, { originalName: "flow.png", via: "editor" }));
    const { articleId } = await openEditor();
    const { saveRevision } = await import("../src/services/editorial/index.js");
    const { revision, content } = await currentRevision(database);
    content.figures = [{ key: "flow", sectionKey: content.sections[0]!.key, image: png.hash, decorative: false, alt: "Flow", caption: "", credit: "", licence: "", referenceKey: null, variants: [] }];
    await saveRevision(database.prisma, contextOf(user), user, articleId, { baseRevisionId: revision.id, content, changeNote: null });
    const exported = JSON.parse(JSON.stringify(await exportArticle(database.prisma, { articleId })));
    expect(exported.media).toHaveLength(1);
    expect(exported.media[0].hash).toBe(png.hash);
    const { exportDocumentSchema } = await import("../src/services/editorial/index.js");
    // Imported into an empty system: the image comes with the article.
    await reseedContent(database);
    await database.prisma.media.deleteMany();
    const damaged = structuredClone(exported);
    damaged.article.slug = "imported-with-figure";
    damaged.media[0].base64 = Buffer.from(Buffer.from(damaged.media[0].base64, "base64").subarray(0, 200)).toString("base64");
    await expect(importArticle(database.prisma, contextOf(admin), admin, exportDocumentSchema.parse(damaged))).rejects.toThrow(/does not match its hash/);
    expect(await database.prisma.media.count()).toBe(0);
    const good = structuredClone(exported);
    good.article.slug = "imported-with-figure";
    const result = await importArticle(database.prisma, contextOf(admin), admin, exportDocumentSchema.parse(good));
    expect(result.contentHash).toBe(exported.contentHash);
    expect((await database.prisma.media.findUniqueOrThrow({ where: { hash: png.hash } })).byteSize).toBe(png.bytes.length);
  });
});
