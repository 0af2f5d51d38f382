// The public site as data: which addresses are public pages, how each is rendered
// (database, Markdown, signatures, template: once per change), and which changes
// replace it (its tags). Anonymous readers get these pages from the PageCache; signed-in
// staff get the same renderer with their own header, uncached.
import type { Express } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import { findPublicArticle, listAllPublicArticles, listPublicArticlesPage, audienceList, imageRendition, publicArticlesShowing } from "../services/editorial/index.js";
import { contentTypeOf, parseRenditionFile, renditionFile, type ImageFormat } from "../content/images.js";
import { listBoardMembers } from "../services/people/index.js";
import { audienceSlugPattern } from "../content/revision-content.js";
import { publicArticleView } from "../services/publishing/index.js";
import { ALL, type RenderedPage } from "./page-cache.js";
import { articleJsonLd, boardMemberAnchor, scriptJson, type Site } from "./structured-data.js";

export const SITE_NAME = "Clinical Answers";
export const INDEX_PAGE_SIZE = 50;
/**
 * Browsers revalidate on every view (a 304 from memory costs next to nothing), so a reader
 * never sees a retracted or corrected page from their own cache; shared caches (a CDN) may keep
 * a page for a minute (s-maxage), and CDNs that read CDN-Cache-Control (RFC 9213) may also serve
 * it stale for ten minutes while they revalidate.
 */
export const PUBLIC_CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=60";
/**
 * Image addresses name their bytes (SHA-256), so a browser may keep them for a year. The
 * CDN-Cache-Control of every public response still lets shared caches keep them only a minute:
 * an image that stops being public (unpublished, replaced) leaves CDNs as quickly as its page.
 */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";
export { CDN_CACHE_CONTROL } from "./page-cache.js";

/** How long an article page is served before its signatures are verified again. */
export const SIGNATURE_RECHECK_MS = 10 * 60_000;

const slugSchema = z.string().regex(/^[a-z0-9-]{1,120}$/);
const audienceParam = z.string().regex(audienceSlugPattern);

/** The cookie that remembers a reader's audience: only a default for the selector, never part of a cache key. */
export const AUDIENCE_COOKIE = "reader_audience";

export type PublicPageKey =
  | { kind: "article"; slug: string; audience?: string }
  | { kind: "index"; after?: string }
  | { kind: "policy" }
  | { kind: "board" }
  | { kind: "sitemap" }
  | { kind: "robots" }
  | { kind: "feed" }
  | { kind: "media"; hash: string; width: number; format: ImageFormat };

/** The cache key of a public page address, or null when the address is not one (or is malformed). */
export function publicPageKey(path: string, query: Record<string, unknown>): string | null {
  const parsed = parsePublicPath(path, query);
  return parsed ? keyOf(parsed) : null;
}

export function parsePublicPath(path: string, query: Record<string, unknown>): PublicPageKey | null {
  switch (path) {
    case "/articles": {
      if (query.after === undefined) return Object.keys(query).length ? null : { kind: "index" };
      const after = slugSchema.safeParse(query.after);
      return after.success && Object.keys(query).length === 1 ? { kind: "index", after: after.data } : null;
    }
    case "/editorial-policy":
      return { kind: "policy" };
    case "/advisory-board":
      return { kind: "board" };
    case "/sitemap.xml":
      return { kind: "sitemap" };
    case "/robots.txt":
      return { kind: "robots" };
    case "/feed.xml":
      return { kind: "feed" };
  }
  if (path.startsWith("/media/")) {
    // Content-addressed: no query string makes another version of an image.
    const file = parseRenditionFile(path.slice("/media/".length));
    return file ? { kind: "media", ...file } : null;
  }
  const match = /^\/articles\/([^/]+)$/.exec(path);
  if (!match) return null;
  // Query strings (tracking parameters and the like) do not make another version of an
  // article; only ?for=<audience> does (one cached page per audience version).
  const slug = slugSchema.safeParse(match[1]);
  if (!slug.success) return null;
  if (query.for === undefined) return { kind: "article", slug: slug.data };
  const audience = audienceParam.safeParse(query.for);
  return audience.success ? { kind: "article", slug: slug.data, audience: audience.data } : null;
}

