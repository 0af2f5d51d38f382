import type { Config } from "../config.js";
import { openDatabase, type Database } from "../db/database.js";
import { AppError, ConfigError } from "../errors.js";

/** Runs a command-line task; known errors print as one sentence, exit code 1. */
export function runCli(task: () => Promise<void>) {
  task().then(
    () => process.exit(process.exitCode ?? 0),
    (error) => {
      if (error instanceof ConfigError || error instanceof AppError) console.error(error.message);
      else console.error(`Failed: ${(error as Error)?.stack ?? error}`);
      process.exit(1);
    },
  );
}

/**
 * Opens the configured database for a command. On the embedded default, while the
 * app runs, the command works through the app's own database (never a second copy
 * of the folder, which would damage it).
 */
export async function openForCommand(config: Config, options: { migrate?: boolean } = {}): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: options.migrate, ifOwned: "connect" });
  if (database.ownerPid !== undefined) console.error(`Working through the running app (process ${database.ownerPid}).`);
  return database;
}
