// What an editor writes: the full content of one revision. The same schema
// validates the editor form, the seed and anything hashed or signed.
import { createHash } from "node:crypto";
import { z } from "zod";
import { isoDate } from "../schemas.js";

export const referenceTypes = ["GUIDELINE", "RESEARCH", "REVIEW", "DRUG_LABEL", "OTHER"] as const;
export const referenceTypeLabels: Record<(typeof referenceTypes)[number], string> = {
  GUIDELINE: "Guideline",
  RESEARCH: "Research",
  REVIEW: "Review",
  DRUG_LABEL: "Drug label",
  OTHER: "Other",
};

export const citationKeyPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .transform((v) => (v === "" ? null : v))
    .nullable()
    .optional()
    .transform((v) => v ?? null);

export const referenceSchema = z.object({
  key: z.string().trim().regex(citationKeyPattern, "use letters, digits and - _ . : only, starting with a letter or digit").max(80),
  type: z.enum(referenceTypes, { message: "choose a reference type" }),
  title: optionalText(500),
  authors: optionalText(500),
  source: optionalText(300),
  year: z
    .union([z.number(), z.string().trim()])
    .transform((v) => (v === "" ? null : Number(v)))
    .pipe(z.number().int("must be a whole year").min(1800, "must be 1800 or later").max(2100, "must be 2100 or earlier").nullable())
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  doi: optionalText(200).refine((v) => v === null || /^10\.\d{4,9}\/\S+$/.test(v), "must look like 10.1234/abc"),
  pmid: optionalText(12).refine((v) => v === null || /^\d{1,10}$/.test(v), "must be digits only"),
  // Parsed, not pattern-matched, and stored in the parser's normalized form, so what is
  // stored is always a well-formed URL (a quote or space becomes %22 or %20).
  url: optionalText(1000).transform((v, ctx) => {
    if (v === null) return null;
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a full web address starting with http:// or https://" });
      return z.NEVER;
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
      ctx.addIssue({ code: "custom", message: "must start with http:// or https://" });
      return z.NEVER;
    }
    return url.href;
  }),
  detailsMissing: z.boolean().default(false),
  note: optionalText(500),
})
  // A reference either lacks its details or has them: once the title, journal or publisher
  // and year are all supplied, the "details are missing" state ends, whatever the checkbox
  // said (editors supplying them were told what to fill in, not to untick a box).
  .transform((ref) => ({ ...ref, detailsMissing: ref.detailsMissing && !hasRequiredDetails(ref) }));

/** The details a reference needs before it can be cited on a public page. */
export function hasRequiredDetails(ref: { title: string | null; source: string | null; year: number | null }): boolean {
  return !!ref.title && !!ref.source && ref.year !== null;
}

export const sectionSchema = z.object({
  /** Stable identity across revisions; generated for new sections. */
  key: z.string().trim().regex(/^[a-z0-9-]{1,80}$/, "invalid section key"),
  depth: z.coerce.number().int().min(1).max(2),
  heading: z.string().trim().min(1, "a section needs a heading").max(200, "must be at most 200 characters"),
  body: z.string().max(50_000, "must be at most 50,000 characters").transform((v) => v.replace(/\r\n/g, "\n").trimEnd()),
});

export const audienceSlugPattern = /^[a-z0-9-]{1,40}$/;

/**
 * The part key of an audience's version of the disclaimer. Section keys cannot start with
 * "@", so it never names a section; the summary's part key is null.
 */
export const DISCLAIMER_PART = "@disclaimer";

/**
 * What a reader of another audience (e.g. patients) sees when the revision has no version of the
 * disclaimer for them: the professional wording ("intended for healthcare professionals") would
 * be wrong for them. The page marks it as standard wording.
 */
export const READER_DISCLAIMER_DEFAULT = {
  heading: "Medical disclaimer",
  text:
    "This information is for general education. It does not replace advice from a doctor, pharmacist or other health professional who knows your situation: " +
    "talk to them before starting, stopping or changing any treatment.",
};

/**
 * One audience's version of the summary (sectionKey null), of one section, or of the disclaimer
 * (sectionKey DISCLAIMER_PART). Which
 * audiences exist is the database's business (services/editorial/audiences.ts checks it on save).
 */
export const variantSchema = z.object({
  audience: z.string().regex(audienceSlugPattern, "unknown audience"),
  sectionKey: z.union([z.literal(DISCLAIMER_PART), z.string().regex(/^[a-z0-9-]{1,80}$/, "invalid part")]).nullable(),
  body: z.string().max(50_000, "must be at most 50,000 characters").transform((v) => v.replace(/\r\n/g, "\n").trim()).pipe(z.string().min(1, "an empty version is not saved")),
});

