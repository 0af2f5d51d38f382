// Prisma CLI configuration. The JavaScript engine with a driver adapter lets the
// CLI run fully offline (no native engine download); see docs/decisions/0001.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// The CLI only parses the schema (generate, migrate diff); the application applies
// migrations itself. A syntactically valid URL must still be present.
process.env.DATABASE_URL ??= "postgresql://localhost:5432/unused";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL! }),
});
