// Run by the build: writes dist/embedded-template/ (src/db/embedded-template.ts).
import { writeEmbeddedTemplate } from "../db/embedded-template-build.js";

await writeEmbeddedTemplate();
process.exit(0);
