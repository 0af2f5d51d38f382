// npm run seed: applies migrations and seeds (idempotently) the configured database.
import { loadConfig } from "../config.js";
import { seedDatabase } from "../services/seed.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const config = loadConfig();
  const database = await openForCommand(config);
  try {
    const result = await seedDatabase(database.prisma, { demoUsers: config.seedDemoUsers });
    console.log(`Seeded ${result.articles.length} new article(s) and ${result.demoUsers.length} new demo account(s); existing data was left as it was.`);
  } finally {
    await database.close();
  }
});
