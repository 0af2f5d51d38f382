// Figures as a page shows them: numbered in reading order, placed where the text puts
// [[figure:<key>]] (or at the end of their section), each a <figure> with a <picture> offering
// AVIF and WebP renditions and a JPEG or PNG fallback, width and height (no layout shift) and a
// <figcaption> with the number, the caption (citations numbered like the text), the source
// reference, the credit and the licence.
import { FIGURE_TOKEN_LINE, figureTokens, type FigureContent, type RevisionContent } from "./revision-content.js";
import { renditionFile, renditionFormats, renditionHeight, renditionWidths, contentTypeOf, type ImageInfo } from "./images.js";

/** What a renderer needs to know of a stored image. */
export interface MediaInfo extends ImageInfo {
  /** The image's bytes were deleted (only staff can meet such a figure: public ones cannot be deleted). */
  deleted: boolean;
}

/** Where a page's images are fetched from: the public address, the staff one, or a preview link's. */
export interface FigureRenderOptions {
  media?: ReadonlyMap<string, MediaInfo>;
  /** "/media" (public), "/editor/media" (staff) or "/preview/<token>/media". */
  mediaBase?: string;
}

export const PUBLIC_MEDIA_BASE = "/media";

/** The page's column is at most 60rem wide, less its padding. */
const SIZES = "(min-width: 60rem) 57rem, 100vw";

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The figures of one section: placed ones in the order the text places them, then the others. */
export function sectionFigures(body: string, sectionKey: string, figures: readonly FigureContent[]): { placed: FigureContent[]; unplaced: FigureContent[] } {
  const own = figures.filter((f) => f.sectionKey === sectionKey);
  const byKey = new Map(own.map((f) => [f.key, f]));
  const placed: FigureContent[] = [];
  for (const key of figureTokens(body)) {
    const figure = byKey.get(key);
    if (figure && !placed.includes(figure)) placed.push(figure);
  }
  return { placed, unplaced: own.filter((f) => !placed.includes(f)) };
}

/** A figure's caption as text that cites: its caption, then its source reference. */
function captionCitations(figure: FigureContent): string {
  return [figure.caption, figure.referenceKey ? `[@${figure.referenceKey}]` : ""].filter(Boolean).join(" ");
}

/**
 * A section's text with each figure line replaced by the figure's caption (and source), and
 * the captions of figures not placed in the text after it: citations are numbered, and checked,
 * in the order a reader meets them.
 */
export function textWithCaptions(body: string, sectionKey: string, figures: readonly FigureContent[]): string {
  const own = figures.filter((f) => f.sectionKey === sectionKey);
  if (!own.length) return body;
  const byKey = new Map(own.map((f) => [f.key, f]));
  const { unplaced } = sectionFigures(body, sectionKey, own);
  const replaced = body.replace(FIGURE_TOKEN_LINE, (_line, key: string) => {
    const figure = byKey.get(key);
    return figure ? `\n${captionCitations(figure)}\n` : "";
  });
  return [replaced, ...unplaced.map(captionCitations)].filter((t) => t.trim() !== "").join("\n\n");
}

/** Figure numbers are the revision's, in reading order of the text as written (the same on every version). */
export function figureNumbering(revision: Pick<RevisionContent, "sections" | "figures">): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const section of revision.sections) {
    const { placed, unplaced } = sectionFigures(section.body, section.key, revision.figures);
    for (const f of [...placed, ...unplaced]) numbers.set(f.key, numbers.size + 1);
  }
  return numbers;
}

export interface RenderedFigure {
  key: string;
  sectionKey: string;
  number: number;
  image: string;
  alt: string;
  decorative: boolean;
  caption: string;
  captionHtml: string;
  credit: string;
  licence: string;
  referenceKey: string | null;
  referenceNumber: number | null;
  /** Intrinsic size of the largest rendition (null when the image is not available). */
  width: number | null;
  height: number | null;
  /** The largest fallback rendition's address (null when not available). */
  src: string | null;
  html: string;
}

export function mediaUrl(base: string, hash: string, width: number, format: ImageInfo["format"]) {
  return `${base}/${renditionFile(hash, width, format)}`;
}

/** Every rendition address of an image: what a page links to, and what the static export writes. */
export function renditionsOf(hash: string, info: ImageInfo): { width: number; format: ImageInfo["format"] }[] {
  return renditionWidths(info.width).flatMap((width) => renditionFormats(info).map((format) => ({ width, format })));
}

export function renderFigure(
  figure: FigureContent,
  options: { number: number; captionHtml: string; referenceNumber: number | null; lazy: boolean } & FigureRenderOptions,
): RenderedFigure {
  const info = options.media?.get(figure.image);
  const base = options.mediaBase ?? PUBLIC_MEDIA_BASE;
  const id = `figure-${escapeHtml(figure.key)}`;
  const parts = [`<span class="figure-number">Figure ${options.number}.</span>`];
  if (options.captionHtml) parts.push(` ${options.captionHtml}`);
  if (options.referenceNumber !== null) parts.push(` <span class="figure-source">Source: <a href="#ref-${options.referenceNumber}">reference ${options.referenceNumber}</a>.</span>`);
  if (figure.credit) parts.push(` <span class="figure-credit">Credit: ${escapeHtml(figure.credit)}.</span>`);
  if (figure.licence) parts.push(` <span class="figure-licence">Licence: ${escapeHtml(figure.licence)}.</span>`);
  const caption = `<figcaption>${parts.join("")}</figcaption>`;
  let picture: string;
  let width: number | null = null;
  let height: number | null = null;
  let src: string | null = null;
  if (!info || info.deleted) {
    picture = `<p class="figure-unavailable">${info?.deleted ? "This image was deleted; choose another image for this figure." : "This image is not available."}</p>`;
  } else {
    const widths = renditionWidths(info.width);
    const formats = renditionFormats(info);
    const fallback = formats[formats.length - 1]!;
    const srcset = (format: ImageInfo["format"]) => widths.map((w) => `${mediaUrl(base, figure.image, w, format)} ${w}w`).join(", ");
    width = widths[widths.length - 1]!;
    height = renditionHeight(info, width);
    src = mediaUrl(base, figure.image, width, fallback);
    const sources = formats.slice(0, -1).map((format) => `<source type="${contentTypeOf[format]}" srcset="${srcset(format)}" sizes="${SIZES}">`).join("");
    const middle = widths.find((w) => w >= 960) ?? width;
    picture =
      `<picture>${sources}<img src="${mediaUrl(base, figure.image, middle, fallback)}" srcset="${srcset(fallback)}" sizes="${SIZES}" ` +
      `width="${width}" height="${height}" alt="${escapeHtml(figure.alt)}"${options.lazy ? ` loading="lazy"` : ""} decoding="async"></picture>`;
  }
  return {
    key: figure.key, sectionKey: figure.sectionKey, number: options.number, image: figure.image, alt: figure.alt, decorative: figure.decorative,
    caption: figure.caption, captionHtml: options.captionHtml, credit: figure.credit, licence: figure.licence, referenceKey: figure.referenceKey,
    referenceNumber: options.referenceNumber, width, height, src,
    html: `<figure class="figure" id="${id}">${picture}\n${caption}</figure>\n`,
  };
}
