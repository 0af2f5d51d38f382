// npm run audit:checkpoint [-- --file FILE]: verifies the audit trail, then appends
// its head (newest event id and hash, event count, time) to FILE (default
// data/audit-checkpoints.jsonl). Keep copies of that file away from the database.
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { defaultCheckpointFile, recordCheckpoint } from "../audit/checkpoint.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const { values } = parseArgs({ options: { file: { type: "string" } } });
  const config = loadConfig();
  const file = path.resolve(values.file ?? defaultCheckpointFile(config.dataDir));
  const database = await openForCommand(config, { migrate: false });
  try {
    const result = await recordCheckpoint(database.pool, file);
    if (!result.ok) {
      console.log(`No checkpoint recorded: ${result.reason}.`);
      process.exitCode = 2;
      return;
    }
    const { events, lastId, head } = result.checkpoint;
    console.log(`Checkpoint recorded in ${file}: ${events} events, newest event ${lastId}, chain head ${head}.`);
  } finally {
    await database.close();
  }
});
