// Publishing: the page data of a live article, published lists, schedules, preview links and the jobs admins must look at.
// What the rest of the code may use from this folder; its other modules are internal.
export { articleView, publicArticleView } from "./article-view.js";
export { jobsNeedingAttention, retryJob, undeliveredEmailCount } from "./failed-jobs.js";
export { articlePreviewLinks, createPreviewLink, findArticlePreviewLink, newPreviewLinkSchema, openPreview, previewLinkToRevoke, previewPath, previewShowsImage, revokePreviewLink } from "./preview-links.js";
export { decodeCursor, listPublishedArticles } from "./published-articles.js";
export { SCHEDULE_JOB, articleSchedules, cancelSchedule, createSchedule, failStrandedSchedules, findArticleSchedule, newScheduleSchema, runScheduleJob, scheduleJobGaveUp, scheduleStatusLabels, scheduleToCancel, schedulesOvertakenBy } from "./schedules.js";
