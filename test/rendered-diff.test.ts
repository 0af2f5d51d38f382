// The comparison a clinician reads: the rendered text with inserted and deleted words
// marked inline, section by section, unchanged sections collapsed, references named as
// the public and the form name them; the Markdown source diff as a second view.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, createSeededDatabase, createTestApp, currentRevision, decodeEntities, demo, openSite, signedIn, signedInAgent, type TestDatabase, visibleText, workflowActions } from "./support/index.js";
import { htmlDiff } from "../src/content/html-diff.js";
import { renderMarkdown } from "../src/content/markdown.js";

const textOf = (html: string) => decodeEntities(html.replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ").trim();
const without = (html: string, tag: "ins" | "del") => html.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, "g"), "");
const env = { numberOf: (key: string) => ({ a: 1, b: 2 })[key] };

describe("htmlDiff()", () => {
  const before = renderMarkdown("Take **5 mg** daily [@a].\n\n- Check weight\n- Check potassium [@b]\n- Review in a month", env);
  const after = renderMarkdown("Take **10 mg** daily [@a].\n\n- Check weight\n- Review in a month\n- Stop if dizzy", env);
  const diff = htmlDiff(before, after);

  it("keeps the new rendering's markup and marks the changed words inside it", () => {
    expect(diff).toContain("<strong><del>5</del><ins>10</ins> mg</strong>");
    expect(diff).toContain('<sup class="cite">');
    expect(diff).toContain("<li>Check weight</li>");
  });

  it("shows a removed list item as one struck-out item and a new one as one inserted item", () => {
    expect(diff).toMatch(/<li class="diff-deleted-item"><del>Check potassium <sup class="cite">.*?<\/sup><\/del><\/li>/);
    expect(diff).toContain("<li><ins>Stop if dizzy</ins></li>");
  });

  it("dropping the deletions gives the new text, dropping the insertions the old text", () => {
    expect(textOf(without(diff, "del"))).toBe(textOf(after));
    expect(textOf(without(diff, "ins"))).toBe(textOf(before));
  });

  it("gives deleted table rows a row and cell of their own, so the table stays well-formed", () => {
    const table = (rows: string[]) => renderMarkdown(["| Drug | Dose |", "| --- | --- |", ...rows].join("\n"), env);
    const diff = htmlDiff(table(["| Baclofen | 5 mg |", "| Tizanidine | 2 mg |"]), table(["| Baclofen | 5 mg |"]));
    expect(diff).toContain('<tr class="diff-deleted-item"><td><del>Tizanidine</del></td></tr>');
    expect(diff).toContain('<tr class="diff-deleted-item"><td><del>2 mg</del></td></tr>');
    expect(diff).not.toMatch(/<tr>\s*<del>|<\/tr>\s*<del>|<tbody>\s*<del>/);
  });

  it("identical text has no marks, and text stays escaped", () => {
    expect(htmlDiff(after, after)).toBe(after);
    const escaped = htmlDiff(renderMarkdown("a <b> & c", env), renderMarkdown("a <i> & c", env));
    expect(escaped).not.toMatch(/<(b|i)>/);
    expect(escaped).toContain("<del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>");
  });
});

describe("the compare page", () => {
  let database: TestDatabase;
  let agents: Record<string, Agent>;
  let articleId = "";
  let page = "";

  beforeAll(async () => {
    const site = await openSite();
    database = site.database;
    agents = { priya: await signedIn(site.app, "priya"), alice: await signedIn(site.app, "alice") };
    await workflowActions(() => database).dosingRevised(agents, "Please correct the dosing.");
    articleId = (await currentRevision(database)).article.id;
    page = (await agents.priya!.get(`/editor/articles/${articleId}/compare?from=1&to=2`).expect(200)).text;
  });
  afterAll(() => database?.close());

  const main = () => page.slice(page.indexOf("<main"), page.indexOf("</main>"));

  it("shows the changed section rendered, with the changed words marked inside its list", () => {
    const section = /<div class="diff-rendered-section" data-section="skeletal-muscle-relaxants">([\s\S]*?)<\/div>\s*<\/div>/.exec(main())?.[1];
    expect(section, "the dosing section is shown open").toBeDefined();
    expect(section).toContain("<ul>");
    expect(section).toMatch(/<li>[^<]*Dosing: Start at <del>[^<]*<\/del>/);
    expect(section).toMatch(/<ins>[^<]*2mg at bedtime[^<]*<\/ins>/);
    expect(section).toContain('<sup class="cite">');
    expect(section).not.toContain("[@");
  });

  it("collapses the sections that did not change", async () => {
    const { content } = await currentRevision(database);
    const collapsed = [...main().matchAll(/<details class="diff-unchanged" data-section="([^"]+)">/g)].map((m) => m[1]);
    expect(collapsed).toEqual(content.sections.map((s) => s.key).filter((k) => k !== "skeletal-muscle-relaxants"));
  });

  it("names references by number and title and their fields by the form's labels, never by internal keys", () => {
    const text = visibleText(page);
    expect(text).toContain("Reference 4: Supplied source 4: edited");
    expect(text).toContain("Journal or publisher: Journal of Examples");
    expect(text).toContain("Details of this source are missing: yes → no");
    expect(main()).not.toContain("missing-source-");
    expect(text).not.toMatch(/\bsource: /);
  });

  it("offers the Markdown source diff as a second view", async () => {
    expect(page).toContain(`href="/editor/articles/${articleId}/compare?from=1&amp;to=2&amp;view=markdown"`);
    const source = (await agents.priya!.get(`/editor/articles/${articleId}/compare?from=1&to=2&view=markdown`).expect(200)).text;
    expect(source).toContain('<section class="diff-section" data-section="skeletal-muscle-relaxants">');
    expect(source).toContain("[@guideline-topic-overview-2025]");
    expect(source).not.toContain("diff-unchanged");
  });

  it("refuses an unknown view with a clear message", async () => {
    const res = await agents.priya!.get(`/editor/articles/${articleId}/compare?from=1&to=2&view=json`).expect(400);
    expect(visibleText(res.text)).toContain("Choose two revision numbers to compare.");
  });
});

describe("the edit page of a long article", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSeededDatabase();
  });
  afterAll(() => database?.close());

  it("labels references by the number readers see, folds sections, and keeps a Save button in the jump list", async () => {
    const { app } = createTestApp(database);
    const alice = await signedInAgent(app, demo.alice);
    const priya = await signedInAgent(app, demo.priya);
    const { take } = workflowActions(() => database);
    await take(priya, "start_review").expect(303);
    await take(priya, "request_changes", { comment: "Please supply sources." }).expect(303);
    const { article, content } = await currentRevision(database);
    const page = (await alice.get(`/editor/articles/${article.id}/edit`).expect(200)).text;
    for (const n of [4, 5, 6]) {
      expect(page).toMatch(new RegExp(`<legend>Reference ${n}</legend>\\s*<div class="row">\\s*<div><label for="r\\d+-key">Key</label><input type="text" id="r\\d+-key" name="references\\[\\d+\\]\\[key\\]" value="missing-source-${n}">`));
    }
    expect(page.match(/<details class="section-fold" open>/g)).toHaveLength(content.sections.length + 1);
    expect(page).toMatch(/<nav aria-label="Jump to a section" class="jump-list">[\s\S]*<button type="submit" class="jump-save">Save<\/button>\s*<\/nav>/);
  });
});
