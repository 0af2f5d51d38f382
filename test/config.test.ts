import net from "node:net";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runToEnd } from "./support/index.js";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

/** Runs the server with only `env` (and a fresh data folder) set, until it stops. */
function startServer(env: Record<string, string>) {
  return runToEnd(["src/server.ts"], { PATH: process.env.PATH, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "cms-cfg-")), ...env }, 50_000);
}

describe("configuration", () => {
  it("uses the embedded database, port 3000 and demo accounts by default", () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.dataDir.endsWith(path.join("data", "pglite"))).toBe(true);
    expect(config.seedDemoUsers).toBe(true);
  });

  it("listens on 127.0.0.1 when demo accounts exist, unless HOST is set explicitly", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadConfig({ DATABASE_URL: "postgresql://a@b/c" }).host).toBe("0.0.0.0");
    expect(loadConfig({ SEED_DEMO_USERS: "false" }).host).toBe("0.0.0.0");
  });

  it("names the setting when DATABASE_URL is malformed", () => {
    expect(() => loadConfig({ DATABASE_URL: "not a url" })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x@y/z" })).toThrow(/Setting DATABASE_URL is invalid/);
  });

  it("names the setting when PORT is not a port", () => {
    expect(() => loadConfig({ PORT: "seventy" })).toThrow(/Setting PORT is invalid/);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/Setting PORT is invalid/);
  });

  it("requires a session secret and refuses demo accounts in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgresql://a@b/c" })).toThrow(/SESSION_SECRET/);
    const config = loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgresql://a@b/c", SESSION_SECRET: "x".repeat(40) });
    expect(config.seedDemoUsers).toBe(false);
    expect(config.cookieSecure).toBe(true);
    expect(() => loadConfig({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), SEED_DEMO_USERS: "true" })).toThrow(/SEED_DEMO_USERS/);
  });

  it("stops with one sentence naming DATABASE_URL when the server cannot be reached", async () => {
    const result = await startServer({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nothing", PORT: "0" });
    expect(result.code).toBe(1);
    expect(result.output.split("\n")).toHaveLength(1);
    expect(result.output).toMatch(/^Setting DATABASE_URL points at a PostgreSQL server that cannot be reached/);
  });

  it("stops with one sentence naming PORT when the port is in use", async () => {
    const blocker = net.createServer().listen(0, "0.0.0.0");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as net.AddressInfo).port;
    const result = await startServer({ PORT: String(port) });
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.output).toContain(`Setting PORT (${port}) is already in use`);
    expect(result.output).not.toMatch(/\n\s+at /);
  });
});
