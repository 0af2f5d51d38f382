// Turns the article editor's form fields into revision content, and content back
// into form fields. Works without JavaScript: sections and references are rows
// with a position (to reorder), a depth (to nest) and a "remove" box; one blank
// row of each is always offered for adding.
import { randomBytes } from "node:crypto";
import { DISCLAIMER_PART, audienceSlugPattern, revisionContentSchema, slugify, sortedVariants, type RevisionContent } from "../content/revision-content.js";
import { fieldErrorsOf } from "./validate.js";
import { AppError } from "../errors.js";
import { lookupTable } from "../lookup.js";

/** Audience versions typed beside a text, by audience slug (a prototype-free table: see src/lookup.ts). */
export type VariantFields = Record<string, string>;
export interface SectionRow { key: string; depth: string; heading: string; body: string; position: string; remove?: string; variants: VariantFields }
export interface ReferenceRow {
  key: string; type: string; title: string; authors: string; source: string; year: string;
  doi: string; pmid: string; url: string; detailsMissing?: string; note: string; position: string; remove?: string;
}
/** A figure row: its image (by hash, once uploaded), texts and place; versions per audience. */
export interface FigureRow {
  key: string; image: string; sectionKey: string; position: string;
  alt: string; decorative?: string; caption: string; credit: string; licence: string; referenceKey: string; remove?: string;
  variants: Record<string, { alt: string; caption: string }>;
}
export interface ArticleForm {
  baseRevisionId: string;
  title: string; summaryHeading: string; summary: string; summaryVariants: VariantFields; lastUpdated: string;
  /** The disclaimer's versions per audience (an empty box: readers of that audience get the standard reader disclaimer). */
  disclaimerVariants: VariantFields;
  disclaimerHeading: string; disclaimer: string; changeNote: string;
  sections: SectionRow[];
  references: ReferenceRow[];
  figures: FigureRow[];
}

/** A text field: absent is empty; anything but a string (an object, an array) is refused. */
function text(v: unknown, field: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  throw new AppError("BAD_REQUEST", `The field ${field} must be text. Reload the editor and try again.`, { fieldErrors: { [field]: "must be text" } });
}

/** qs gives arrays, or objects keyed by index when there are gaps: accept both. */
function rows(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter((v) => v && typeof v === "object");
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, v]) => v)
      .filter((v): v is Record<string, unknown> => !!v && typeof v === "object");
  }
  return [];
}

const MAX_AUDIENCES = 20;

/** `name[<audience slug>]` fields; whether each audience exists is checked when saving. */
function variantFields(value: unknown, field: string): VariantFields {
  if (value === undefined || value === null || value === "") return lookupTable();
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new AppError("BAD_REQUEST", `The field ${field} must name an audience. Reload the editor and try again.`, { fieldErrors: { [field]: "must name an audience" } });
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_AUDIENCES) throw new AppError("BAD_REQUEST", `The field ${field} names too many audiences.`);
  const out: VariantFields = lookupTable();
  for (const [slug, text] of entries) {
    if (!audienceSlugPattern.test(slug)) throw new AppError("BAD_REQUEST", `There is no audience "${slug.slice(0, 40)}". Reload the editor and try again.`);
    out[slug] = typeof text === "string" ? text : (() => { throw new AppError("BAD_REQUEST", `The field ${field}.${slug} must be text.`); })();
  }
  return out;
}

/** `figures[i][variants][<audience>][alt|caption]` fields. */
function figureVariantFields(value: unknown, field: string): FigureRow["variants"] {
  const out = lookupTable<{ alt: string; caption: string }>();
  if (value === undefined || value === null || value === "") return out;
  if (typeof value !== "object" || Array.isArray(value)) throw new AppError("BAD_REQUEST", `The field ${field} must name an audience. Reload the editor and try again.`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_AUDIENCES) throw new AppError("BAD_REQUEST", `The field ${field} names too many audiences.`);
  for (const [slug, texts] of entries) {
    if (!audienceSlugPattern.test(slug)) throw new AppError("BAD_REQUEST", `There is no audience "${slug.slice(0, 40)}". Reload the editor and try again.`);
    const t = texts && typeof texts === "object" ? (texts as Record<string, unknown>) : {};
    out[slug] = { alt: text(t.alt, `${field}.${slug}.alt`), caption: text(t.caption, `${field}.${slug}.caption`) };
  }
  return out;
}

