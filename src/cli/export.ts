// npm run export -- --out DIR: writes every public page as files (with .gz beside each),
// plus sitemap.xml, robots.txt, feed.xml and the site's assets, for nginx or a CDN.
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { viewEngine } from "../app.js";
import { PublicSite } from "../public/public-site.js";
import { StaticExport } from "../public/static-export.js";
import { ConfigError } from "../errors.js";
import { openForCommand, runCli } from "./run.js";

runCli(async () => {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = z.string().min(1).safeParse(values.out);
  if (!out.success) throw new ConfigError("Say where to write the site: npm run export -- --out DIR");
  const config = loadConfig();
  const database = await openForCommand(config, { migrate: false });
  try {
    const site = new PublicSite(viewEngine(), database.prisma, config);
    const started = Date.now();
    const { pages } = await new StaticExport(site, database.prisma, path.resolve(out.data)).writeAll();
    console.log(`Exported ${pages} public pages to ${path.resolve(out.data)} in ${((Date.now() - started) / 1000).toFixed(1)} s (links use ${config.publicUrl}; set PUBLIC_URL for your site's address).`);
  } finally {
    await database.close();
  }
});