/** A figure is placed in its section's text by a line of its own: [[figure:<key>]]. */
export const FIGURE_TOKEN_LINE = /^[ \t]*\[\[figure:([^\]\s]{1,80})\]\][ \t]*$/gm;
export const figureKeyPattern = /^[a-z0-9-]{1,80}$/;
export const imageHashPattern = /^[0-9a-f]{64}$/;

/** The figure keys a text places, in order, repeats included. */
export function figureTokens(markdown: string): string[] {
  return [...markdown.matchAll(FIGURE_TOKEN_LINE)].map((m) => m[1]!);
}

const figureText = (max: number) =>
  z.string().max(max, `must be at most ${max.toLocaleString("en")} characters`).transform((v) => v.replace(/\r\n/g, "\n").trim());

export const figureVariantSchema = z.object({
  audience: z.string().regex(audienceSlugPattern, "unknown audience"),
  /** Empty: readers of this audience get the alternative text as written. */
  alt: figureText(500).default(""),
  /** Empty: the caption as written. */
  caption: figureText(2000).default(""),
});

/**
 * A figure of a section: an image (by the SHA-256 of its stored bytes) with its texts. Alternative
 * text is required unless the figure is marked decorative (then the page gives it alt="" and the
 * caption, if any, carries its meaning). It never reads like a file name.
 */
export const figureSchema = z
  .object({
    key: z.string().trim().regex(figureKeyPattern, "use lowercase letters, digits and hyphens"),
    sectionKey: z.string().trim().regex(/^[a-z0-9-]{1,80}$/, "choose the section the figure belongs to"),
    image: z.string().trim().toLowerCase().regex(imageHashPattern, "must be the SHA-256 of an uploaded image"),
    decorative: z.boolean().default(false),
    alt: figureText(500).default(""),
    caption: figureText(2000).default(""),
    credit: figureText(300).default(""),
    licence: figureText(200).default(""),
    referenceKey: z.string().trim().regex(citationKeyPattern, "choose a reference from the list").nullable().default(null),
    variants: z.array(figureVariantSchema).max(20).default([]),
  })
  .superRefine((figure, ctx) => {
    if (!figure.decorative && figure.alt === "") {
      ctx.addIssue({ code: "custom", path: ["alt"], message: "describe what the image shows (alternative text), or mark the image as decorative" });
    }
    if (/^[^\s]+\.(jpe?g|png|webp|avif|gif|heic|tiff?)$/i.test(figure.alt) || /^(image|picture|photo|figure|img)$/i.test(figure.alt)) {
      ctx.addIssue({ code: "custom", path: ["alt"], message: "describe what the image shows, not its file name or kind" });
    }
    const audiences = new Set<string>();
    figure.variants.forEach((v, i) => {
      if (audiences.has(v.audience)) ctx.addIssue({ code: "custom", path: ["variants", i, "audience"], message: "this figure already has a version for that audience" });
      audiences.add(v.audience);
    });
  })
  // A decorative image has no alternative text (alt=""), for any audience.
  .transform((figure) => ({
    ...figure,
    alt: figure.decorative ? "" : figure.alt,
    variants: figure.variants.map((v) => ({ ...v, alt: figure.decorative ? "" : v.alt })).filter((v) => v.alt !== "" || v.caption !== ""),
  }));

export const revisionContentSchema = z
  .object({
    title: z.string().trim().min(5, "the question must be at least 5 characters").max(300, "must be at most 300 characters"),
    summaryHeading: z.string().trim().min(1, "a heading is required").max(200),
    summary: z.string().trim().min(1, "a summary is required").max(5000).transform((v) => v.replace(/\r\n/g, "\n")),
    lastUpdated: isoDate(),
    disclaimerHeading: z.string().trim().min(1).max(200),
    disclaimer: z.string().trim().min(1, "the disclaimer is required").max(5000),
    sections: z.array(sectionSchema).max(200),
    references: z.array(referenceSchema).max(500),
    variants: z.array(variantSchema).max(2000).default([]),
    figures: z.array(figureSchema).max(200).default([]),
  })
  .superRefine((content, ctx) => {
    const seen = new Set<string>();
    content.references.forEach((ref, i) => {
      if (seen.has(ref.key)) ctx.addIssue({ code: "custom", path: ["references", i, "key"], message: `key "${ref.key}" is used twice` });
      seen.add(ref.key);
    });
    const sectionKeys = new Set<string>();
    content.sections.forEach((section, i) => {
      if (sectionKeys.has(section.key)) ctx.addIssue({ code: "custom", path: ["sections", i, "key"], message: "duplicate section" });
      sectionKeys.add(section.key);
    });
    const variantParts = new Set<string>();
    content.variants.forEach((v, i) => {
      const part = `${v.audience}|${v.sectionKey ?? ""}`;
      if (variantParts.has(part)) ctx.addIssue({ code: "custom", path: ["variants", i, "body"], message: "this part already has a version for that audience" });
      variantParts.add(part);
      if (v.sectionKey !== null && v.sectionKey !== DISCLAIMER_PART && !sectionKeys.has(v.sectionKey)) {
        ctx.addIssue({ code: "custom", path: ["variants", i, "sectionKey"], message: "a version must belong to a section of the article" });
      }
    });
    checkFigures(content, ctx);
    if (content.sections[0]?.depth === 2) {
      ctx.addIssue({ code: "custom", path: ["sections", 0, "depth"], message: "the first section cannot be a subsection" });
    }
  });

