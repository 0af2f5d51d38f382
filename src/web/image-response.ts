// Sends one image rendition from a signed-in or preview route: private to whoever may see it
// (never stored by a shared cache), with the same content-addressed name as the public one.
import type { Response } from "express";
import { contentTypeOf, type ImageFormat } from "../content/images.js";

export function sendImage(res: Response, bytes: Buffer, format: ImageFormat) {
  res.setHeader("Cache-Control", "private, max-age=3600");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.type(contentTypeOf[format]).send(bytes);
}
