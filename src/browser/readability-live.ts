// The edit page's readability figures, recomputed as the editor types (progressive
// enhancement: without this script the figures are the server's, as of the last save).
// Bundled for the browser by scripts/build-browser.mjs from the same module the server
// uses (src/content/readability.ts), so the page and the server always agree.
import { readability, type Readability } from "../content/readability.js";

const DEBOUNCE_MS = 300;

/** The figure's text, as views/editor/readability-figure.ejs writes it. */
export function showFigure(figure: HTMLElement, figures: Readability | null, maxGrade: number | null) {
  const doc = figure.ownerDocument;
  figure.replaceChildren();
  const tooHard = !!figures && maxGrade !== null && figures.grade > maxGrade;
  figure.classList.toggle("too-hard", tooHard);
  figure.classList.toggle("muted", !figures);
  if (!figures) {
    figure.append("No text to measure.");
    return;
  }
  const grade = doc.createElement("strong");
  grade.textContent = figures.grade.toFixed(1);
  figure.append("Reading grade ", grade, ` · reading ease ${figures.ease.toFixed(1)}`);
  if (tooHard) {
    const warning = doc.createElement("strong");
    warning.textContent = `above grade ${maxGrade}, the limit for this audience`;
    figure.append(" · ", warning);
  }
}

function attach(doc: Document) {
  for (const figure of doc.querySelectorAll<HTMLElement>("[data-readability-for]")) {
    const source = doc.getElementById(figure.dataset.readabilityFor ?? "");
    if (!(source instanceof HTMLTextAreaElement)) continue;
    const limit = figure.dataset.maxGrade ?? "";
    const maxGrade = limit === "" ? null : Number(limit);
    let timer: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => showFigure(figure, readability(source.value), maxGrade), DEBOUNCE_MS);
    });
  }
}

// The same function the server runs, for anyone (and the tests) to compare against.
(globalThis as { clinicalAnswersReadability?: unknown }).clinicalAnswersReadability = { readability };
if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attach(document));
  else attach(document);
}
