// npm run restore -- FILE: restores a backup into an empty folder (DATA_DIR) or an
// empty database (DATABASE_URL), then verifies the audit trail it contains.
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { restore } from "../db/backup.js";
import { AppError } from "../errors.js";
import { runCli } from "./run.js";

runCli(async () => {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new AppError("BAD_REQUEST", "Name one backup file: npm run restore -- FILE.");
  const config = loadConfig();
  const result = await restore(config, positionals[0]!);
  const where = config.databaseUrl ? "the database in DATABASE_URL" : `DATA_DIR (${config.dataDir})`;
  if (result.ok) {
    console.log(`Restored into ${where}. Audit trail intact: ${result.checked} events. Chain head: ${result.lastHash}`);
  } else {
    console.log(`Restored into ${where}, but the audit trail is BROKEN at event ${result.firstBroken!.id}: ${result.firstBroken!.reason}.`);
    process.exitCode = 2;
  }
});
