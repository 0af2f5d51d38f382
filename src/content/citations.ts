// Citation numbering: a reference's number is the order in which it is first
// cited in the revision. Numbers are never stored by editors, so they cannot
// drift from their sources.
import { citationKeys } from "./markdown.js";

export interface CitableText {
  /** null for the summary, otherwise the section key. */
  sectionKey: string | null;
  markdown: string;
}

export interface CitationOccurrence {
  sectionKey: string | null;
  key: string;
  number: number | undefined;
  ordinal: number;
}

export interface CitationNumbering {
  numberOf(key: string): number | undefined;
  /** Cited keys in number order (index + 1 = number). Unknown keys are not numbered. */
  orderedKeys: string[];
  occurrences: CitationOccurrence[];
  /** Cited keys that name no reference. */
  unresolved: string[];
}

export function numberCitations(texts: CitableText[], referenceKeys: Iterable<string>): CitationNumbering {
  const known = new Set(referenceKeys);
  const numbers = new Map<string, number>();
  const occurrences: CitationOccurrence[] = [];
  const unresolved = new Set<string>();
  for (const text of texts) {
    for (const key of citationKeys(text.markdown)) {
      if (!known.has(key)) unresolved.add(key);
      else if (!numbers.has(key)) numbers.set(key, numbers.size + 1);
      occurrences.push({ sectionKey: text.sectionKey, key, number: numbers.get(key), ordinal: occurrences.length + 1 });
    }
  }
  return {
    numberOf: (key) => numbers.get(key),
    orderedKeys: [...numbers.keys()],
    occurrences,
    unresolved: [...unresolved],
  };
}
