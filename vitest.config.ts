import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each test file opens its own database (a fresh PostgreSQL database on the
    // server named by TEST_DATABASE_URL, or an embedded one in memory).
    pool: "forks",
    // The browser scripts are bundled once before any test (pages load them from public/build/).
    globalSetup: ["test/support/build-browser-scripts.ts"],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
