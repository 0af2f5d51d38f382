// npm run db:migrate: applies pending migrations to the configured database; with
// MIGRATION_DATABASE_URL, as the schema owner, then grants the app's role its rights.
import { loadConfig } from "../config.js";
import { openAppDatabase } from "../db/database.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const config = loadConfig();
  const database = config.migrationDatabaseUrl ? await openAppDatabase(config) : await openForCommand(config);
  await database.close();
  console.log("Migrations are up to date.");
});
