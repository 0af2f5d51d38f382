// npm run article:export -- --slug S [--out FILE]
// Writes the article's export document (docs/article-format.md) to FILE, or to standard output.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { AppError } from "../errors.js";
import { exportArticle } from "../services/editorial/index.js";
import { runCli } from "./run.js";

runCli(async () => {
  const { values } = parseArgs({ options: { slug: { type: "string" }, out: { type: "string" } } });
  if (!values.slug || !/^[a-z0-9-]{1,120}$/.test(values.slug)) throw new AppError("BAD_REQUEST", "--slug: give the article's address, e.g. --slug treatment-options-for-muscle-spasms.");
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const doc = await exportArticle(database.prisma, { slug: values.slug });
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (values.out) {
      await writeFile(values.out, text);
      console.error(`Exported "${doc.content.title}" (${doc.history.length} revisions, content ${doc.contentHash.slice(0, 12)}…) to ${values.out}.`);
    } else {
      process.stdout.write(text);
    }
  } finally {
    await database.close();
  }
});