export function keyOf(page: PublicPageKey): string {
  switch (page.kind) {
    case "article":
      return page.audience ? `/articles/${page.slug}?for=${page.audience}` : `/articles/${page.slug}`;
    case "index":
      return page.after ? `/articles?after=${page.after}` : "/articles";
    case "policy":
      return "/editorial-policy";
    case "board":
      return "/advisory-board";
    case "sitemap":
      return "/sitemap.xml";
    case "robots":
      return "/robots.txt";
    case "feed":
      return "/feed.xml";
    case "media":
      return `/media/${renditionFile(page.hash, page.width, page.format)}`;
  }
}

/** Tags a change to an article, the board or everything invalidates. */
export const tags = {
  article: (id: string) => `article:${id}`,
  media: (hash: string) => `media:${hash}`,
  slug: (slug: string) => `slug:${slug}`,
  lists: "lists",
  board: "board",
  all: ALL,
};

export interface Viewer {
  currentUser: unknown;
  csrfToken: () => string;
}

const anonymous: Viewer = { currentUser: null, csrfToken: () => "" };

function escapeXml(text: string) {
  return text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}

function plainText(markdown: string, max = 300) {
  const text = markdown
    .replace(/\[@[^\]]*\]/g, "")
    .replace(/[*_`#>]/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max - 1).replace(/\s+\S*$/, "")}…` : text;
}

function maxDate(dates: Date[], fallback: Date) {
  return dates.length ? new Date(Math.max(...dates.map((d) => d.getTime()))) : fallback;
}

/** Midnight UTC of the day after `date`: when a due date becomes overdue. */
function dayAfter(isoDay: string) {
  return Date.parse(`${isoDay}T00:00:00Z`) + 24 * 3600_000;
}

export class PublicSite {
  readonly site: Site;

  constructor(
    private readonly app: Express,
    private readonly db: Db,
    config: Pick<Config, "publicUrl">,
  ) {
    this.site = { name: SITE_NAME, baseUrl: config.publicUrl };
  }

  private view(name: string, locals: Record<string, unknown>, viewer: Viewer, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.app.render(name, { ...locals, ...viewer, currentPath: path }, (error, html) => (error ? reject(error) : resolve(html)));
    });
  }

  /** Renders a public page for the cache (anonymous) or for a signed-in viewer. */
  async render(key: string, viewer: Viewer = anonymous): Promise<RenderedPage | null> {
    const url = new URL(key, "http://x");
    const page = parsePublicPath(url.pathname, Object.fromEntries(url.searchParams));
    if (!page) return null;
    switch (page.kind) {
      case "article":
        return this.renderArticle(page.slug, page.audience ?? null, viewer);
      case "index":
        return this.renderIndex(page.after, viewer);
      case "policy":
        return this.html(await this.view("editorial-policy", { title: "Editorial policy", meta: this.meta("/editorial-policy", "How Clinical Answers articles are written, cited and medically reviewed.") }, viewer, key), new Date(0), []);
      case "board": {
        const members = await listBoardMembers(this.db);
        const locals = { title: "Medical Advisory Board", members: members.map((m) => ({ ...m, anchor: boardMemberAnchor(m.id) })), meta: this.meta("/advisory-board", "The physicians and pharmacists who review every article.") };
        return this.html(await this.view("advisory-board", locals, viewer, key), new Date(0), [tags.board]);
      }
      case "sitemap":
        return this.renderSitemap();
      case "robots":
        return {
          contentType: "text/plain; charset=utf-8",
          body: Buffer.from(`User-agent: *\nDisallow: /editor\nDisallow: /admin\nDisallow: /login\nSitemap: ${this.site.baseUrl}/sitemap.xml\n`),
          lastModified: new Date(0),
          cacheControl: PUBLIC_CACHE_CONTROL,
          tags: [],
        };
      case "feed":
        return this.renderFeed();
      case "media":
        return this.renderMedia(page.hash, page.width, page.format);
    }
  }

  /**
   * One rendition of an image that a public revision shows (findPublicArticle's rule); none for
   * any other image, whoever asks at this address (staff use /editor/media, preview links their own).
   * Tagged with the articles that show it: a change to any of them drops it from the cache.
   */
  private async renderMedia(hash: string, width: number, format: ImageFormat): Promise<RenderedPage | null> {
    const articles = await publicArticlesShowing(this.db, hash);
    if (!articles.length) return null;
    const rendition = await imageRendition(this.db, hash, width, format);
    if (!rendition) return null;
    return {
      contentType: contentTypeOf[format],
      body: rendition.bytes,
      lastModified: rendition.image.createdAt,
      cacheControl: IMMUTABLE_CACHE_CONTROL,
      tags: [...articles.map((a) => tags.article(a.id)), tags.media(hash)],
      compressed: true,
    };
  }

  private html(html: string, lastModified: Date, pageTags: string[], extra: Partial<RenderedPage> = {}): RenderedPage {
    return {
      contentType: "text/html; charset=utf-8",
      body: Buffer.from(html),
      // Pages without a content date count from when this process rendered them.
      lastModified: lastModified.getTime() > 0 ? lastModified : new Date(),
      cacheControl: PUBLIC_CACHE_CONTROL,
      tags: pageTags,
      ...extra,
    };
  }

  private meta(path: string, description: string, extra: Record<string, unknown> = {}) {
    return { canonical: `${this.site.baseUrl}${path}`, description, siteName: this.site.name, ogType: "website", ...extra };
  }

  private async renderArticle(slug: string, audienceSlug: string | null, viewer: Viewer): Promise<RenderedPage | null> {
    const audiences = await audienceList(this.db);
    // An archived audience's address is not a page (the public route sends readers on to the article as written).
    const audience = audienceSlug === null ? audiences.defaultAudience : audiences.offered.find((a) => a.slug === audienceSlug);
    if (!audience) return null;
    const found = await findPublicArticle(this.db, slug);
    if (!found) return null;
    const reading = audience.isDefault ? null : { slug: audience.slug, name: audience.name, schemaAudienceType: audience.schemaAudienceType };
    const view = publicArticleView(found, reading);
    const basePath = `/articles/${found.article.slug}`;
    const path = audienceSlug === null ? basePath : `${basePath}?for=${audience.slug}`;
    // A version with text of its own is a page of its own; one that only repeats the
    // professional text (no variants yet) names the article as written as its canonical page.
    const ownVersion = !audience.isDefault && found.revision.variants.some((v) => v.audienceSlug === audience.slug);
    const canonicalPath = ownVersion ? path : basePath;
    const summary = (reading && found.revision.variants.find((v) => v.audienceSlug === reading.slug && v.sectionKey === null)?.body) || found.revision.summary;
    const description = plainText(summary, 200);
    const jsonLd = articleJsonLd(this.site, {
      found,
      canonicalUrl: `${this.site.baseUrl}${canonicalPath}`,
      description,
      references: view.rendered.references,
      figures: view.rendered.figures,
      reviewers: view.reviewedBy,
      audience: { audienceType: audience.schemaAudienceType, name: audience.name },
    });
    const meta = this.meta(canonicalPath, description, {
      ogType: "article",
      robots: found.pendingReview ? "noindex" : undefined,
      jsonLd: scriptJson(jsonLd),
    });
    const selector = {
      articleSlug: found.article.slug,
      audiences: audiences.offered.map((a) => ({ slug: a.slug, name: a.name, description: a.description })),
      current: audience.slug,
      cookieName: AUDIENCE_COOKIE,
    };
    const html = await this.view("article", { title: found.revision.title, ...view, selector, meta }, viewer, path);
    const lastModified = maxDate(
      [found.revision.publishedAt ?? found.revision.createdAt, ...found.revision.approvals.map((a) => a.signedAt)],
      found.revision.createdAt,
    );
    // The overdue notice appears the day after the due date: render again then. Pages are
    // also re-rendered every few minutes so signatures are re-checked against the stored
    // content even if a row were altered behind the application's back.
    const overdueAt = view.nextReviewDue && !view.reviewOverdue ? dayAfter(view.nextReviewDue) : Infinity;
    return this.html(html, lastModified, [tags.article(found.article.id), tags.slug(found.article.slug)], {
      robots: found.pendingReview ? "noindex" : undefined,
      expiresAt: Math.min(overdueAt, Date.now() + SIGNATURE_RECHECK_MS),
    });
  }

  private async renderIndex(after: string | undefined, viewer: Viewer): Promise<RenderedPage | null> {
    const page = await listPublicArticlesPage(this.db, { after, limit: INDEX_PAGE_SIZE });
    if (after && page.items.length === 0) return null;
    const html = await this.view(
      "articles-index",
      {
        title: "Clinical questions",
        articles: page.items,
        after: after ?? null,
        nextAfter: page.nextAfter,
        meta: this.meta(after ? `/articles?after=${after}` : "/articles", "Answers to clinical questions, written by editors and reviewed by our Medical Advisory Board.", {
          feed: `${this.site.baseUrl}/feed.xml`,
        }),
      },
      viewer,
      "/articles",
    );
    return this.html(html, maxDate(page.items.map((a) => a.changedAt), new Date()), [tags.lists]);
  }

  private async renderSitemap(): Promise<RenderedPage> {
    const articles = (await listAllPublicArticles(this.db)).filter((a) => !a.pendingReview);
    // Each audience version with text of its own has its own address.
    const versions = await this.db.$queryRaw<{ slug: string; audience: string }[]>`
      SELECT DISTINCT a.slug, v.audience_slug AS audience FROM article a
      JOIN content_variant v ON v.revision_id = a.published_revision_id
      JOIN audience au ON au.slug = v.audience_slug AND au.archived_at IS NULL
      ORDER BY a.slug, v.audience_slug`;
    const versionsOf = (slug: string) => versions.filter((v) => v.slug === slug).map((v) => v.audience);
    const url = (loc: string, lastmod?: Date) =>
      `  <url><loc>${escapeXml(loc)}</loc>${lastmod ? `<lastmod>${lastmod.toISOString()}</lastmod>` : ""}</url>\n`;
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n` +
      // With nothing published the index has no real modification date: say none rather than 1970.
      url(`${this.site.baseUrl}/articles`, articles.length ? maxDate(articles.map((a) => a.changedAt), new Date()) : undefined) +
      url(`${this.site.baseUrl}/editorial-policy`) +
      url(`${this.site.baseUrl}/advisory-board`) +
      articles
        .map((a) => url(`${this.site.baseUrl}/articles/${a.slug}`, a.changedAt) + versionsOf(a.slug).map((audience) => url(`${this.site.baseUrl}/articles/${a.slug}?for=${audience}`, a.changedAt)).join(""))
        .join("") +
      `</urlset>\n`;
    return { contentType: "application/xml; charset=utf-8", body: Buffer.from(body), lastModified: maxDate(articles.map((a) => a.changedAt), new Date()), cacheControl: PUBLIC_CACHE_CONTROL, tags: [tags.lists] };
  }

  private async renderFeed(): Promise<RenderedPage> {
    const visible = await listAllPublicArticles(this.db);
    const published = visible
      .filter((a) => !a.pendingReview)
      .sort((a, b) => b.changedAt.getTime() - a.changedAt.getTime())
      .slice(0, 50);
    // Atom requires a time. With nothing published yet it is the newest change readers can see
    // (an article shown while pending review), not 1970; it must not be the render's own time,
    // or the static export and the app would send different bytes for the same content.
    const updated = maxDate(published.map((a) => a.changedAt), maxDate(visible.map((a) => a.changedAt), new Date(0)));
    const base = this.site.baseUrl;
    const entries = published
      .map(
        (a) => `  <entry>
    <title>${escapeXml(a.title)}</title>
    <link rel="alternate" type="text/html" href="${escapeXml(`${base}/articles/${a.slug}`)}"/>
    <id>${escapeXml(`${base}/articles/${a.slug}`)}</id>
    <updated>${a.changedAt.toISOString()}</updated>
    <summary>${escapeXml(plainText(a.summary, 500))}</summary>
  </entry>
`,
      )
      .join("");
    const body = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>${escapeXml(this.site.name)}: published articles</title>
  <link rel="self" href="${escapeXml(`${base}/feed.xml`)}"/>
  <link rel="alternate" type="text/html" href="${escapeXml(`${base}/articles`)}"/>
  <id>${escapeXml(`${base}/feed.xml`)}</id>
  <updated>${updated.toISOString()}</updated>
${entries}</feed>
`;
    return { contentType: "application/atom+xml; charset=utf-8", body: Buffer.from(body), lastModified: updated.getTime() > 0 ? updated : new Date(), cacheControl: PUBLIC_CACHE_CONTROL, tags: [tags.lists] };
  }
}
