// The reader's choice of audience on the public page: a GET form that works without
// JavaScript, one address (and one cached page) per audience version with its own
// canonical link, JSON-LD audience and sitemap entry, and a cookie that is only a default.
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agents, currentRevision, openSite, SEEDED_SLUG, startAfresh, type TestApp, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { publicDeliveryOf } from "../src/app.js";
import { keyOf, parsePublicPath, publicPageKey } from "../src/public/public-site.js";

let database: TestDatabase;
let app: TestApp;
const agents: Agents = {};
const { take, patientVersionPublished } = workflowActions(() => database);
const ARTICLE = `/articles/${SEEDED_SLUG}`;
const PATIENTS = `${ARTICLE}?for=patients`;
const SECTION = "skeletal-muscle-relaxants";
const PATIENT_TEXT = "These medicines relax tight muscles. Ask your doctor which one suits you [@tizanidine-update-2008].";

beforeAll(async () => ({ database, app } = await openSite({ publicPagesReady: true })));
afterAll(() => database?.close());
beforeEach(() => startAfresh(database, app, agents));

/** An editor writes a patient version of one section; a reviewer signs; the admin publishes. */
const publishPatientVersion = () => patientVersionPublished(agents, SECTION, PATIENT_TEXT);

function jsonLd(html: string) {
  const script = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)?.[1];
  expect(script, "a JSON-LD script").toBeTruthy();
  return JSON.parse(script!);
}
const canonicalOf = (html: string) => /<link rel="canonical" href="([^"]+)"/.exec(html)?.[1];
const sectionHtml = (html: string, key: string) =>
  [...html.matchAll(/<section class="content-section[^"]*" id="section-([^"]+)">([\s\S]*?)<\/section>/g)].find((m) => m[1] === key)?.[2];

describe("cache keys per audience", () => {
  it("?for=<audience> is its own page; other query parameters still are not", () => {
    expect(publicPageKey(ARTICLE, {})).toBe(ARTICLE);
    expect(publicPageKey(ARTICLE, { utm_source: "x" })).toBe(ARTICLE);
    expect(publicPageKey(ARTICLE, { for: "patients" })).toBe(PATIENTS);
    expect(publicPageKey(ARTICLE, { for: "patients", utm_source: "x" })).toBe(PATIENTS);
    expect(keyOf(parsePublicPath(ARTICLE, { for: "patients" })!)).toBe(PATIENTS);
    expect(publicPageKey(ARTICLE, { for: "Bad Value" })).toBeNull();
    expect(publicPageKey(ARTICLE, { for: ["patients", "professionals"] })).toBeNull();
  });

  it("each audience version is cached, and a change to the article replaces every version", async () => {
    await publishPatientVersion();
    const { site } = publicDeliveryOf(app);
    const base = await request(app).get(ARTICLE).expect(200);
    const patients = await request(app).get(PATIENTS).expect(200);
    expect(patients.headers["cache-control"]).toBe("public, max-age=0, must-revalidate, s-maxage=60");
    expect(patients.headers["set-cookie"]).toBeUndefined();
    expect(patients.headers.etag).not.toBe(base.headers.etag);
    // Served again from memory: no render, the same validator.
    const render = site.render.bind(site);
    const rendered: string[] = [];
    site.render = (key, ...rest) => (rendered.push(key), render(key, ...rest));
    try {
      const again = await request(app).get(PATIENTS).set("If-None-Match", patients.headers.etag!).expect(304);
      expect(again.headers.etag).toBe(patients.headers.etag);
      await request(app).get(PATIENTS).expect(200);
      await request(app).get(ARTICLE).expect(200);
    } finally {
      site.render = render;
    }
    expect(rendered).toEqual([]);
    // Any audited change to the article drops both versions.
    await take(agents.sam!, "unpublish", { comment: "Withdrawn for a correction" }).expect(303);
    await request(app).get(PATIENTS).expect(404);
    await request(app).get(ARTICLE).expect(404);
  });

  it("an unknown audience is a 404 with a message, not a server error, and a cookie naming it is forgotten", async () => {
    const res = await request(app).get(`${ARTICLE}?for=astronauts`).set("Cookie", "reader_audience=astronauts").expect(404);
    expect(visibleText(res.text)).toContain("There is no published article at this address");
    expect(res.headers["set-cookie"]![0]).toMatch(/^reader_audience=; .*Expires=Thu, 01 Jan 1970/);
    await request(app).get(`${ARTICLE}?for=patients&for=professionals`).expect(404);
  });
});

describe("the audience versions of an article", () => {
  it("the patient version shows the patient text, and the professional text (marked) where there is no version", async () => {
    await publishPatientVersion();
    const page = (await request(app).get(PATIENTS).expect(200)).text;
    const relaxants = sectionHtml(page, SECTION)!;
    expect(visibleText(relaxants)).toContain("These medicines relax tight muscles.");
    expect(visibleText(relaxants)).not.toContain("Written for healthcare professionals");
    const { content } = await currentRevision(database);
    const other = content.sections.find((s) => s.key !== SECTION && s.body.trim() !== "")!;
    expect(visibleText(sectionHtml(page, other.key)!)).toContain("Written for healthcare professionals");
    // The professional page has no such notes and the original text.
    const base = (await request(app).get(ARTICLE).expect(200)).text;
    expect(base).not.toContain("Written for healthcare professionals");
    expect(visibleText(sectionHtml(base, SECTION)!)).not.toContain("These medicines relax tight muscles.");
  });

  it("each version has its own canonical link and JSON-LD audience", async () => {
    await publishPatientVersion();
    const base = (await request(app).get(ARTICLE).expect(200)).text;
    const patients = (await request(app).get(PATIENTS).expect(200)).text;
    expect(canonicalOf(base)).toMatch(new RegExp(`${ARTICLE}$`));
    expect(canonicalOf(patients)).toMatch(new RegExp(`${ARTICLE}\\?for=patients$`));
    expect(jsonLd(base).audience).toEqual({ "@type": "MedicalAudience", audienceType: "Clinician", name: "Healthcare professional" });
    expect(jsonLd(patients).audience).toEqual({ "@type": "MedicalAudience", audienceType: "Patient", name: "Patient or caregiver" });
    expect(jsonLd(patients).url).toBe(canonicalOf(patients));
  });

  it("a version with no text of its own (the seed) shows the professional text, notes it, and names the professional page as canonical", async () => {
    const page = (await request(app).get(PATIENTS).expect(200)).text;
    expect(visibleText(page)).toContain("Written for healthcare professionals");
    expect(canonicalOf(page)).toMatch(new RegExp(`${ARTICLE}$`));
    expect(jsonLd(page).audience.audienceType).toBe("Patient");
  });

  it("the sitemap lists each version that has text of its own", async () => {
    const before = (await request(app).get("/sitemap.xml").expect(200)).text;
    expect(before).not.toContain("?for=");
    await publishPatientVersion();
    const after = (await request(app).get("/sitemap.xml").expect(200)).text;
    expect(after).toContain(`${ARTICLE}?for=patients</loc>`);
    expect(after).toContain(`${ARTICLE}</loc>`);
  });
});

describe("the selector, without JavaScript", () => {
  it("is a GET form with the choices and says what its cookie is for", async () => {
    const page = (await request(app).get(ARTICLE).expect(200)).text;
    const form = /<form method="get" action="\/reader-choice">([\s\S]*?)<\/form>/.exec(page)?.[1];
    expect(form, "the selector form").toBeTruthy();
    expect(visibleText(form!)).toContain("Which best describes you?");
    expect(form).toContain(`name="article" value="${SEEDED_SLUG}"`);
    expect(form).toMatch(/name="for" value="professionals" checked/);
    expect(form).toMatch(/name="for" value="patients" >/);
    expect(visibleText(page)).toContain("no tracking");
    const patients = (await request(app).get(PATIENTS).expect(200)).text;
    expect(patients).toMatch(/name="for" value="patients" checked/);
  });

  it("choosing an audience sets a cookie and goes to that version's address; choosing back removes it", async () => {
    const reader = request.agent(app);
    const chosen = await reader.get(`/reader-choice?article=${SEEDED_SLUG}&for=patients`).expect(303);
    expect(chosen.headers.location).toBe(PATIENTS);
    expect(chosen.headers["cache-control"]).toBe("private, no-store");
    expect(chosen.headers["set-cookie"]![0]).toMatch(/^reader_audience=patients; .*HttpOnly/);
    // With the cookie, the plain address sends the reader to their version; the redirect is never cached publicly.
    const redirected = await reader.get(ARTICLE).expect(302);
    expect(redirected.headers.location).toBe(PATIENTS);
    expect(redirected.headers["cache-control"]).toBe("private, no-store");
    // The page at each address is the same with or without the cookie.
    const withCookie = await reader.get(PATIENTS).expect(200);
    const without = await request(app).get(PATIENTS).expect(200);
    expect(withCookie.headers.etag).toBe(without.headers.etag);
    expect(withCookie.headers["cache-control"]).toBe("public, max-age=0, must-revalidate, s-maxage=60");
    // Choosing back clears the cookie; the plain address is the professional page again.
    const back = await reader.get(`/reader-choice?article=${SEEDED_SLUG}&for=professionals`).expect(303);
    expect(back.headers.location).toBe(ARTICLE);
    expect(back.headers["set-cookie"]![0]).toMatch(/^reader_audience=; .*Expires=Thu, 01 Jan 1970/);
    await reader.get(ARTICLE).expect(200);
  });

  it("a bad choice is a 400 with a message and sets nothing", async () => {
    for (const query of [`article=${SEEDED_SLUG}&for=astronauts`, `article=${SEEDED_SLUG}`, "for=patients", `article=../admin&for=patients`]) {
      const res = await request(app).get(`/reader-choice?${query}`).expect(400);
      expect(res.headers["set-cookie"]).toBeUndefined();
      expect(visibleText(res.text)).toMatch(/choice|choose|article/i);
    }
  });
});
