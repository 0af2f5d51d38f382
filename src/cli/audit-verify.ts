// npm run audit:verify [-- --checkpoint FILE]: checks the audit trail's hash chain end
// to end and, with --checkpoint, against the latest checkpoint in FILE (which catches
// deleted newest events and a rewritten, re-hashed tail). Exit code 0 when intact, 2
// when an event was altered, deleted or reordered.
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { verifyAuditChain } from "../audit/verify.js";
import { checkAgainstCheckpoint, latestCheckpoint } from "../audit/checkpoint.js";
import { ConfigError } from "../errors.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const { values } = parseArgs({ options: { checkpoint: { type: "string" } } });
  const config = loadConfig();
  const checkpoint = values.checkpoint
    ? await latestCheckpoint(path.resolve(values.checkpoint)).catch((e: Error) => {
        throw new ConfigError(`--checkpoint: ${e.message}.`);
      })
    : null;
  const database = await openForCommand(config, { migrate: false });
  try {
    const total = Number((await database.pool.query("SELECT count(*) AS n FROM audit_event")).rows[0].n);
    const started = Date.now();
    const interactive = process.stderr.isTTY;
    let nextReport = 100_000;
    const result = await verifyAuditChain(database.pool, {
      onProgress: (checked) => {
        const line = `checked ${checked.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} events (${total ? Math.floor((checked / total) * 100) : 100}%)`;
        if (interactive) process.stderr.write(`\r${line}`);
        else if (checked >= nextReport) {
          process.stderr.write(`${line}\n`);
          nextReport += 100_000;
        }
      },
    });
    if (interactive) process.stderr.write("\n");
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const pinned = result.ok && checkpoint ? await checkAgainstCheckpoint(database.pool, checkpoint) : null;
    if (pinned && !pinned.ok) {
      console.log(`Audit trail does NOT match its checkpoint: ${pinned.reason}. The chain itself links up (${result.checked} events).`);
      process.exitCode = 2;
    } else if (result.ok) {
      const against = checkpoint ? ` Matches the checkpoint of ${checkpoint.at} (${checkpoint.events} events).` : "";
      console.log(`Audit trail intact: ${result.checked} events checked in ${seconds} s. Chain head: ${result.lastHash}${against}`);
    } else {
      console.log(`Audit trail BROKEN at event ${result.firstBroken!.id}: ${result.firstBroken!.reason}. ${result.checked} events before it verified.`);
      process.exitCode = 2;
    }
  } finally {
    await database.close();
  }
});
