// Readability figures of a text: Flesch–Kincaid grade level and Flesch reading ease.
// The formulas and the syllable counter are wooorm's `flesch-kincaid`, `flesch` and
// `syllable` packages (decision 0023); this module only turns Markdown into the counts
// they take. Citations, list markers and emphasis are not words a reader reads.
import { fleschKincaid } from "flesch-kincaid";
import { flesch } from "flesch";
import { syllable } from "syllable";

export interface Readability {
  /** U.S. school grade needed to understand the text (Flesch–Kincaid), one decimal. */
  grade: number;
  /** 0–100 and beyond: higher is easier (Flesch reading ease), one decimal. */
  ease: number;
  words: number;
  sentences: number;
}

/** Markdown reduced to the sentences a reader reads; each list item and heading ends a sentence. */
export function readableText(markdown: string): string {
  return markdown
    .replace(/\[@[^\]]*\]/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .split("\n")
    .map((line) => line.replace(/^\s*(?:[-*+]|\d+[.)]|#{1,6})\s+/, "").replace(/[*_`>#]/g, "").trim())
    .filter(Boolean)
    .map((line) => (/[.!?:;]$/.test(line) ? line : `${line}.`))
    .join(" ")
    // Abbreviations do not end a sentence.
    .replace(/\b(e\.g|i\.e|etc|vs|approx|cf)\./gi, (m) => m.replace(/\./g, ""));
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Figures for a Markdown text, or null when it has no words to measure. */
export function readability(markdown: string): Readability | null {
  const text = readableText(markdown);
  const words = text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];
  if (words.length === 0) return null;
  // A sentence ends at . ! ? (or : ; before a list) followed by a space or the end; "e.g." and decimals
  // ("0.5 mg") do not end one, because no space follows their inner stop.
  const sentences = Math.max(1, (text.match(/[.!?:;]+(?=\s|$)/g) ?? []).length);
  const syllables = words.reduce((sum, word) => sum + Math.max(1, syllable(word)), 0);
  const counts = { sentence: sentences, word: words.length, syllable: syllables };
  return { grade: round1(fleschKincaid(counts)), ease: round1(flesch(counts)), words: words.length, sentences };
}
