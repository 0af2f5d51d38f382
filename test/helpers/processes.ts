// The test helpers live in test/support/; this path stays so older imports keep working.
export * from "../support/processes.js";
