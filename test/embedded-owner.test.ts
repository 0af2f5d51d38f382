// One process owns an embedded data folder; commands run while the app is up work
// through it, and a second app refuses with one sentence. Before this, a command
// opened the folder a second time: its writes vanished or the folder was damaged.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import net from "node:net";
import { openDatabase } from "../src/db/database.js";
import { claimDataDir, controlAddress } from "../src/db/data-dir-owner.js";
import { verifyAuditChain } from "../src/audit/verify.js";
import { runCommand, type RunningApp, startApp, submitLogin } from "./support/index.js";

const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.stop("SIGKILL");
});

const signIn = (baseUrl: string, email: string, password: string) => submitLogin(request.agent(baseUrl), email, password);

describe("the embedded data folder", () => {
  it("has one owner: commands work through the running app, a second app refuses, and nothing is lost after SIGKILL", async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "cms-owner-")), "pglite");
    const env = { DATA_DIR: dataDir };
    const first = await startApp(env);
    running.push(first);
    // Demo accounts have a published password: the app says so, and keeps to this machine.
    expect(first.output()).toMatch(/Listening on http:\/\/127\.0\.0\.1:\d+ on 127\.0\.0\.1 .*Sign in at http:\/\/127\.0\.0\.1:\d+\/login/);
    expect(first.output()).toContain("Demo accounts with the published password from the README are active: ");
    expect(first.output()).toContain("sam.admin@demo.test");

    const second = await runCommand("src/server.ts", [], { ...env, PORT: "0" });
    expect(second.code).toBe(1);
    expect(second.output).toBe(`The embedded database in DATA_DIR (${dataDir}) is in use by process ${first.child.pid} (the running app or a command); stop it first, or set a different DATA_DIR.`);

    const created = await runCommand("src/cli/user-create.ts", ["--email", "while.running@demo.test", "--name", "While Running", "--role", "editor"], { ...env, USER_PASSWORD: "a-password-for-this-test" });
    expect(created.output).toContain(`Working through the running app (process ${first.child.pid}).`);
    expect(created.output).toContain("Created editor while.running@demo.test.");
    expect(created.code).toBe(0);
    // The running app sees the account at once: it is the same database.
    expect((await signIn(first.baseUrl, "while.running@demo.test", "a-password-for-this-test")).status).toBe(303);

    for (const [command, says] of [["src/cli/seed.ts", "Seeded 0 new article(s) and 0 new demo account(s)"], ["src/cli/migrate.ts", "Migrations are up to date."]] as const) {
      const run = await runCommand(command, [], env);
      expect(run.output, command).toContain(`Working through the running app (process ${first.child.pid}).`);
      expect(run.output, command).toContain(says);
      expect(run.code, command).toBe(0);
    }
    const verified = await runCommand("src/cli/audit-verify.ts", [], env);
    expect(verified.code).toBe(0);
    expect(verified.output).toMatch(/Audit trail intact: \d+ events checked/);

    expect(await first.stop("SIGKILL")).toBe(-1);
    // A crashed owner leaves no stale lock: the app starts again on the same folder.
    const restarted = await startApp(env);
    running.push(restarted);
    expect((await signIn(restarted.baseUrl, "while.running@demo.test", "a-password-for-this-test")).status).toBe(303);
    expect(await restarted.stop("SIGTERM")).toBe(0);

    const database = await openDatabase({ dataDir, migrate: false });
    try {
      const user = await database.prisma.user.findUniqueOrThrow({ where: { email: "while.running@demo.test" } });
      expect(await database.prisma.auditEvent.count({ where: { action: "user.created", entityId: user.id } })).toBe(1);
      expect((await verifyAuditChain(database.pool)).ok).toBe(true);
    } finally {
      await database.close();
    }
  }, 180_000); // several app processes start one after another, each opening an embedded database

  it("refuses to open a folder another process in this machine owns, naming the owner", async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "cms-owner-")), "pglite");
    const owner = await openDatabase({ dataDir });
    try {
      await expect(openDatabase({ dataDir })).rejects.toThrow(`is in use by process ${process.pid} (the running app or a command); stop it first, or set a different DATA_DIR.`);
      const through = await openDatabase({ dataDir, ifOwned: "connect", migrate: false });
      try {
        expect(through.ownerPid).toBe(process.pid);
        expect(await through.prisma.article.count()).toBe(0);
      } finally {
        await through.close();
      }
    } finally {
      await owner.close();
    }
    // Released on close: the folder can be opened again.
    const again = await openDatabase({ dataDir, migrate: false });
    await again.close();
  });

  it("asks commands to wait while the owner is still starting, and answers garbage on its control socket with an error", async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "cms-owner-")), "pglite");
    const claim = await claimDataDir(dataDir);
    if (!("claimed" in claim)) throw new Error("the fresh folder should have been claimed");
    try {
      await expect(openDatabase({ dataDir, ifOwned: "connect" })).rejects.toThrow(`is in use by process ${process.pid} (the running app or a command); it is still starting, so try again in a moment.`);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(controlAddress(dataDir));
        let text = "";
        socket.on("connect", () => socket.write("not json\n"));
        socket.on("data", (d) => (text += d));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      expect(JSON.parse(answer)).toEqual({ error: "unreadable request" });
    } finally {
      await claim.claimed.release();
    }
  });
});
