// Readers: search, instant answers, the reader-questions queue and its vocabulary.
// What the rest of the code may use from this folder; its other modules are internal.
export { answerQuestion, bareFullTextQuery, publicPassagesOf, readerAudience } from "./ask.js";
export type { AskResult } from "./ask.js";
export { QUESTION_EMAIL_JOB, QUESTION_MAX_CHARS, REPORT_MAX_CHARS, answeredBySchema, askQuerySchema, declineQuestion, declineSchema, feedbackSchema, listQuestionQueue, markAnsweredBy, notifyAnsweredQuestions, notifySchema, queueFilterSchema, recordFeedback, recordReaderQuestion, reportProblem, reportSchema, reportableArticle, sendQuestionAnsweredEmail, signToken, startDraftFromQuestion, storeNotificationAddress } from "./reader-questions.js";
export { searchAllRevisions, searchPublished, searchQuery, snippetParts } from "./search.js";
export { addVocabularyTerm, listVocabulary, removeVocabularyTerm, vocabularyTermSchema } from "./vocabulary.js";
