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
