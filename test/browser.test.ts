// The whole editorial flow in a real headless Chromium against the app served over
// HTTP: review, change request, edit, forged approval, signature, publication, and
// what the public sees at each point. Each person has their own browser context.
import { afterAll, beforeAll, expect } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { currentRevision, demo, MISSING_SOURCES, NEW_DOSING, openSite, SEEDED_SLUG, type TestDatabase } from "./support/index.js";
import { type BrowserLog, type BrowserSite, chromiumPath, clickAndWait, describeInBrowser, longDateUtc, openBrowserSite, seriousAxeViolations, signIn, storySteps } from "./support/browser.js";
import { expectValidHtml } from "./support/html-validator.js";
import { DEMO_PASSWORD } from "../seed/demo-users.js";
import { runDueJobs, type JobHandlers } from "../src/jobs/queue.js";

if (!chromiumPath() && process.env.CI !== "true") {
  console.warn(
    `browser.test.ts skipped: no Chromium at ${process.env.CHROMIUM_PATH || "/usr/bin/chromium"}. ` +
      "Install it with `apt-get install -y chromium` or set CHROMIUM_PATH.",
  );
}

const PUBLIC_PATH = `/articles/${SEEDED_SLUG}`;
const ARTICLE_TITLE = "What are the treatment options for muscle spasms?";
const CHANGE_REQUEST = "Please check the tizanidine dosing and supply sources 4, 5 and 6.";
const SIGNATURE_MEANING = "Approved: medical accuracy";

/** Console messages once each, with how often and on which paths (CSP reports differ only by hash). */
function summarize(messages: string[]): string[] {
  const seen = new Map<string, { count: number; paths: Set<string> }>();
  for (const m of messages) {
    const match = /^(\[\w+\] console\.\w+) on (\S+): (.*)$/s.exec(m);
    const key = match ? `${match[1]}: ${match[3]!.replace(/'sha256-[^']+'/g, "'sha256-…'")}` : m;
    const entry = seen.get(key) ?? { count: 0, paths: new Set<string>() };
    entry.count++;
    if (match) entry.paths.add(new URL(match[2]!).pathname);
    seen.set(key, entry);
  }
  return [...seen].map(([key, { count, paths }]) => `${count}× ${key}${paths.size ? ` (on ${[...paths].join(", ")})` : ""}`);
}