export function formFromBody(body: Record<string, unknown>): ArticleForm {
  const field = (name: string) => text(body[name], name);
  const rowField = (list: string, i: number, r: Record<string, unknown>) => (name: string) => text(r[name], `${list}.${i}.${name}`);
  return {
    baseRevisionId: field("baseRevisionId"),
    title: field("title"), summaryHeading: field("summaryHeading"), summary: field("summary"),
    summaryVariants: variantFields(body.summaryVariants, "summaryVariants"),
    lastUpdated: field("lastUpdated"), disclaimerHeading: field("disclaimerHeading"), disclaimer: field("disclaimer"),
    disclaimerVariants: variantFields(body.disclaimerVariants, "disclaimerVariants"),
    changeNote: field("changeNote"),
    sections: rows(body.sections).map((r, i) => {
      const f = rowField("sections", i, r);
      return {
        key: f("key"), depth: f("depth"), heading: f("heading"), body: f("body"), position: f("position"), remove: f("remove") || undefined,
        variants: variantFields(r.variants, `sections.${i}.variants`),
      };
    }),
    references: rows(body.references).map((r, i) => {
      const f = rowField("references", i, r);
      return {
        key: f("key"), type: f("type"), title: f("title"), authors: f("authors"), source: f("source"), year: f("year"),
        doi: f("doi"), pmid: f("pmid"), url: f("url"), detailsMissing: f("detailsMissing") || undefined, note: f("note"),
        position: f("position"), remove: f("remove") || undefined,
      };
    }),
    figures: rows(body.figures).map((r, i) => {
      const f = rowField("figures", i, r);
      return {
        key: f("key"), image: f("image"), sectionKey: f("sectionKey"), position: f("position"), alt: f("alt"), decorative: f("decorative") || undefined,
        caption: f("caption"), credit: f("credit"), licence: f("licence"), referenceKey: f("referenceKey"), remove: f("remove") || undefined,
        variants: figureVariantFields(r.variants, `figures.${i}.variants`),
      };
    }),
  };
}

export function formFromContent(content: RevisionContent, baseRevisionId: string): ArticleForm {
  const variantsOf = (sectionKey: string | null): VariantFields =>
    lookupTable(content.variants.filter((v) => v.sectionKey === sectionKey).map((v) => [v.audience, v.body]));
  return {
    baseRevisionId,
    title: content.title, summaryHeading: content.summaryHeading, summary: content.summary, summaryVariants: variantsOf(null), lastUpdated: content.lastUpdated,
    disclaimerHeading: content.disclaimerHeading, disclaimer: content.disclaimer, disclaimerVariants: variantsOf(DISCLAIMER_PART), changeNote: "",
    sections: content.sections.map((s, i) => ({ key: s.key, depth: String(s.depth), heading: s.heading, body: s.body, position: String(i + 1), variants: variantsOf(s.key) })),
    references: content.references.map((r, i) => ({
      key: r.key, type: r.type, title: r.title ?? "", authors: r.authors ?? "", source: r.source ?? "", year: r.year === null ? "" : String(r.year),
      doi: r.doi ?? "", pmid: r.pmid ?? "", url: r.url ?? "", detailsMissing: r.detailsMissing ? "on" : undefined, note: r.note ?? "", position: String(i + 1),
    })),
    figures: content.figures.map((f, i) => ({
      key: f.key, image: f.image, sectionKey: f.sectionKey, position: String(i + 1), alt: f.alt, decorative: f.decorative ? "on" : undefined,
      caption: f.caption, credit: f.credit, licence: f.licence, referenceKey: f.referenceKey ?? "",
      variants: lookupTable(f.variants.map((v) => [v.audience, { alt: v.alt, caption: v.caption }] as const)),
    })),
  };
}

/** A figure row that says nothing yet (the blank row for a new figure, left empty). */
export function isBlankFigure(row: FigureRow): boolean {
  return row.key === "" && row.image === "" && row.alt.trim() === "" && row.caption.trim() === "" && row.credit.trim() === "" && row.licence.trim() === "" &&
    Object.values(row.variants).every((v) => v.alt.trim() === "" && v.caption.trim() === "");
}

/** A key for a new figure, from its alternative text or caption, unused in the form. */
export function newFigureKey(row: FigureRow, form: ArticleForm): string {
  const used = new Set(form.figures.map((f) => f.key).filter(Boolean));
  let key = `figure-${slugify(row.alt || row.caption).slice(0, 40).replace(/-+$/, "") || randomBytes(3).toString("hex")}`;
  while (used.has(key)) key = `${key}-${randomBytes(2).toString("hex")}`;
  return key;
}

/** Adds the blank rows the form offers for a new section and a new reference. */
export function withBlankRows(form: ArticleForm): ArticleForm {
  const next = String(form.sections.length + 1);
  return {
    ...form,
    sections: [...form.sections, { key: "", depth: "1", heading: "", body: "", position: next, variants: lookupTable() }],
    references: [...form.references, { key: "", type: "RESEARCH", title: "", authors: "", source: "", year: "", doi: "", pmid: "", url: "", note: "", position: String(form.references.length + 1) }],
    figures: form.figures.some(isBlankFigure) ? form.figures : [...form.figures, blankFigure(form)],
  };
}