/**
 * Each figure belongs to a section of the article and names a reference of it; each [[figure:key]]
 * line names a figure of the section it is in (in the text as written or an audience's version of
 * it), at most once; the summary and the disclaimer hold no figures.
 */
function checkFigures(
  content: { summary: string; sections: { key: string; heading: string; body: string }[]; references: { key: string }[]; variants: { sectionKey: string | null; body: string }[]; figures: { key: string; sectionKey: string; referenceKey: string | null }[] },
  ctx: z.RefinementCtx,
) {
  const sectionKeys = new Set(content.sections.map((s) => s.key));
  const referenceKeys = new Set(content.references.map((r) => r.key));
  const figureSection = new Map<string, string>();
  content.figures.forEach((f, i) => {
    if (figureSection.has(f.key)) ctx.addIssue({ code: "custom", path: ["figures", i, "key"], message: `the key “${f.key}” is used by another figure` });
    figureSection.set(f.key, f.sectionKey);
    if (!sectionKeys.has(f.sectionKey)) ctx.addIssue({ code: "custom", path: ["figures", i, "sectionKey"], message: "choose a section of this article" });
    if (f.referenceKey !== null && !referenceKeys.has(f.referenceKey)) ctx.addIssue({ code: "custom", path: ["figures", i, "referenceKey"], message: `there is no reference with the key “${f.referenceKey}”` });
  });
  const headingOf = new Map(content.sections.map((s) => [s.key, s.heading]));
  const checkText = (markdown: string, sectionKey: string | null, path: (string | number)[]) => {
    const seen = new Set<string>();
    for (const key of figureTokens(markdown)) {
      const owner = figureSection.get(key);
      let message: string | null = null;
      if (sectionKey === null) message = `[[figure:${key}]]: figures can be placed only in a section's text`;
      else if (owner === undefined) message = `[[figure:${key}]] places a figure that does not exist: add a figure with the key “${key}” to this section, or remove the line`;
      else if (owner !== sectionKey) message = `[[figure:${key}]] belongs to the section “${headingOf.get(owner) ?? owner}”: place it there`;
      else if (seen.has(key)) message = `[[figure:${key}]] is placed twice`;
      seen.add(key);
      if (message) {
        ctx.addIssue({ code: "custom", path, message });
        return;
      }
    }
  };
  checkText(content.summary, null, ["summary"]);
  content.sections.forEach((s, i) => checkText(s.body, s.key, ["sections", i, "body"]));
  content.variants.forEach((v, i) => checkText(v.body, v.sectionKey === DISCLAIMER_PART ? null : v.sectionKey, ["variants", i, "body"]));
}

export type RevisionContent = z.output<typeof revisionContentSchema>;
export type FigureContent = RevisionContent["figures"][number];
export type ReferenceContent = RevisionContent["references"][number];
export type SectionContent = RevisionContent["sections"][number];
export type VariantContent = RevisionContent["variants"][number];

/** Variants in one order (audience, then summary first, then section order, then the disclaimer), whatever order they came in. */
export function sortedVariants(content: Pick<RevisionContent, "sections" | "variants">): VariantContent[] {
  const rank = new Map<string, number>(content.sections.map((s, i) => [s.key, i + 1]));
  rank.set(DISCLAIMER_PART, content.sections.length + 1);
  return [...content.variants].sort(
    (a, b) => (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0) || (a.sectionKey === null ? 0 : rank.get(a.sectionKey) ?? 0) - (b.sectionKey === null ? 0 : rank.get(b.sectionKey) ?? 0),
  );
}

