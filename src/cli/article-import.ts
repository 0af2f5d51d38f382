// npm run article:import -- FILE --as EMAIL
// Imports an export document as a new Draft article (or a new Draft revision of the article
// with the same address), attributed to the named person. Approvals and signatures are never imported.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { AppError } from "../errors.js";
import { systemContext } from "../audit/audit-log.js";
import { exportDocumentSchema, importArticle } from "../services/editorial/index.js";
import { parseInput } from "../web/validate.js";
import { runCli } from "./run.js";

runCli(async () => {
  const { values, positionals } = parseArgs({ options: { as: { type: "string" } }, allowPositionals: true });
  const file = positionals[0];
  if (!file) throw new AppError("BAD_REQUEST", "Name the file to import: npm run article:import -- FILE --as EMAIL.");
  if (!values.as) throw new AppError("BAD_REQUEST", "--as: give the email of the person the import is attributed to.");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new AppError("BAD_REQUEST", `${file} could not be read as JSON: ${(error as Error).message}.`);
  }
  const doc = parseInput(exportDocumentSchema, json, "The file");
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const user = await database.prisma.user.findUnique({ where: { email: values.as.trim().toLowerCase() } });
    if (!user || !user.active) throw new AppError("NOT_FOUND", `--as: there is no active account with the email ${values.as}.`);
    const ctx = { ...systemContext("cli article:import"), actor: { id: user.id, name: user.name, email: user.email, role: user.role } };
    const result = await importArticle(database.prisma, ctx, user, doc);
    console.log(`Imported as ${result.newArticle ? "a new article" : "a new draft revision"}: /articles/${result.slug}, revision ${result.revisionNumber}, content ${result.contentHash}.`);
    for (const warning of result.warnings) console.log(`Note: ${warning}`);
  } finally {
    await database.close();
  }
});
