// Image processing for figures (decision 0037), with sharp (libvips). An upload is accepted by
// what its bytes are, never by its name or declared type: JPEG, PNG, WebP or AVIF only (no SVG:
// it can carry scripts). It is refused before decoding when its header announces more than
// MAX_MEGAPIXELS (a decompression bomb) or an impossible size, and refused when it cannot be read
// to its end. What is stored is the image re-encoded with its orientation applied and every piece
// of metadata (EXIF, GPS, XMP, IPTC, comments) left out: clinical photos can carry patient data.
// Readers get resized copies (renditions) in AVIF and WebP with a JPEG or PNG fallback.
import { createHash } from "node:crypto";
import type { Metadata, OutputInfo, SharpOptions, Sharp } from "sharp";

// sharp (libvips) is loaded when the first image is processed, not when the app starts:
// most requests never touch an image, and loading it costs a fifth of a second.
// It is loaded outside the try blocks below, so a library that fails to load is an error of the
// request, never reported to the uploader as a damaged image.
let loaded: Promise<typeof import("sharp")> | undefined;
async function loadSharp(): Promise<(input: Buffer, options: SharpOptions) => Sharp> {
  return (await (loaded ??= import("sharp"))).default;
}

export type ImageFormat = "jpeg" | "png" | "webp" | "avif";
export const imageFormats: readonly ImageFormat[] = ["jpeg", "png", "webp", "avif"];

/** A decoded image of more pixels than this is refused: a small file can expand to gigabytes. */
export const MAX_MEGAPIXELS = 50;
/** WebP's own limit; a side beyond it is no figure anyone reads. */
export const MAX_SIDE = 16_383;
/** The widths readers' browsers choose from (srcset); never wider than the stored image. */
export const RENDITION_WIDTHS = [480, 960, 1600] as const;

export const contentTypeOf: Record<ImageFormat, string> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp", avif: "image/avif" };
export const extensionOf: Record<ImageFormat, string> = { jpeg: "jpg", png: "png", webp: "webp", avif: "avif" };
export const formatOfExtension: Record<string, ImageFormat> = { jpg: "jpeg", png: "png", webp: "webp", avif: "avif" };
const formatNames: Record<ImageFormat, string> = { jpeg: "JPEG", png: "PNG", webp: "WebP", avif: "AVIF" };

/** Why an image was refused, as a sentence for the person who uploaded it. */
export class ImageRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageRefused";
  }
}

export interface ProcessedImage {
  /** SHA-256 (hex) of `bytes`: the image's address. */
  hash: string;
  format: ImageFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  /** The stored image: orientation applied, no metadata. */
  bytes: Buffer;
  /** Metadata the upload carried and the stored image does not (e.g. "EXIF", "GPS location"). */
  strippedMetadata: string[];
}

/** True when an EXIF block (as sharp returns it: "Exif\0\0" then TIFF) has a GPS directory. */
export function exifHasGps(exif: Buffer): boolean {
  const tiff = exif.subarray(exif.toString("latin1", 0, 4) === "Exif" ? 6 : 0);
  if (tiff.length < 8) return false;
  const little = tiff.toString("latin1", 0, 2) === "II";
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return false;
  const entries = u16(ifd);
  for (let i = 0; i < entries && ifd + 2 + i * 12 + 2 <= tiff.length; i++) if (u16(ifd + 2 + i * 12) === 0x8825) return true;
  return false;
}

function metadataFound(meta: Metadata): string[] {
  const found: string[] = [];
  if (meta.exif) found.push("EXIF");
  if (meta.exif && exifHasGps(meta.exif)) found.push("GPS location");
  if (meta.xmp) found.push("XMP");
  if (meta.iptc) found.push("IPTC");
  if (meta.comments?.length) found.push("comment");
  return found;
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** What the first bytes say the file is (its "magic number"); null when it is none of ours. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return "webp";
  if (b.length >= 16 && b.toString("latin1", 4, 8) === "ftyp") {
    // The major brand, then the compatible brands of the ftyp box.
    const boxSize = Math.min(b.readUInt32BE(0), b.length, 64);
    const brands: string[] = [b.toString("latin1", 8, 12)];
    for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(b.toString("latin1", at, at + 4));
    if (brands.some((brand) => brand === "avif" || brand === "avis")) return "avif";
  }
  return null;
}

