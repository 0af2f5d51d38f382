import { describe, expect, it } from "vitest";
import { numberCitations } from "../src/content/citations.js";
import { renderMarkdown } from "../src/content/markdown.js";

describe("citation numbering", () => {
  it("numbers references by first appearance across summary and sections", () => {
    const numbering = numberCitations(
      [
        { sectionKey: null, markdown: "Summary [@b]." },
        { sectionKey: "s1", markdown: "- one [@a; @b]\n- two [@c]" },
        { sectionKey: "s2", markdown: "Again [@a]" },
      ],
      ["a", "b", "c", "unused"],
    );
    expect(numbering.orderedKeys).toEqual(["b", "a", "c"]);
    expect(numbering.occurrences.map((o) => `${o.sectionKey}:${o.key}=${o.number}`)).toEqual(["null:b=1", "s1:a=2", "s1:b=1", "s1:c=3", "s2:a=2"]);
    expect(numbering.numberOf("unused")).toBeUndefined();
  });

  it("reports keys that name no reference and does not number them", () => {
    const numbering = numberCitations([{ sectionKey: null, markdown: "x [@ghost] y [@real]" }], ["real"]);
    expect(numbering.unresolved).toEqual(["ghost"]);
    expect(numbering.numberOf("real")).toBe(1);
  });

  it("ignores citation-like text inside code", () => {
    const numbering = numberCitations([{ sectionKey: null, markdown: "`[@a]` and [@b]" }], ["a", "b"]);
    expect(numbering.orderedKeys).toEqual(["b"]);
  });

  it("renders citations as superscript links and unknown keys visibly", () => {
    const html = renderMarkdown("Claim [@a; @b] and [@zz]", { numberOf: (k) => ({ a: 1, b: 2 })[k] });
    expect(html).toContain('<sup class="cite"><a href="#ref-1" aria-label="Reference 1">1</a>, <a href="#ref-2" aria-label="Reference 2">2</a></sup>');
    expect(html).toContain('<span class="cite-unresolved" title="No reference with this key">?zz</span>');
  });
});