function blankFigure(form: ArticleForm): FigureRow {
  return { key: "", image: "", sectionKey: form.sections.find((s) => s.key)?.key ?? "", position: String(form.figures.length + 1), alt: "", caption: "", credit: "", licence: "", referenceKey: "", variants: lookupTable() };
}

function byPosition<T extends { position: string }>(items: { row: T; index: number }[]) {
  const pos = (r: T, i: number) => (Number.isFinite(Number(r.position)) && r.position.trim() !== "" ? Number(r.position) : i + 1);
  return [...items].sort((a, b) => pos(a.row, a.index) - pos(b.row, b.index) || a.index - b.index);
}

export type ParsedForm = { ok: true; content: RevisionContent; changeNote: string | null } | { ok: false; fieldErrors: Record<string, string> };

export function contentFromForm(form: ArticleForm): ParsedForm {
  const usedKeys = new Set(form.sections.map((s) => s.key).filter(Boolean));
  const sections = byPosition(
    form.sections
      .map((row, index) => ({ row, index }))
      .filter(({ row }) => !row.remove && !(row.key === "" && row.heading.trim() === "" && row.body.trim() === "" && Object.values(row.variants).every((v) => v.trim() === ""))),
  );
  const references = byPosition(
    form.references
      .map((row, index) => ({ row, index }))
      .filter(({ row }) => !row.remove && !(row.key === "" && row.title.trim() === "" && row.source.trim() === "")),
  );
  const newKey = (heading: string) => {
    let key = slugify(heading) || `section-${randomBytes(3).toString("hex")}`;
    while (usedKeys.has(key)) key = `${key}-${randomBytes(2).toString("hex")}`;
    usedKeys.add(key);
    return key;
  };
  // An empty box means "no version for that audience": readers get the professional text.
  const variantFieldNames: string[] = [];
  const variantsFrom = (fields: VariantFields, sectionKey: string | null, fieldName: (slug: string) => string) =>
    Object.entries(fields)
      .filter(([, body]) => body.trim() !== "")
      .map(([audience, body]) => {
        variantFieldNames.push(fieldName(audience));
        return { audience, sectionKey, body };
      });
  const sectionContent = sections.map(({ row }) => ({ key: row.key || newKey(row.heading), depth: row.depth, heading: row.heading, body: row.body }));
  const figures = byPosition(form.figures.map((row, index) => ({ row, index })).filter(({ row }) => !row.remove && !isBlankFigure(row)));
  const candidate = {
    title: form.title, summaryHeading: form.summaryHeading, summary: form.summary, lastUpdated: form.lastUpdated,
    disclaimerHeading: form.disclaimerHeading, disclaimer: form.disclaimer,
    sections: sectionContent,
    references: references.map(({ row }) => ({
      key: row.key, type: row.type, title: row.title, authors: row.authors, source: row.source, year: row.year,
      doi: row.doi, pmid: row.pmid, url: row.url, detailsMissing: row.detailsMissing === "on", note: row.note,
    })),
    variants: [
      ...variantsFrom(form.summaryVariants, null, (slug) => `summaryVariants.${slug}`),
      ...sections.flatMap(({ row, index }, i) => variantsFrom(row.variants, sectionContent[i]!.key, (slug) => `sections.${index}.variants.${slug}`)),
      ...variantsFrom(form.disclaimerVariants, DISCLAIMER_PART, (slug) => `disclaimerVariants.${slug}`),
    ],
    figures: figures.map(({ row }) => ({
      key: row.key, image: row.image, sectionKey: row.sectionKey, decorative: row.decorative === "on", alt: row.alt, caption: row.caption,
      credit: row.credit, licence: row.licence, referenceKey: row.referenceKey === "" ? null : row.referenceKey,
      variants: Object.entries(row.variants).map(([audience, v]) => ({ audience, alt: v.alt, caption: v.caption })),
    })),
  };
  const result = revisionContentSchema.safeParse(candidate);
  if (!result.success) {
    // Point each message at the row the user typed in, not its sorted position.
    const fieldErrors = lookupTable<string>();
    for (const [path, message] of Object.entries(fieldErrorsOf(result.error))) {
      const variant = /^variants\.(\d+)\./.exec(path);
      if (variant) {
        fieldErrors[variantFieldNames[Number(variant[1])] ?? "form"] ??= message;
        continue;
      }
      const m = /^(sections|references|figures)\.(\d+)\.(.+)$/.exec(path);
      const list = m?.[1] === "sections" ? sections : m?.[1] === "figures" ? figures : references;
      const key = m ? `${m[1]}.${list[Number(m[2])]?.index ?? m[2]}.${m[3]}` : path;
      fieldErrors[key] ??= message;
    }
    return { ok: false, fieldErrors };
  }
  const changeNote = form.changeNote.trim().slice(0, 500);
  return { ok: true, content: { ...result.data, variants: sortedVariants(result.data) }, changeNote: changeNote || null };
}
