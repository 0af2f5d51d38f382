// npm run db:migrate: applies pending migrations to the configured database.
import { loadConfig } from "../config.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const config = loadConfig();
  const database = await openForCommand(config);
  await database.close();
  console.log("Migrations are up to date.");
});