/** What a refused file looks like, so the sentence can say what it is instead. */
function describeOther(bytes: Buffer): string {
  const head = bytes.toString("latin1", 0, Math.min(bytes.length, 512)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "an SVG drawing";
  if (head.startsWith("gif8")) return "a GIF image";
  if (head.startsWith("%pdf")) return "a PDF document";
  if (head.startsWith("<") ) return "an HTML or XML document";
  if (bytes.length >= 4 && (bytes.readUInt32BE(0) === 0x49492a00 || bytes.readUInt32BE(0) === 0x4d4d002a)) return "a TIFF image";
  if (bytes.length >= 12 && bytes.toString("latin1", 4, 8) === "ftyp") return "a HEIC photo or a video";
  if (bytes.length >= 2 && bytes.toString("latin1", 0, 2) === "PK") return "a ZIP archive or office document";
  return "something else";
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Checks and normalizes an uploaded image. Throws ImageRefused with a sentence naming the file
 * (`name`) for anything that is not a readable JPEG, PNG, WebP or AVIF image within the limits.
 */
export async function processUpload(input: Uint8Array, options: { name: string; maxBytes: number }): Promise<ProcessedImage> {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const named = options.name ? `“${options.name}”` : "The file";
  if (bytes.length === 0) throw new ImageRefused(`${named} is empty (0 bytes): choose the image file again.`);
  if (bytes.length > options.maxBytes) {
    throw new ImageRefused(`${named} is ${mb(bytes.length)}; images may be at most ${mb(options.maxBytes)}. Export it smaller and upload it again.`);
  }
  const format = sniffFormat(bytes);
  if (!format) {
    const what = describeOther(bytes);
    throw new ImageRefused(
      what === "an SVG drawing"
        ? `${named} is an SVG drawing: SVG files are not accepted (they can carry scripts). Export the drawing as PNG and upload that.`
        : `${named} is not a JPEG, PNG, WebP or AVIF image (its contents are ${what}, whatever its name says). Upload the image in one of those formats.`,
    );
  }
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageRefused(`${named} looks like a ${formatNames[format]} image but cannot be read: it is damaged or incomplete. Export it again and upload the new file.`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new ImageRefused(`${named} has no readable size: it is damaged or incomplete. Export it again and upload the new file.`);
  const megapixels = (width * height) / 1_000_000;
  if (megapixels > MAX_MEGAPIXELS) {
    throw new ImageRefused(
      `${named} is ${width.toLocaleString("en")} × ${height.toLocaleString("en")} pixels (${Math.round(megapixels).toLocaleString("en")} megapixels); images may have at most ${MAX_MEGAPIXELS} megapixels. Reduce it and upload it again.`,
    );
  }
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw new ImageRefused(`${named} is ${width.toLocaleString("en")} × ${height.toLocaleString("en")} pixels; a side may be at most ${MAX_SIDE.toLocaleString("en")} pixels. Reduce it and upload it again.`);
  }
  let output: { data: Buffer; info: OutputInfo };
  try {
    // failOn "truncated": a file cut short is refused rather than stored with a grey lower half.
    // autoOrient() applies the EXIF orientation; the output keeps no metadata at all.
    const pipeline = sharp(bytes, { limitInputPixels: MAX_MEGAPIXELS * 1_000_000, failOn: "truncated", animated: false }).autoOrient();
    const encoded =
      format === "jpeg" ? pipeline.jpeg({ quality: 90 })
      : format === "png" ? pipeline.png({ compressionLevel: 6 })
      : format === "webp" ? pipeline.webp({ quality: 90 })
      : pipeline.avif({ quality: 70, effort: 2 });
    output = await encoded.toBuffer({ resolveWithObject: true });
  } catch {
    throw new ImageRefused(`${named} is a damaged or incomplete ${formatNames[format]} image (it could not be read to its end). Export it again and upload the new file.`);
  }
  return {
    hash: sha256(output.data),
    format,
    width: output.info.width,
    height: output.info.height,
    hasAlpha: output.info.channels === 4 || output.info.channels === 2,
    bytes: output.data,
    strippedMetadata: metadataFound(meta),
  };
}

/**
 * Checks an image that arrives already processed (an article import): it must be one of ours,
 * within the limits and free of metadata, and hash to the address it claims.
 */
export async function checkStoredImage(bytes: Buffer, claimedHash: string, options: { maxBytes: number }): Promise<Omit<ProcessedImage, "bytes" | "hash" | "strippedMetadata">> {
  if (sha256(bytes) !== claimedHash) throw new ImageRefused(`The image ${claimedHash.slice(0, 12)}… does not match its hash: the file was changed or damaged. Export it again.`);
  const format = sniffFormat(bytes);
  if (!format || bytes.length > options.maxBytes) throw new ImageRefused(`The image ${claimedHash.slice(0, 12)}… is not a JPEG, PNG, WebP or AVIF image within the size limit.`);
  const sharp = await loadSharp();
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata().catch(() => null);
  if (!meta?.width || !meta.height || meta.width * meta.height > MAX_MEGAPIXELS * 1_000_000 || meta.width > MAX_SIDE || meta.height > MAX_SIDE) {
    throw new ImageRefused(`The image ${claimedHash.slice(0, 12)}… cannot be read or is too large.`);
  }
  if (meta.exif || meta.xmp || meta.iptc || (meta.orientation ?? 1) !== 1) {
    throw new ImageRefused(`The image ${claimedHash.slice(0, 12)}… carries metadata (EXIF, XMP or IPTC): only images processed by this system can be imported. Upload it through the editor instead.`);
  }
  return { format, width: meta.width, height: meta.height, hasAlpha: !!meta.hasAlpha };
}

export interface ImageInfo {
  width: number;
  height: number;
  format: ImageFormat;
  hasAlpha: boolean;
}

/** The fallback format for browsers without AVIF or WebP: PNG for drawings and transparency, else JPEG. */
export function fallbackFormat(image: Pick<ImageInfo, "format" | "hasAlpha">): ImageFormat {
  return image.format === "png" || image.hasAlpha ? "png" : "jpeg";
}

/** The formats a figure is offered in, best first; the last is the <img> fallback. */
export function renditionFormats(image: Pick<ImageInfo, "format" | "hasAlpha">): ImageFormat[] {
  return ["avif", "webp", fallbackFormat(image)];
}

/** The widths of an image's renditions: the standard ones narrower than it, and its own width up to the largest. */
export function renditionWidths(width: number): number[] {
  const largest = RENDITION_WIDTHS[RENDITION_WIDTHS.length - 1]!;
  return [...new Set([...RENDITION_WIDTHS.filter((w) => w < width), Math.min(width, largest)])].sort((a, b) => a - b);
}

export function renditionHeight(image: Pick<ImageInfo, "width" | "height">, width: number): number {
  return Math.max(1, Math.round((image.height * width) / image.width));
}

/** Resizes and re-encodes a stored image to one rendition (no metadata, as sharp writes by default). */
export async function renderRendition(stored: Buffer, width: number, format: ImageFormat): Promise<{ bytes: Buffer; width: number; height: number }> {
  const sharp = await loadSharp();
  const pipeline = sharp(stored, { limitInputPixels: MAX_MEGAPIXELS * 1_000_000 }).resize({ width, withoutEnlargement: true });
  const encoded =
    format === "avif" ? pipeline.avif({ quality: 55, effort: 2 })
    : format === "webp" ? pipeline.webp({ quality: 80 })
    : format === "png" ? pipeline.png({ compressionLevel: 9, adaptiveFiltering: true })
    : pipeline.jpeg({ quality: 82, progressive: true, mozjpeg: true });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { bytes: data, width: info.width, height: info.height };
}

/** `<hash>-<width>.<ext>`: a rendition's file name, the same in every address and in the static export. */
export function renditionFile(hash: string, width: number, format: ImageFormat): string {
  return `${hash}-${width}.${extensionOf[format]}`;
}

export const RENDITION_FILE = /^([0-9a-f]{64})-(\d{1,5})\.(jpg|png|webp|avif)$/;

export function parseRenditionFile(file: string): { hash: string; width: number; format: ImageFormat } | null {
  const m = RENDITION_FILE.exec(file);
  if (!m) return null;
  return { hash: m[1]!, width: Number(m[2]), format: formatOfExtension[m[3]!]! };
}
