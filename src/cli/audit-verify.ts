// npm run audit:verify: checks the audit trail's hash chain end to end.
// Exit code 0 when intact, 2 when an event was altered, deleted or reordered.
import { loadConfig } from "../config.js";
import { verifyAuditChain } from "../audit/verify.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const config = loadConfig();
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
    if (result.ok) {
      console.log(`Audit trail intact: ${result.checked} events checked in ${seconds} s. Chain head: ${result.lastHash}`);
    } else {
      console.log(`Audit trail BROKEN at event ${result.firstBroken!.id}: ${result.firstBroken!.reason}. ${result.checked} events before it verified.`);
      process.exitCode = 2;
    }
  } finally {
    await database.close();
  }
});
