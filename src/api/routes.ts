// The API's routes under /api/v1. Each parses its input with the schemas in
// ./schemas.ts (done by mountRoutes), calls one service, and shapes the answer.
// Permissions are the same as on the pages: the token's owner may do here exactly
// what they may do signed in, and no more; a token's scope can only narrow that.
import type { Db } from "../db/database.js";
import type { User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { createArticle, saveRevision, findRevision, findPublicArticle, exportArticle, importArticle, assertMayChooseSettings, uploadImage } from "../services/editorial/index.js";
import { applyTransition } from "../services/review/index.js";
import { decodeCursor, listPublishedArticles } from "../services/publishing/index.js";
import { searchAllRevisions, searchPublished } from "../services/readers/index.js";
import { slugify } from "../content/revision-content.js";
import { can, type Permission } from "../workflow/permissions.js";
import type { TransitionName } from "../workflow/transitions.js";
import { auditContext } from "../web/context.js";
import { defineRoute, type ApiRoute } from "./define.js";
import * as S from "./schemas.js";
import * as present from "./presenters.js";
import { askApiRoute } from "./ask.js";
import type { ReaderLimit } from "../routes/ask.js";

function permitted(user: User | undefined, permission: Permission, what: string): User {
  if (!user) throw new AppError("UNAUTHENTICATED", "This endpoint needs an API token.");
  if (!can(user, permission)) throw new AppError("FORBIDDEN", `Your role does not allow ${what}.`);
  return user;
}

export function apiRoutes(db: Db, options: { askLimit?: ReaderLimit; mediaMaxBytes?: number } = {}): ApiRoute[] {
  return [
    askApiRoute(db, { limit: options.askLimit }),
    // ---- public read API
    defineRoute({
      method: "get", path: "/v1/articles", operationId: "listArticles", tag: "Public", access: "public",
      summary: "List published articles",
      description: "Newest publication first. Follow `links.next` (or pass `after=<nextCursor>`) for the next page.",
      query: S.listQuery,
      responses: { 200: { description: "A page of published articles", schema: S.articleListSchema } },
      handler: async ({ query }) => {
        const page = await listPublishedArticles(db, { limit: query.limit, after: query.after ? decodeCursor(query.after) : undefined });
        return {
          body: {
            articles: page.articles.map((a) => ({ ...a, links: present.articleLinks(a.slug) })),
            nextCursor: page.nextCursor,
            links: { next: page.nextCursor ? `/api/v1/articles?limit=${query.limit}&after=${page.nextCursor}` : null },
          },
        };
      },
    }),
    defineRoute({
      method: "get", path: "/v1/articles/:slug", operationId: "getArticle", tag: "Public", access: "public",
      summary: "Read a published article",
      description: "What the public page shows, as structured data: sections (Markdown and HTML), citations, references, reviewers and review dates. " +
        "As on the page, an article marked visible while pending review is shown with `pendingReview: true` until a revision is published.",
      params: S.slugParams,
      responses: { 200: { description: "The article", schema: S.articleDetailSchema } },
      handler: async ({ params }) => {
        const found = await findPublicArticle(db, params.slug);
        if (!found) throw new AppError("NOT_FOUND", "There is no published article at this address.");
        return { body: present.publicArticle(found) };
      },
    }),
    defineRoute({
      method: "get", path: "/v1/search", operationId: "search", tag: "Search", access: "optional",
      summary: "Search articles",
      description: "Without a token: exactly what the public article pages show (including references' titles): each article's published revision, or, " +
        "for an article marked visible while pending review with nothing published, its revision under review, marked `pendingReview: true`. With a token (read scope): every revision its owner may see, " +
        "one result per article, and references by DOI or PMID.",
      query: S.searchQuery,
      responses: { 200: { description: "Ranked results with highlighted snippets", schema: S.searchResultsSchema } },
      handler: async ({ query, user, req }) => {
        const staff = !!user && !!req.apiToken?.scopes.includes("read");
        const hits = staff ? await searchAllRevisions(db, query.q, query.limit) : await searchPublished(db, query.q, query.limit);
        return {
          body: {
            query: query.q,
            scope: staff ? "staff" : "public",
            results: hits.map((h) => ({
              slug: h.slug, title: h.title, rank: h.rank, snippet: h.snippet, snippetHtml: h.snippetHtml,
              ...(staff ? {} : { pendingReview: h.pendingReview }),
              ...(staff ? { articleId: h.articleId, revisionNumber: h.revisionNumber, state: h.state, matchedReference: h.matchedReference } : {}),
              links: { html: staff ? `/editor/articles/${h.articleId}` : `/articles/${h.slug}` },
            })),
          },
        };
      },
    }),

    // ---- editorial API
    defineRoute({
      method: "post", path: "/v1/editorial/articles", operationId: "createArticle", tag: "Editorial", access: "write",
      summary: "Create an article",
      description: "Its first revision is a Draft written by the token's owner. The article settings (visibleWhilePending, approvalsRequired, nextReviewDue) " +
        "may be chosen only by admins, as on the settings page: anyone else gets 403 naming the field unless the value is the default. " +
        "A variant for an unknown, archived or the default audience is refused with 400 naming `content.variants.N.audience`.",
      body: S.createArticleBody, refusals: [403, 409],
      responses: { 201: { description: "The new article", schema: S.editorialArticleSchema } },
      handler: async ({ body, user, req }) => {
        const author = permitted(user, "article.create", "creating articles");
        const slug = body.slug || slugify(body.content.title);
        if (!slug) throw new AppError("BAD_REQUEST", "Choose an address (slug) for the article.", { fieldErrors: { slug: "required" } });
        const settings = { visibleWhilePending: body.visibleWhilePending, approvalsRequired: body.approvalsRequired, nextReviewDue: body.nextReviewDue };
        assertMayChooseSettings(author, settings);
        const { article } = await createArticle(db, auditContext(req), { slug, content: body.content, authorId: author.id, contentField: "content.", ...settings });
        return { status: 201, body: await present.editorialArticle(db, author, article.id) };
      },
    }),
    defineRoute({
      method: "get", path: "/v1/editorial/articles/:id", operationId: "getEditorialArticle", tag: "Editorial", access: "read",
      summary: "An article's revisions, state and the workflow steps you may take",
      params: S.articleIdParams,
      responses: { 200: { description: "The article", schema: S.editorialArticleSchema } },
      handler: async ({ params, user }) => ({ body: await present.editorialArticle(db, user!, params.id) }),
    }),
    defineRoute({
      method: "get", path: "/v1/editorial/articles/:id/revisions/:number", operationId: "getRevision", tag: "Editorial", access: "read",
      summary: "Read any revision of an article",
      params: S.revisionParams,
      responses: { 200: { description: "The revision and its content", schema: S.revisionSchema } },
      handler: async ({ params }) => {
        const row = await db.revision.findUnique({ where: { articleId_number: { articleId: params.id, number: params.number } }, select: { id: true } });
        const found = row ? await findRevision(db, row.id) : null;
        if (!found) throw new AppError("NOT_FOUND", "That revision does not exist.");
        return { body: present.revision(found) };
      },
    }),
    defineRoute({
      method: "post", path: "/v1/editorial/articles/:id/revisions", operationId: "saveRevision", tag: "Editorial", access: "write",
      summary: "Save a new revision",
      description: "Every save is a new Draft revision. `baseRevisionId` must be the article's newest revision: if someone saved meanwhile, " +
        "the answer is 409 and nothing is saved (read the article again, merge, and save on the new base).",
      params: S.articleIdParams, body: S.saveRevisionBody, refusals: [409],
      responses: { 201: { description: "The new revision", schema: S.revisionSchema } },
      handler: async ({ params, body, user, req }) => {
        const editor = permitted(user, "article.edit", "editing articles");
        const saved = await saveRevision(db, auditContext(req), editor, params.id, { baseRevisionId: body.baseRevisionId, content: body.content, changeNote: body.changeNote || null, contentField: "content." });
        return { status: 201, body: present.revision((await findRevision(db, saved.id))!) };
      },
    }),
    defineRoute({
      method: "get", path: "/v1/editorial/articles/:id/comments", operationId: "listComments", tag: "Editorial", access: "read",
      summary: "Review comments and their replies",
      params: S.articleIdParams,
      responses: { 200: { description: "Comment threads, oldest first", schema: S.commentsSchema } },
      handler: async ({ params }) => ({ body: await present.commentThreads(db, params.id) }),
    }),
    defineRoute({
      method: "post", path: "/v1/editorial/articles/:id/transitions/:name", operationId: "takeTransition", tag: "Editorial", access: "write",
      summary: "Take a workflow step (submit, withdraw, start_review, request_changes, approve, publish, unpublish)",
      description: "The same rules as the article page: permission, the state you saw (`expectedState`, else 409), separation of duties, citation checks. " +
        "`approve` is an electronic signature: it needs `meaning` and the signer's own `password` in the request, checked and throttled as on the page.",
      params: S.transitionParams, body: S.transitionBody, refusals: [409],
      responses: { 200: { description: "Done; the article as it is now", schema: S.transitionResultSchema } },
      handler: async ({ params, body, user, req }) => {
        const result = await applyTransition(db, auditContext(req), user!, params.id, params.name as TransitionName, body);
        return { body: { transition: params.name, label: result.label, revisionNumber: result.revisionNumber, article: await present.editorialArticle(db, user!, params.id) } };
      },
    }),
    defineRoute({
      method: "post", path: "/v1/editorial/media", operationId: "uploadImage", tag: "Editorial", access: "write",
      summary: "Upload an image for a figure",
      description: "The request body is the image file itself (JPEG, PNG, WebP or AVIF, recognised by its bytes whatever the Content-Type; no SVG), " +
        "at most MEDIA_MAX_MB (10 MB by default) and 50 megapixels. Its metadata (EXIF, GPS, XMP, IPTC) is removed and its orientation applied; " +
        "the answer's `hash` (SHA-256 of the stored image) is what a figure's `image` names in `content.figures` when you save a revision. " +
        "Uploading the same image again returns the same hash (`stored: false`). The image is public only once a published revision shows it. " +
        "Send the file's name in `X-Filename` to see it on the media page.",
      query: S.uploadQuery, rawBody: { contentTypes: ["image/jpeg", "image/png", "image/webp", "image/avif"] },
      responses: { 201: { description: "Stored (or already stored)", schema: S.uploadResultSchema } },
      handler: async ({ user, req }) => {
        const editor = permitted(user, "article.edit", "uploading images");
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const name = String(req.get("x-filename") ?? "").replace(/[^\p{L}\p{N} ._()-]/gu, "").slice(0, 200);
        const result = await uploadImage(db, auditContext(req), editor, bytes, { name, maxBytes: options.mediaMaxBytes ?? 10 * 1024 * 1024, via: "api" });
        return { status: 201, body: { ...result, links: { image: `/editor/media/${result.hash}-${Math.min(result.width, 960)}.webp` } } };
      },
    }),
    defineRoute({
      method: "get", path: "/v1/editorial/articles/:id/export", operationId: "exportArticle", tag: "Editorial", access: "read",
      summary: "Export an article (content and revision history metadata)",
      params: S.articleIdParams,
      responses: { 200: { description: "The export document (docs/article-format.md)", schema: S.exportDocumentSchema } },
      handler: async ({ params }) => ({ body: await exportArticle(db, { articleId: params.id }) }),
    }),
    defineRoute({
      method: "post", path: "/v1/editorial/imports", operationId: "importArticle", tag: "Editorial", access: "write",
      summary: "Import an article from an export document",
      description: "Creates the article as a Draft when its address is free, otherwise a new Draft revision of the existing article (409 while it is in review). " +
        "Approvals, signatures and states are never imported; the content is attributed to the token's owner. " +
        "`article.visibleWhilePending` and `article.approvalsRequired` are admin-only settings, used only when the import creates the article: " +
        "anyone else gets 403 naming the field unless the value is the default. What the import ignored is listed in `warnings`.",
      body: S.exportDocumentSchema, refusals: [403, 409],
      responses: { 201: { description: "Imported", schema: S.importResultSchema } },
      handler: async ({ body, user, req }) => ({ status: 201, body: await importArticle(db, auditContext(req), user!, body) }),
    }),
  ];
}
