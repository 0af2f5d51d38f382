// Editorial content: articles, revisions and their saves, settings, import/export, citations, comparisons, audiences, and reading the audit trail.
// What the rest of the code may use from this folder; its other modules are internal.
export { addressChangeSchema, articleSettingsSchema, assertMayChooseSettings, changeArticleAddress, updateArticleSettings } from "./article-settings.js";
export { exportArticle, exportDocumentSchema, importArticle } from "./article-transfer.js";
export { createArticle, createNewArticle, findPublicArticle, listAllPublicArticles, listPublicArticlesPage } from "./articles.js";
export type { PublicArticle } from "./articles.js";
export { archivedAudienceRedirect, audienceChangesSchema, audienceList, createAudience, listAudiences, newAudienceSchema, previewAudience, previewAudienceSchema, readabilityFigure, readerChoice, readerChoiceSchema, revisionReadability, schemaAudienceTypes, setAudienceArchived, updateAudience } from "./audiences.js";
export type { ReadabilityFigure } from "./audiences.js";
export { auditFilterSchema, auditPage, auditExport } from "./audit-queries.js";
export { checkCitations, citationErrors } from "./citation-checks.js";
export type { CitationIssue } from "./citation-checks.js";
export { compareRevisions, defaultComparisonBase } from "./compare.js";
export type { RevisionComparison } from "./compare.js";
export { contributorsOf } from "./contributors.js";
export { restoreRevisionByNumber, saveRevision } from "./editing.js";
export { formatEvent, formatters, historyKinds, numberRanges } from "./history-format.js";
export type { HistoryKind } from "./history-format.js";
export { deletedImagesOf, findRevision, insertRevision, mediaOf, toContent } from "./revisions.js";
export { checkFigureImages, deleteMedia, findImage, imageRendition, listMedia, prepareUpload, publicArticlesShowing, publicImageHashes, storeEditorImages, storeImage, storedImageHashes, uploadImage } from "./media.js";
export type { MediaListItem, StoredImage, UploadVia } from "./media.js";
export type { RevisionWithContent } from "./revisions.js";
