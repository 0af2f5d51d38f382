import { loadConfig, type Config } from "../../src/config.js";
import { createApp } from "../../src/app.js";
import type { Database } from "../../src/db/database.js";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: "test", COOKIE_SECURE: "false", SEED_DEMO_USERS: "true", ...overrides });
}

export function createTestApp(database: Database, overrides: Record<string, string> = {}) {
  const logged: string[] = [];
  const app = createApp({ config: testConfig(overrides), database, log: (m) => logged.push(m) });
  return { app, logged };
}
