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
  HOST: z.string().min(1).optional(),
  DATABASE_URL: postgresUrl.optional(),
  MIGRATION_DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default("data/pglite"),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(8),
  SESSION_MAX_HOURS: z.coerce.number().positive().max(24 * 90).default(24),
  SECURITY_LOG_RETENTION_DAYS: z.coerce.number().int().positive().max(3650).default(90),
  COOKIE_SECURE: z.enum(["true", "false", "auto"]).optional(),
  TRUST_PROXY: booleanish.default(false),
  SEED_DEMO_USERS: booleanish.optional(),
  PAGE_CACHE_MB: z.coerce.number().min(1).max(4096).default(64),
  MEDIA_MAX_MB: z.coerce.number().positive().max(100).default(10),
  STATIC_EXPORT_DIR: z.string().min(1).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\/.+/, "must be a URL like smtp://user:password@mail.example.org:587").optional(),
  OUTBOX_DIR: z.string().min(1).default("data/outbox"),
  PUBLIC_URL: z.string().regex(/^https?:\/\/[^/\s]+\/?$/, "must be the site's address, like https://answers.example.org").optional(),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
  ASK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
  QUESTION_EMAIL_RETENTION_DAYS: z.coerce.number().int().positive().max(3650).default(90),
  REQUIRE_SECOND_FACTOR: z
    .string()
    .transform((v) => v.split(",").map((r) => r.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.enum(["admin", "reviewer", "editor"], { message: "must list roles among admin, reviewer and editor, separated by commas" })))
    .default([]),
  OIDC_ISSUER: z.string().regex(/^https?:\/\/[^\s]+$/, "must be the identity provider's issuer address, like https://login.example.org").optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(1000).optional(),
  OIDC_AUTO_CREATE_ROLE: z.enum(["editor", "reviewer"], { message: "must be editor or reviewer (administrators are never created by the identity provider)" }).optional(),
});

const roleOfSetting = { admin: "ADMIN", reviewer: "REVIEWER", editor: "EDITOR" } as const;

export type Config = {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  /** Absent: run the embedded PostgreSQL (PGlite) in dataDir. */
  databaseUrl?: string;
  /** The schema owner, used only to apply migrations; the app then connects with databaseUrl. */
  migrationDatabaseUrl?: string;
  dataDir: string;
  sessionSecret: string;
  /** Idle limit of a session. */
  sessionTtlMs: number;
  /** Absolute limit of a session from sign-in, however active. */
  sessionMaxMs: number;
  securityLogRetentionDays: number;
  cookieSecure: boolean | "auto";
  trustProxy: boolean;
  seedDemoUsers: boolean;
  /** Upper bound of the in-memory public page cache. */
  pageCacheBytes: number;
  /** Largest image file an editor may upload (MEDIA_MAX_MB). */
  mediaMaxBytes: number;
  /** When set, every change rewrites the affected static files here. */
  staticExportDir?: string;
  /** Absent: notification e-mail is written to outboxDir and listed at /admin/outbox. */
  smtpUrl?: string;
  outboxDir: string;
  /** The site's public address: canonical links, JSON-LD, sitemap, feed and links in e-mail. */
  publicUrl: string;
  /** Requests per minute per API token (or per address without one). */
  apiRateLimitPerMinute: number;
  /** Questions, votes and reports per minute per client address (kept in memory). */
  askRateLimitPerMinute: number;
  /** Readers' addresses not used within this many days are deleted. */
  questionEmailRetentionDays: number;
  /** Roles that must have a second factor (authenticator app or passkey) to use the staff pages. */
  requireSecondFactorRoles: ("ADMIN" | "REVIEWER" | "EDITOR")[];
  /** Single sign-on with OpenID Connect (decision 0035); absent when not configured. */
  oidc?: { issuer: string; clientId: string; clientSecret: string; redirectUri: string; autoCreateRole?: "EDITOR" | "REVIEWER" };
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
  if (e.MIGRATION_DATABASE_URL && !e.DATABASE_URL) {
    throw new ConfigError("Setting MIGRATION_DATABASE_URL needs DATABASE_URL too: the embedded database has no separate owner.");
  }
  const oidcSet = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET].filter(Boolean).length;
  if (oidcSet !== 0 && oidcSet !== 3) {
    throw new ConfigError("Settings OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together: set all three for single sign-on, or none.");
  }
  if (e.OIDC_AUTO_CREATE_ROLE && !oidcSet) {
    throw new ConfigError("Setting OIDC_AUTO_CREATE_ROLE needs single sign-on configured (OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET).");
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
  // Demo accounts only on the embedded default, never in production.
  const seedDemoUsers = !production && (e.SEED_DEMO_USERS ?? !e.DATABASE_URL);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    // Demo accounts have a published password: keep them off the network unless HOST says otherwise.
    host: e.HOST ?? (seedDemoUsers ? "127.0.0.1" : "0.0.0.0"),
    databaseUrl: e.DATABASE_URL,
    migrationDatabaseUrl: e.MIGRATION_DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    // Outside production a fixed development secret keeps sessions across restarts.
    sessionSecret: e.SESSION_SECRET ?? "development-only-session-secret-change-me!",
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    sessionMaxMs: e.SESSION_MAX_HOURS * 3600_000,
    securityLogRetentionDays: e.SECURITY_LOG_RETENTION_DAYS,
    cookieSecure: e.COOKIE_SECURE === undefined ? (production ? true : "auto") : e.COOKIE_SECURE === "auto" ? "auto" : e.COOKIE_SECURE === "true",
    trustProxy: e.TRUST_PROXY,
    seedDemoUsers,
    pageCacheBytes: Math.round(e.PAGE_CACHE_MB * 1024 * 1024),
    mediaMaxBytes: Math.round(e.MEDIA_MAX_MB * 1024 * 1024),
    staticExportDir: e.STATIC_EXPORT_DIR ? path.resolve(e.STATIC_EXPORT_DIR) : undefined,
    smtpUrl: e.SMTP_URL,
    outboxDir: path.resolve(e.OUTBOX_DIR),
    publicUrl,
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    askRateLimitPerMinute: e.ASK_RATE_LIMIT_PER_MINUTE,
    questionEmailRetentionDays: e.QUESTION_EMAIL_RETENTION_DAYS,
    requireSecondFactorRoles: [...new Set(e.REQUIRE_SECOND_FACTOR.map((r) => roleOfSetting[r]))],
    oidc: e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
      ? {
          issuer: e.OIDC_ISSUER, clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET,
          redirectUri: `${publicUrl}/login/oidc/callback`,
          ...(e.OIDC_AUTO_CREATE_ROLE ? { autoCreateRole: roleOfSetting[e.OIDC_AUTO_CREATE_ROLE] as "EDITOR" | "REVIEWER" } : {}),
        }
      : undefined,
  };
}