/**
 * A section's content and nothing else (a stored section row has more), its fields in the order
 * the content hash reads them: changing the order changes every hash.
 */
export function contentOfSection(s: SectionContent): SectionContent {
  return { key: s.key, depth: s.depth, heading: s.heading, body: s.body };
}

/** A reference's content and nothing else, its fields in the order the content hash reads them. */
export function contentOfReference(r: ReferenceContent): ReferenceContent {
  return {
    key: r.key, type: r.type, title: r.title, authors: r.authors, source: r.source, year: r.year,
    doi: r.doi, pmid: r.pmid, url: r.url, detailsMissing: r.detailsMissing, note: r.note,
  };
}

/** Fields in a fixed order, so the same content always gives the same hash. */
function canonical(content: RevisionContent) {
  return {
    title: content.title,
    summaryHeading: content.summaryHeading,
    summary: content.summary,
    lastUpdated: content.lastUpdated,
    disclaimerHeading: content.disclaimerHeading,
    disclaimer: content.disclaimer,
    sections: content.sections.map(contentOfSection),
    references: content.references.map(contentOfReference),
    // Only present when there are variants, so revisions written before variants existed
    // keep the hash their signatures were made on.
    ...(content.variants.length
      ? { variants: sortedVariants(content).map((v) => ({ audience: v.audience, sectionKey: v.sectionKey, body: v.body })) }
      : {}),
    // Likewise only with figures. Each figure's image is its hash: replacing an image, or changing
    // any of its texts, changes the content hash and so voids the signatures made on it.
    ...(content.figures.length
      ? {
          figures: content.figures.map((f) => ({
            key: f.key, sectionKey: f.sectionKey, image: f.image, decorative: f.decorative, alt: f.alt, caption: f.caption,
            credit: f.credit, licence: f.licence, referenceKey: f.referenceKey,
            variants: [...f.variants].sort((a, b) => (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0)).map((v) => ({ audience: v.audience, alt: v.alt, caption: v.caption })),
          })),
        }
      : {}),
  };
}

/** SHA-256 of the canonical content: what an approval signature is bound to. */
export function contentHash(content: RevisionContent): string {
  return createHash("sha256").update(JSON.stringify(canonical(content))).digest("hex");
}

export function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/^(what|which|how|when|why|who) (are|is|do|does|should|can) (the )?/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
}

/** A short name for the part a variant rewrites, for citation checks, diffs and history. */
export function variantPartName(v: Pick<VariantContent, "sectionKey">, headingOf: (key: string) => string | undefined): string {
  if (v.sectionKey === null) return "the summary";
  if (v.sectionKey === DISCLAIMER_PART) return "the disclaimer";
  return `section “${headingOf(v.sectionKey) ?? v.sectionKey}”`;
}

/**
 * The content one audience reads: its variants in place of the summary, sections and
 * disclaimer they rewrite. `asWritten` lists the parts shown as written for professionals
 * (section keys; null for the summary), which the page marks as such. Without a version of
 * the disclaimer, another audience reads the standard reader disclaimer (`disclaimerIsDefault`),
 * never the professional one.
 */
export function contentForAudience(content: RevisionContent, audience: string | null): { content: RevisionContent; asWritten: (string | null)[]; disclaimerIsDefault: boolean } {
  if (audience === null) return { content, asWritten: [], disclaimerIsDefault: false };
  const variantOf = (sectionKey: string | null) => content.variants.find((v) => v.audience === audience && v.sectionKey === sectionKey)?.body;
  const asWritten: (string | null)[] = [];
  const summary = variantOf(null);
  if (summary === undefined) asWritten.push(null);
  const sections = content.sections.map((s) => {
    const body = variantOf(s.key);
    // An empty section (a heading over subsections) has nothing to rewrite.
    if (body === undefined && s.body.trim() !== "") asWritten.push(s.key);
    return body === undefined ? s : { ...s, body };
  });
  const disclaimer = variantOf(DISCLAIMER_PART);
  const figures = content.figures.map((f) => {
    const own = f.variants.find((v) => v.audience === audience);
    return own ? { ...f, alt: own.alt || f.alt, caption: own.caption || f.caption } : f;
  });
  return {
    content: {
      ...content, summary: summary ?? content.summary, sections, figures,
      // The heading names the professional audience ("Professional Medical Disclaimer"): a reader of
      // another version gets the plain heading with either its version or the standard wording.
      disclaimerHeading: READER_DISCLAIMER_DEFAULT.heading,
      disclaimer: disclaimer ?? READER_DISCLAIMER_DEFAULT.text,
    },
    asWritten,
    disclaimerIsDefault: disclaimer === undefined,
  };
}
