// Configuration comes from the environment only, validated once at start-up.
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "./errors.js";

const postgresUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "must be a URL like postgresql://user:password@host:5432/database");

const booleanish = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default("data/pglite"),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(8),
  COOKIE_SECURE: z.enum(["true", "false", "auto"]).optional(),
  TRUST_PROXY: booleanish.default(false),
  SEED_DEMO_USERS: booleanish.optional(),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
});

export type Config = {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  /** Absent: run the embedded PostgreSQL (PGlite) in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  sessionSecret: string;
  sessionTtlMs: number;
  cookieSecure: boolean | "auto";
  trustProxy: boolean;
  seedDemoUsers: boolean;
  /** Requests per minute per API token (or per address without one). */
  apiRateLimitPerMinute: number;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Setting ${String(issue.path[0])} is invalid: ${issue.message}.`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  if (production && !e.SESSION_SECRET) {
    throw new ConfigError("Setting SESSION_SECRET is required when NODE_ENV=production (at least 32 characters).");
  }
  if (production && e.SEED_DEMO_USERS) {
    throw new ConfigError("Setting SEED_DEMO_USERS cannot be true when NODE_ENV=production: demo accounts have public passwords.");
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    // Outside production a fixed development secret keeps sessions across restarts.
    sessionSecret: e.SESSION_SECRET ?? "development-only-session-secret-change-me!",
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    cookieSecure: e.COOKIE_SECURE === undefined ? (production ? true : "auto") : e.COOKIE_SECURE === "auto" ? "auto" : e.COOKIE_SECURE === "true",
    trustProxy: e.TRUST_PROXY,
    // Demo accounts only on the embedded default, never in production.
    seedDemoUsers: !production && (e.SEED_DEMO_USERS ?? !e.DATABASE_URL),
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
  };
}
