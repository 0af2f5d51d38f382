// npm run backup -- --out FILE: a consistent backup of the configured database,
// also while the app runs (on the embedded default, taken by the running app).
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { backup } from "../db/backup.js";
import { AppError } from "../errors.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = z.string().min(1).safeParse(values.out);
  if (!out.success) throw new AppError("BAD_REQUEST", "Name the backup file: npm run backup -- --out FILE.");
  const config = loadConfig();
  // A server is dumped by pg_dump; only the embedded folder needs its owner.
  const database = await openForCommand(config, { migrate: false });
  try {
    const result = await backup(config, database, out.data);
    console.log(`Backed up the ${result.kind === "embedded" ? "embedded database" : "PostgreSQL database"} to ${out.data} (${result.bytes.toLocaleString("en-US")} bytes).`);
  } finally {
    await database.close();
  }
});