describeInBrowser("the editorial flow in a real browser", () => {
  let database: TestDatabase | undefined;
  /** What the app logged (shown when a step fails), and the job handlers its worker runs. */
  let appLog: string[] = [];
  let jobHandlers: JobHandlers | undefined;
  /** The app in a browser; it keeps every page the story opens, as served, for the Nu Html Checker at the end. */
  let web: BrowserSite | undefined;
  const browserLog: BrowserLog = { messages: [] };
  const people: Record<string, { context: BrowserContext; page: Page }> = {};
  let articleId = "";
  /** What the app's worker does on its next tick: run every due job (e-mail, schedules). */
  const runWorker = () => runDueJobs(database!.prisma, jobHandlers!);
  /** A failed step skips the later ones, which build on it. */
  const { step, broken } = storySteps();

  const person = (name: string) => {
    const p = people[name];
    if (!p) throw new Error(`no browser context for ${name}`);
    return p.page;
  };

  beforeAll(async () => {
    const site = await openSite({ outbox: true });
    ({ database, logged: appLog, jobHandlers } = site);
    web = await openBrowserSite(site.app, browserLog);
    for (const name of ["anonymous", "priya", "alice", "minh", "sam"]) people[name] = await web.newPerson(name);
    articleId = (await currentRevision(database)).article.id;
  }, 180_000);

  afterAll(async () => {
    if (browserLog.messages.length) console.warn(`Browser console during the flow:\n${summarize(browserLog.messages).join("\n")}`);
    if (broken() && appLog.length) console.warn(`App log:\n${appLog.join("\n")}`);
    await web?.close();
    await database?.close();
  }, 60_000);

  async function revisionState() {
    const { revision } = await currentRevision(database!);
    return { id: revision.id, number: revision.number, state: revision.state, approvals: revision.approvals.length };
  }

  /** No serious or critical axe-core violation on the page the person is looking at. */
  async function expectAccessible(page: Page) {
    expect(await seriousAxeViolations(page), `accessibility of ${new URL(page.url()).pathname}`).toEqual([]);
  }

  async function openArticleFromDashboard(page: Page) {
    await page.goto("/editor");
    // The first link is the article list (the assigned-reviews table may link it again).
    await clickAndWait(page, page.getByRole("link", { name: ARTICLE_TITLE }).first());
    expect(page.url()).toMatch(new RegExp(`/editor/articles/${articleId}$`));
  }

  step("1. the public sees the submitted article under the caution banner, tracker at Submitted", async () => {
    const page = person("anonymous");
    const res = await page.goto(PUBLIC_PATH);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator(".tracker-steps li[aria-current='step']").innerText()).toMatch(/^\W*Submitted/);
    expect(await page.locator(".tracker-steps li[aria-current='step']").count()).toBe(1);
    expect(await page.locator(".caution-banner").innerText()).toContain("Exercise caution as content is pending human review");
    expect(await page.locator("main").innerText()).not.toContain(NEW_DOSING);
    await expectAccessible(page);
  });

  step("2. reviewer Priya starts the review and requests changes with a comment", async () => {
    const page = person("priya");
    await page.goto("/login");
    await expectAccessible(page);
    await signIn(page, demo.priya);
    await expectAccessible(page);
    await openArticleFromDashboard(page);
    expect(await page.getByTestId("state").innerText()).toBe("Submitted");
    await expectAccessible(page);

    await clickAndWait(page, page.locator("form[data-transition='start_review']").getByRole("button", { name: "Start review" }));
    expect(await page.getByRole("status").innerText()).toContain("You are reviewing r1.");
    expect(await page.getByTestId("state").innerText()).toBe("Under review");

    const form = page.locator("form[data-transition='request_changes']");
    await form.getByLabel("What needs to change (required)").fill(CHANGE_REQUEST);
    await clickAndWait(page, form.getByRole("button", { name: "Request changes" }));
    expect(await page.getByTestId("state").innerText()).toBe("Changes requested");
    // The notice says who acts next.
    expect(await page.getByRole("status").innerText()).toContain("Changes requested on r1. Alice Carter and Ben Okafor can now edit it");
    expect(await page.locator("#comments").innerText()).toContain(CHANGE_REQUEST);
    expect((await revisionState()).state).toBe("CHANGES_REQUESTED");
  });

  step("3a. editor Alice sees the comment (with no Resolve button, which is not hers to use), edits the dosing and saves r2", async () => {
    const page = person("alice");
    await signIn(page, demo.alice);
    await openArticleFromDashboard(page);
    const comments = page.locator("#comments");
    expect(await comments.innerText()).toContain(CHANGE_REQUEST);
    expect(await comments.innerText()).toContain("Dr. Priya Patel");
    expect(await comments.getByRole("button", { name: "Resolve" }).count()).toBe(0);
    expect(await page.locator("form[data-transition='approve']").count()).toBe(0);

    await clickAndWait(page, page.getByRole("link", { name: "Edit (creates a new revision)" }));
    expect(page.url()).toMatch(new RegExp(`/editor/articles/${articleId}/edit$`));
    await expectAccessible(page);

    // The tizanidine dosing line, in the "Skeletal Muscle Relaxants" section; its citation stays.
    const section = page.locator("fieldset.section-row").filter({ has: page.locator("legend", { hasText: /^Skeletal Muscle Relaxants$/ }) });
    expect(await section.count()).toBe(1);
    const body = section.locator("textarea[name$='[body]']");
    const before = await body.inputValue();
    const dosingLine = /^(\s*- )Dosing: [^\n]*?(\s*\[@guideline-topic-overview-2025\])$/m;
    expect(before, "the section has the old dosing line").toMatch(dosingLine);
    const after = before.replace(dosingLine, `$1${NEW_DOSING}$2`);
    expect(after).toContain(`${NEW_DOSING} [@guideline-topic-overview-2025]`);
    expect(after.split("\n").length).toBe(before.split("\n").length);
    await body.fill(after);
    await page.getByLabel("What did you change? (saved with the revision)").fill("Tizanidine dosing updated");

    await clickAndWait(page, page.getByRole("button", { name: "Save new revision" }));
    expect(page.url(), `the save was refused: ${(await page.locator("main").innerText()).slice(0, 400)}`).toMatch(new RegExp(`/editor/articles/${articleId}$`));
    expect(await page.getByRole("status").innerText()).toContain("Saved revision 2.");
    expect(await page.getByTestId("state").innerText()).toBe("Draft");
    const { revision } = await currentRevision(database!);
    expect(revision.number).toBe(2);
    expect(revision.sections.find((s) => s.key === "skeletal-muscle-relaxants")!.body).toContain(`${NEW_DOSING} [@guideline-topic-overview-2025]`);
  });

  step("3a'. Alice fills in title, journal and year of references 4, 5 and 6 (as the README says, nothing else) and saves r3", async () => {
    const page = person("alice");
    await clickAndWait(page, page.getByRole("link", { name: "Edit (creates a new revision)" }));
    for (const source of MISSING_SOURCES) {
      const row = page.locator("fieldset.reference-row").filter({ has: page.locator(`input[name$='[key]'][value='${source.key}']`) });
      expect(await row.count(), `one reference row for ${source.key}`).toBe(1);
      await row.getByLabel("Title", { exact: true }).fill(source.title!);
      await row.getByLabel("Journal or publisher").fill(source.source!);
      await row.getByLabel("Year", { exact: true }).fill(String(source.year));
      // The "details are missing" box is left as it was: supplying the details ends that state.
      expect(await row.getByLabel("Details of this source are missing").isChecked()).toBe(true);
    }
    await page.getByLabel("What did you change? (saved with the revision)").fill("Sources 4-6 supplied");
    await clickAndWait(page, page.getByRole("button", { name: "Save new revision" }));
    expect(page.url(), `the save was refused: ${(await page.locator("main").innerText()).slice(0, 400)}`).toMatch(new RegExp(`/editor/articles/${articleId}$`));
    expect(await page.getByRole("status").innerText()).toContain("Saved revision 3.");

    const { revision } = await currentRevision(database!);
    expect(revision.number).toBe(3);
    for (const source of MISSING_SOURCES) {
      expect(revision.references.find((r) => r.key === source.key)).toMatchObject({ title: source.title, source: source.source, year: source.year, detailsMissing: false });
    }
    // The preview of r3 lists the supplied details, not "Source details missing".
    await page.goto(`/editor/articles/${articleId}/revisions/3`);
    const references = await page.locator(".reference-list").innerText();
    for (const source of MISSING_SOURCES) expect(references).toContain(source.title!);
    expect(references).not.toContain("Source details missing");
  });

  step("4. right after the save, the public does not see the unreviewed draft", async () => {
    const page = person("anonymous");
    const res = await page.goto(PUBLIC_PATH);
    // No revision is published or pending review now (r1 has changes requested, r2 and r3 are drafts),
    // so the page is "not found" rather than any version of the article.
    expect(res?.status()).toBe(404);
    expect(await page.content()).not.toContain(NEW_DOSING);
    expect(await page.locator("main").innerText()).not.toContain("up to 36mg daily");
  });

  step("3b. Alice submits the revision for review", async () => {
    const page = person("alice");
    await page.goto(`/editor/articles/${articleId}`);
    const form = page.locator("form[data-transition='submit']");
    expect(await form.locator(".field-error").count(), "submission is not blocked by citation errors").toBe(0);
    // She asks Minh to review it within a week.
    await form.getByLabel("Dr. Minh Nguyen").check();
    const due = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await form.getByLabel("Review due by").fill(due);
    await clickAndWait(page, form.getByRole("button", { name: "Submit for review" }));
    expect(await page.getByTestId("assignments").innerText()).toContain("Dr. Minh Nguyen");
    expect(await page.getByRole("status").innerText()).toContain("Submitted r3 for review. Dr. Minh Nguyen can now start the review");
    expect(await page.getByTestId("state").innerText()).toBe("Submitted");
    // Pending review again: the public sees it, under the caution banner.
    const anon = person("anonymous");
    expect((await anon.goto(PUBLIC_PATH))?.status()).toBe(200);
    expect(await anon.locator(".caution-banner").innerText()).toContain("pending human review");
  });

  step("3c. the assignment reaches Minh: in his bell, and as e-mail in the outbox that Sam can read", async () => {
    expect(await runWorker()).toBeGreaterThanOrEqual(1);
    const minh = person("minh");
    await signIn(minh, demo.minh);
    expect(await minh.getByTestId("bell").innerText()).toContain("1");
    expect(await minh.getByTestId("assigned-reviews").innerText()).toContain(ARTICLE_TITLE);
    const sam = person("sam");
    await signIn(sam, demo.sam);
    await sam.goto("/admin/outbox");
    const message = sam.getByTestId("outbox-message").first();
    expect(await message.innerText()).toContain(demo.minh);
    expect(await message.innerText()).toContain("You are assigned to review a revision");
  });

  step("6a. reviewer Minh signs in and starts the review", async () => {
    const page = person("minh");
    await page.goto("/editor");
    await openArticleFromDashboard(page);
    await clickAndWait(page, page.locator("form[data-transition='start_review']").getByRole("button", { name: "Start review" }));
    expect(await page.getByTestId("state").innerText()).toBe("Under review");
    expect(await page.locator("form[data-transition='approve']").count()).toBe(1);
    // Priya's change request is marked as answered by Alice's submission.
    expect(await page.locator("#comments").innerText()).toContain("addressed in r3 by Alice Carter");
  });

  step("6a'. Minh's default comparison starts at r1, the revision the board sent back, so it includes r2's dosing change", async () => {
    const page = person("minh");
    const link = page.getByRole("link", { name: "Changes since r1" });
    expect(await link.count()).toBe(1);
    expect(await page.getByRole("link", { name: "Changes since r2" }).count()).toBe(0);
    await clickAndWait(page, link);
    expect(page.url()).toContain("compare?from=1&to=3");
    // Rendered as the public reads it: the dosing change is marked inside its list item.
    const dosing = page.locator(".diff-rendered-section[data-section='skeletal-muscle-relaxants'] li", { hasText: "Dosing:" });
    expect(await dosing.locator("ins").allInnerTexts()).toContain("2mg at bedtime");
    expect(await dosing.locator("del").count()).toBeGreaterThan(0);
    // Unchanged sections are collapsed; references are named as readers and the form name them.
    expect(await page.locator("details.diff-unchanged").count()).toBeGreaterThan(5);
    const references = await page.locator(".diff-references").innerText();
    expect(references).toContain("Reference 4: Supplied source 4");
    expect(references).toContain("Journal or publisher: Journal of Examples");
    expect(await page.locator("main").innerText()).not.toContain("missing-source-");
    await expectAccessible(page);
  });

  step("6a''. Minh reads the history as sentences", async () => {
    const page = person("minh");
    await page.goto(`/editor/articles/${articleId}/history`);
    const sentences = await page.locator(".history-sentence").allInnerTexts();
    expect(sentences.some((t) => t.startsWith(`Dr. Priya Patel requested changes on r1: “${CHANGE_REQUEST}”`))).toBe(true);
    expect(sentences.some((t) => t.startsWith("Alice Carter saved r2: changed Skeletal Muscle Relaxants."))).toBe(true);
    expect(sentences.some((t) => t.startsWith("Alice Carter saved r3: edited references 4–6."))).toBe(true);
    // The raw events are there for auditors, closed.
    expect(await page.locator("details.raw-event[open]").count()).toBe(0);
    expect(await page.locator("details.raw-event").count()).toBeGreaterThan(5);
    await expectAccessible(page);
  });

  step("5. a forged Approve request from Alice's browser is refused with 403 and changes nothing", async () => {
    // Done while the revision is under review, when an Approve would otherwise be possible.
    const page = person("alice");
    await page.goto(`/editor/articles/${articleId}`);
    expect(await page.locator("form[data-transition='approve']").count()).toBe(0);
    const csrf = await page.locator("input[type='hidden'][name='_csrf']").first().inputValue();
    expect(csrf.length).toBeGreaterThan(20);
    const before = await revisionState();
    expect(before.state).toBe("UNDER_REVIEW");

    const res = await page.request.post(`/editor/articles/${articleId}/transitions/approve`, {
      form: { _csrf: csrf, revisionId: before.id, expectedState: before.state, meaning: SIGNATURE_MEANING, password: DEMO_PASSWORD },
      maxRedirects: 0,
    });
    expect(res.status(), (await res.text()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)).toBe(403);
    expect(await res.text()).toContain("Your role does not allow");
    expect(await revisionState()).toEqual(before);
    expect(await database!.prisma.approval.count()).toBe(0);
  });

  step("6b. Minh mistypes his signature password: he stays on the review page, his meaning kept, the error beside the password", async () => {
    const page = person("minh");
    await page.goto(`/editor/articles/${articleId}`);
    const form = page.locator("form[data-transition='approve']");
    await form.getByLabel("Meaning of your signature").selectOption(SIGNATURE_MEANING);
    await form.getByLabel("Your password (to sign)").fill("not-my-password");
    await clickAndWait(page, form.getByRole("button", { name: "Approve and sign" }));
    expect(page.url()).toMatch(new RegExp(`/editor/articles/${articleId}/transitions/approve$`));
    expect(await page.locator("h1").innerText()).toBe(ARTICLE_TITLE);
    const again = page.locator("form[data-transition='approve']");
    expect(await again.getByLabel("Meaning of your signature").inputValue()).toBe(SIGNATURE_MEANING);
    const password = again.getByLabel("Your password (to sign)");
    expect(await password.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#approve-password-error").innerText()).toContain("not correct");
    expect(await revisionState()).toMatchObject({ state: "UNDER_REVIEW", approvals: 0 });
    await expectAccessible(page);
  });

  step("6c. Minh enters his password and approves", async () => {
    const page = person("minh");
    const form = page.locator("form[data-transition='approve']");
    expect(await form.getByLabel("Meaning of your signature").inputValue()).toBe(SIGNATURE_MEANING);
    // Priya's change request was answered by the resubmission, so no override reason is asked for.
    expect(await form.locator("textarea[name='overrideReason']").count()).toBe(0);
    await form.getByLabel("Your password (to sign)").fill(DEMO_PASSWORD);
    await clickAndWait(page, form.getByRole("button", { name: "Approve and sign" }));
    expect(await page.getByRole("status").innerText()).toContain("Approved r3. Sam Rivera can now publish it");
    expect(await page.getByTestId("state").innerText()).toBe("Approved");
    expect(await page.getByRole("region", { name: "Signatures on r3" }).innerText()).toMatch(/Dr\. Minh Nguyen, PharmD, Clinical Pharmacology — Approved: medical accuracy — .* — valid/);
    expect(await revisionState()).toMatchObject({ state: "APPROVED", approvals: 1 });
  });

  step("7. admin Sam signs in, clicks Publish, sees what the public will see, and confirms", async () => {
    const page = person("sam");
    await openArticleFromDashboard(page);
    await clickAndWait(page, page.locator("form[data-transition='publish']").getByRole("button", { name: "Publish…" }));
    expect(await page.getByTestId("confirm-outcome").innerText()).toContain(`The article will appear at ${PUBLIC_PATH} for the first time, as r3`);
    expect(await page.locator("main").innerText()).toContain("Reviewed by: Dr. Minh Nguyen");
    await expectAccessible(page);
    await clickAndWait(page, page.getByRole("button", { name: "Yes, publish r3" }));
    expect(await page.getByRole("status").innerText()).toContain(`Published r3. The public now sees it at ${PUBLIC_PATH}`);
    expect(await page.getByTestId("state").innerText()).toBe("Published");
    const article = await database!.prisma.article.findUniqueOrThrow({ where: { id: articleId } });
    expect(article.publishedRevisionId).toBe((await revisionState()).id);
  });

  step("8. the public page shows the new dosing, no caution banner, Approved, the reviewer and the date", async () => {
    const page = person("anonymous");
    const res = await page.goto(PUBLIC_PATH);
    expect(res?.status()).toBe(200);
    const main = await page.locator("main").innerText();
    expect(main).toContain(NEW_DOSING);
    expect(main).not.toContain("pending human review");
    expect(await page.locator(".caution-banner").count()).toBe(0);
    expect(await page.locator(".tracker-steps li[aria-current='step']").innerText()).toMatch(/^\W*Approved/);
    expect(await page.locator(".tracker-steps li.done").allInnerTexts()).toEqual([expect.stringContaining("Submitted"), expect.stringContaining("Under Review")]);

    const reviewedBy = await page.getByRole("region", { name: "Reviewed by" }).innerText();
    expect(reviewedBy).toContain("Dr. Minh Nguyen");
    expect(reviewedBy).toContain("PharmD, Clinical Pharmacology");
    const { revision } = await currentRevision(database!);
    const signedOn = longDateUtc(revision.approvals[0]!.signedAt);
    // The signature was made moments ago: it is dated today (UTC), in the page's long format.
    expect([longDateUtc(), longDateUtc(new Date(Date.now() - 10 * 60_000))]).toContain(signedOn);
    expect(reviewedBy).toContain(`signed ${signedOn}`);
    expect(await page.locator(".article-meta").innerText()).toMatch(new RegExp(`Last reviewed:\\s*${signedOn}`));
    // The supplied sources are listed; none is marked missing.
    const references = await page.locator(".reference-list").innerText();
    for (const source of MISSING_SOURCES) {
      expect(references).toContain(source.title!);
      expect(references).toContain(`${source.source}, ${source.year}`);
    }
    expect(references).not.toContain("Source details missing");
    await expectAccessible(page);

    await page.screenshot({ path: "/tmp/browser-final.png", fullPage: true });
  });

  step("9. Sam unpublishes with a reason (confirmed), then schedules r3's publication; when its time comes the worker publishes it", async () => {
    const page = person("sam");
    await page.goto(`/editor/articles/${articleId}`);
    await clickAndWait(page, page.locator("form[data-transition='unpublish']").getByRole("button", { name: "Unpublish…" }));
    expect(await page.getByTestId("confirm-outcome").innerText()).toContain("will get “not found”");
    await page.getByLabel("Reason (required)").fill("Checking the dosing table once more");
    await clickAndWait(page, page.getByRole("button", { name: "Yes, unpublish r3" }));
    expect(await page.getByRole("status").innerText()).toContain("Unpublished r3.");
    expect((await person("anonymous").goto(PUBLIC_PATH))?.status()).toBe(404);

    const form = page.getByTestId("schedule-form");
    await form.getByLabel("Action").selectOption("PUBLISH");
    await form.getByLabel("When (UTC)").fill(new Date(Date.now() + 60 * 60_000).toISOString().slice(0, 16));
    await clickAndWait(page, form.getByRole("button", { name: "Schedule" }));
    expect(await page.getByRole("status").innerText()).toContain("publication scheduled");
    expect(await page.locator("#schedules").innerText()).toContain("Scheduled");
    await page.goto("/editor");
    expect(await page.getByTestId("schedules").innerText()).toContain(ARTICLE_TITLE);

    // Not yet due: the worker leaves it alone.
    await runWorker();
    expect((await person("anonymous").goto(PUBLIC_PATH))?.status()).toBe(404);
    // The hour passes (the schedule and its job are moved into the past), and the worker runs it.
    await database!.pool.query(`UPDATE job SET run_at = now() - interval '1 second' WHERE done_at IS NULL`);
    await database!.pool.query(`UPDATE publication_schedule SET run_at = now() - interval '1 second' WHERE status = 'SCHEDULED'`);
    await runWorker();
    await page.goto(`/editor/articles/${articleId}`);
    expect(await page.getByTestId("state").innerText()).toBe("Published");
    expect(await page.locator("#schedules").innerText()).toContain("Done");
    const anon = person("anonymous");
    expect((await anon.goto(PUBLIC_PATH))?.status()).toBe(200);
    expect(await anon.locator("main").innerText()).toContain(NEW_DOSING);
    expect(await anon.getByTestId("live-revision").innerText()).toBe("r3");
  });

  step("10. Sam, in Paris, schedules in his own time (stored as UTC, said in words), cancels it after confirming, and copies a preview link's address", async () => {
    // A second browser for Sam whose clock is in Europe/Paris (UTC+1 in December).
    const context = await web!.browser.newContext({ baseURL: web!.baseUrl, viewport: { width: 1280, height: 900 }, locale: "en-GB", timezoneId: "Europe/Paris" });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    page.on("pageerror", (e) => browserLog.messages.push(`[sam-paris] page error on ${page.url()}: ${e.message}`));
    try {
      await signIn(page, demo.sam);
      await page.goto(`/editor/articles/${articleId}`);
      const form = page.getByTestId("schedule-form");
      expect(await form.locator("input[name=timeZone]").inputValue()).toBe("Europe/Paris");
      expect(await form.innerText()).toMatch(/It is now \w+day \d+ \w+ \d{4} at \d\d:\d\d UTC\./);
      const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
      await form.getByLabel("Action").selectOption("UNPUBLISH");
      await form.getByLabel("When (Europe/Paris)").fill(`${day}T15:00`);
      await form.getByLabel("Reason (required to unpublish)").fill("Planned check of the dosing table");
      expect(await form.locator("[data-run-at-words]").innerText()).toMatch(/^It will run in \d+ (hours|days), on \w+day \d+ \w+ \d{4} at 14:00 UTC \(15:00 your time \(Europe\/Paris\)\)\.$/);
      await expectAccessible(page);
      await clickAndWait(page, form.getByRole("button", { name: "Schedule" }));
      expect(await page.getByRole("status").first().innerText()).toContain("at 14:00 UTC (");
      const stored = await database!.prisma.publicationSchedule.findFirstOrThrow({ where: { status: "SCHEDULED" } });
      expect(stored.runAt.toISOString()).toBe(`${day}T14:00:00.000Z`);
      expect(await page.locator(`#schedule-${stored.id}`).innerText()).toContain("15:00 your time, Europe/Paris");

      // Cancelling asks first.
      await clickAndWait(page, page.locator(`#schedule-${stored.id}`).getByRole("button", { name: "Cancel r3's schedule…" }));
      expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Cancel the scheduled unpublication of r3?");
      await expectAccessible(page);
      await clickAndWait(page, page.getByRole("button", { name: "Yes, cancel the unpublication of r3" }));
      expect((await database!.prisma.publicationSchedule.findUniqueOrThrow({ where: { id: stored.id } })).status).toBe("CANCELLED");

      // A preview link: its full address in view, and a Copy button that copies it.
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web!.baseUrl });
      const previewForm = page.locator("form[data-form='preview-link']");
      await previewForm.getByLabel("Valid for (days)").fill("3");
      await clickAndWait(page, previewForm.getByRole("button", { name: "Create preview link" }));
      const created = page.locator(".preview-links li.just-created");
      const address = await created.locator("input.preview-url").inputValue();
      expect(address).toMatch(/^https?:\/\/[^/]+\/preview\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      await created.getByRole("button", { name: "Copy" }).click();
      await expect.poll(() => created.locator(".copy-status").innerText()).toBe("Copied.");
      expect(await page.evaluate("navigator.clipboard.readText()")).toBe(address);
      await expectAccessible(page);
      const outsider = person("anonymous");
      expect((await outsider.goto(new URL(address).pathname))?.status()).toBe(200);
    } finally {
      await context.close();
    }
  });

  step("every page the story opened is valid HTML (Nu Html Checker, as served)", async () => {
    await expectValidHtml(web!.servedHtml);
  });
});
