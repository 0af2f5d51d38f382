// npm run db:migrate: applies pending migrations to the configured database.
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { runCli } from "./run.js";

runCli(async () => {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await database.close();
  console.log("Migrations are up to date.");
});
