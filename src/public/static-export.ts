// Writes the public site as files that nginx or a CDN can serve: the very bytes the app
// serves (plus a .gz beside each for gzip_static). Every file is written to a temporary
// name (in a folder nginx never serves) and renamed, so a reader never sees half a page. With STATIC_EXPORT_DIR set,
// each committed change rewrites exactly the files it affects.
import { cp, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { Db } from "../db/database.js";
import { publicAssetsDir } from "../paths.js";
import { ALL, compressPage, type PageCache } from "./page-cache.js";
import { keyOf, tags, type PublicPageKey, type PublicSite } from "./public-site.js";
import { findImage, publicImageHashes } from "../services/editorial/index.js";
import { parseRenditionFile, renditionFile } from "../content/images.js";
import { renditionsOf } from "../content/figures.js";

/** Where a public page lives in the export (nginx: try_files $uri/index.html $uri). */
export function exportPath(page: PublicPageKey): string | null {
  switch (page.kind) {
    case "article":
      return `articles/${page.slug}/index.html`;
    case "index":
      // Later index pages have a query string: nginx passes those to the app.
      return page.after ? null : "articles/index.html";
    case "policy":
      return "editorial-policy/index.html";
    case "board":
      return "advisory-board/index.html";
    case "sitemap":
      return "sitemap.xml";
    case "robots":
      return "robots.txt";
    case "feed":
      return "feed.xml";
    case "media":
      return `media/${renditionFile(page.hash, page.width, page.format)}`;
  }
}

/**
 * Temporary files are written in a hidden folder inside the export (the same file system, so
 * the rename is atomic) that nginx refuses to serve, and named `<file>.tmp-<pid>-<random>`.
 * A process killed between write and rename leaves one behind; writeAll() removes them.
 */
export const TEMPORARY_DIR = ".tmp";
const TEMPORARY_NAME = /\.tmp-\d+-[0-9a-f]{8}$/;
/** Other processes (replicas sharing the export) may be writing right now: only older temporaries are stray. */
const STRAY_AFTER_MS = 60_000;

export class StaticExport {
  constructor(
    private readonly site: PublicSite,
    private readonly db: Db,
    private readonly dir: string,
  ) {}

  private async writeAtomically(file: string, data: Buffer) {
    const temporaryDir = path.join(this.dir, TEMPORARY_DIR);
    await mkdir(temporaryDir, { recursive: true });
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = path.join(temporaryDir, `${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
    await writeFile(temporary, data);
    await rename(temporary, file);
  }

  /**
   * Removes temporary files left by a process that died mid-write: only names matching the
   * export's own temporary pattern, only older than a minute, anywhere in the export (earlier
   * versions wrote them beside the pages). Returns how many were removed.
   */
  async removeStrayTemporaries(now = Date.now()): Promise<number> {
    let removed = 0;
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !TEMPORARY_NAME.test(entry.name)) continue;
      const file = path.join(entry.parentPath, entry.name);
      const info = await stat(file).catch(() => null);
      if (!info || now - info.mtimeMs < STRAY_AFTER_MS) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }

  /** Writes one page (and its .gz), or removes it when it is no longer public. Returns whether it exists. */
  async writePage(page: PublicPageKey): Promise<boolean> {
    const relative = exportPath(page);
    if (!relative) return false;
    const file = path.join(this.dir, relative);
    const rendered = await this.site.render(keyOf(page));
    if (!rendered) {
      await rm(file, { force: true });
      await rm(`${file}.gz`, { force: true });
      return false;
    }
    const compressed = compressPage(rendered);
    await this.writeAtomically(file, compressed.identity.body);
    if (!rendered.compressed) await this.writeAtomically(`${file}.gz`, compressed.gzip.body);
    return true;
  }

  /**
   * Every rendition of every image a public revision shows, under media/ (names are the bytes'
   * hash: a file already written is never written again), and no other image.
   */
  async writeMedia(): Promise<number> {
    const dir = path.join(this.dir, "media");
    const existing = new Set(await readdir(dir).catch(() => [] as string[]));
    const wanted = new Set<string>();
    for (const hash of await publicImageHashes(this.db)) {
      const image = await findImage(this.db, hash);
      if (!image) continue;
      for (const { width, format } of renditionsOf(hash, image)) {
        const name = renditionFile(hash, width, format);
        wanted.add(name);
        if (!existing.has(name)) await this.writePage({ kind: "media", hash, width, format });
      }
    }
    for (const name of existing) if (parseRenditionFile(name) && !wanted.has(name)) await rm(path.join(dir, name), { force: true });
    return wanted.size;
  }

  private async writeLists() {
    for (const kind of ["index", "sitemap", "feed"] as const) await this.writePage({ kind });
  }

  /** Every public page, the site's assets, and no article that is no longer public. */
  async writeAll(): Promise<{ pages: number }> {
    await mkdir(this.dir, { recursive: true });
    await this.removeStrayTemporaries();
    await cp(publicAssetsDir, path.join(this.dir, "static"), { recursive: true });
    let pages = 0;
    for (const kind of ["policy", "board", "robots"] as const) if (await this.writePage({ kind })) pages++;
    await this.writeLists();
    pages += 3;
    const articles = await this.db.article.findMany({ select: { slug: true } });
    const live = new Set<string>();
    for (const { slug } of articles) if (await this.writePage({ kind: "article", slug })) live.add(slug);
    pages += live.size;
    await this.writeMedia();
    const existing = await readdir(path.join(this.dir, "articles"), { withFileTypes: true }).catch(() => []);
    for (const entry of existing) {
      if (entry.isDirectory() && !live.has(entry.name)) await rm(path.join(this.dir, "articles", entry.name), { recursive: true, force: true });
    }
    return { pages };
  }

  /** Rewrites what a change touched: the article's page (under its current and former address), lists, board. */
  async writeChanged(changed: string[]) {
    if (changed.includes(ALL)) {
      await this.writeAll();
      return;
    }
    for (const tag of changed) {
      if (tag.startsWith("article:")) {
        const article = await this.db.article.findUnique({ where: { id: tag.slice("article:".length) }, select: { slug: true } });
        if (article) await this.writePage({ kind: "article", slug: article.slug });
      } else if (tag.startsWith("slug:")) {
        await this.writePage({ kind: "article", slug: tag.slice("slug:".length) });
      }
    }
    if (changed.some((t) => t.startsWith("article:"))) {
      await this.removeFormerAddresses();
      // A publication can make images public, an unpublication can make them private again.
      await this.writeMedia();
    }
    if (changed.includes(tags.lists)) await this.writeLists();
    if (changed.includes(tags.board)) await this.writePage({ kind: "board" });
  }

  /** After an address change, the old folder must go: drop folders no public article owns. */
  private async removeFormerAddresses() {
    const existing = await readdir(path.join(this.dir, "articles"), { withFileTypes: true }).catch(() => []);
    const folders = existing.filter((e) => e.isDirectory()).map((e) => e.name);
    if (!folders.length) return;
    const owned = new Set((await this.db.article.findMany({ where: { slug: { in: folders } }, select: { slug: true } })).map((a) => a.slug));
    for (const folder of folders) {
      if (!owned.has(folder)) await rm(path.join(this.dir, "articles", folder), { recursive: true, force: true });
    }
  }

  /** Keeps the export current as the cache is invalidated; changes are applied one batch at a time. */
  follow(cache: PageCache, log: (message: string) => void) {
    let pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    let chain: Promise<void> = Promise.resolve();
    const flush = () => {
      timer = undefined;
      const batch = [...pending];
      pending = new Set();
      chain = chain.then(() => this.writeChanged(batch)).catch((error) => log(`Static export could not be updated: ${(error as Error).message}`));
    };
    const unsubscribe = cache.onInvalidate((changed) => {
      for (const tag of changed) pending.add(tag);
      timer ??= setTimeout(flush, 50);
    });
    return {
      /** Resolves once every change seen so far is written. */
      idle: () => new Promise<void>((resolve) => setTimeout(() => void chain.then(resolve), 60)),
      stop: () => {
        unsubscribe();
      },
    };
  }
}
