// multipart/form-data for the staff forms that upload images (the article editor), parsed with
// busboy into the same nested body the urlencoded parser gives (qs), plus the files in memory.
// Only for signed-in staff and only on the paths given: nobody without an account can make the
// server hold a 10 MB body. A file over the size limit is kept as "too large" (its bytes dropped),
// so the form comes back with the reason and everything typed, never a bare 413 page.
import busboy from "busboy";
import qs from "qs";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors.js";
import { rejectUnstorableText } from "./security.js";

export interface UploadedFile {
  /** The form field, e.g. "figures[2][file]". */
  field: string;
  /** The file's name as the browser sent it (never trusted for its type). */
  name: string;
  bytes: Buffer;
  /** More than the limit: `bytes` holds only its first part. */
  tooLarge: boolean;
  /** How many bytes arrived (up to the limit and one chunk past it). */
  size: number;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Files of a multipart staff form (src/web/multipart.ts). */
      uploads?: UploadedFile[];
    }
  }
}

export interface MultipartOptions {
  maxFileBytes: number;
  maxFiles: number;
  /** Paths (req.path) whose forms may be multipart. */
  paths: RegExp;
}

export function multipartForms(options: MultipartOptions) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== "POST" || !req.is("multipart/form-data")) return next();
    if (!req.user || !options.paths.test(req.path)) return next(new AppError("BAD_REQUEST", "This form cannot send files. Reload the page and try again."));
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: options.maxFileBytes, files: options.maxFiles, fields: 20_000, fieldSize: 256 * 1024, parts: 20_000 + options.maxFiles },
        defParamCharset: "utf8",
      });
    } catch {
      return next(new AppError("BAD_REQUEST", "The form could not be read. Reload the page and try again."));
    }
    let finished = false;
    const finish = (error?: AppError) => {
      if (finished) return;
      finished = true;
      if (error) {
        req.unpipe(parser);
        req.resume();
        return next(error);
      }
      // The same nesting rules as the urlencoded parser (sections[0][body] and so on).
      req.body = qs.parse(pairs.join("&"), { depth: 8, parameterLimit: 20_000, arrayLimit: 1000, allowPrototypes: false });
      req.uploads = uploads;
      rejectUnstorableText(req, _res, next);
    };
    const pairs: string[] = [];
    const uploads: UploadedFile[] = [];
    let refusal: AppError | null = null;
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) refusal ??= new AppError("BAD_REQUEST", `The field ${name.slice(0, 60)} is too long.`);
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    });
    parser.on("file", (field, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on("end", () => {
        // A file input left empty still sends a part, with no name and no bytes: not an upload.
        if (!info.filename && size === 0) return;
        uploads.push({ field, name: (info.filename ?? "").slice(0, 200), bytes: Buffer.concat(chunks), tooLarge: stream.truncated === true, size });
      });
    });
    parser.on("filesLimit", () => {
      refusal ??= new AppError("BAD_REQUEST", `Upload at most ${options.maxFiles} images at a time.`);
    });
    parser.on("partsLimit", () => {
      refusal ??= new AppError("BAD_REQUEST", "The form has too many fields.");
    });
    parser.on("fieldsLimit", () => {
      refusal ??= new AppError("BAD_REQUEST", "The form has too many fields.");
    });
    parser.on("error", () => finish(new AppError("BAD_REQUEST", "The form could not be read to its end (the upload was interrupted?). Try again.")));
    parser.on("close", () => finish(refusal ?? undefined));
    req.pipe(parser);
  };
}
