// The fixtures tests are written with: the seeded site and its demo people, the seeded article
// and the states it can be put in, workflow steps through HTTP, API tokens, page text, and the
// app as separate processes. Browser tests also import ./browser.js and ./html-validator.js
// (kept apart: they load the browser driver, which the other files do not need).
export { openSite, startAfresh, type SiteOptions, type TestApp, type TestSite } from "./site.js";
export { createTestApp, testConfig } from "./app.js";
export { auditEventsSince, createSeededDatabase, createTestDatabase, lastAuditId, reseedContent, resetContent, serverUrl, type TestDatabase } from "./database.js";
export { contextOf, demo, userByEmail, type DemoName } from "./people.js";
export { csrfFrom, formBody, pending, signedIn, signedInAgent, signInEveryone, submitLogin, type Agent, type Agents } from "./session.js";
export {
  articleAt, articleContent, changeDosingLine, currentRevision, editForm, MISSING_SOURCES, NEW_DOSING, publishSeeded, SEEDED_SLUG, supplyMissingSources, takeAs,
  type ArticleAtOptions, type ArticleStage,
} from "./articles.js";
export { workflowActions } from "./workflow.js";
export { bearer, tokenFor } from "./api.js";
export { decodeEntities, visibleText } from "./html.js";
export { runCommand, runToEnd, startApp, type RunningApp } from "./processes.js";
