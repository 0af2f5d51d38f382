// npm run user:create -- --email a@b.org --name "Dr. A" --role ADMIN [--credentials "MD"] [--can-review]
// The password comes from USER_PASSWORD or is asked for at a prompt, never echoed.
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { systemContext } from "../audit/audit-log.js";
import { createUser, newUserSchema } from "../services/people/index.js";
import { AppError } from "../errors.js";
import { openForCommand, runCli } from "./run.js";

async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new AppError("BAD_REQUEST", "No terminal to ask for the password: set USER_PASSWORD.");
  process.stdout.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let value = "";
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stdout.write("\n");
          return resolve(value);
        }
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          return reject(new AppError("BAD_REQUEST", "Cancelled."));
        }
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

runCli(async () => {
  const { values } = parseArgs({
    options: {
      email: { type: "string" }, name: { type: "string" }, role: { type: "string", default: "ADMIN" },
      credentials: { type: "string" }, "can-review": { type: "boolean", default: false },
    },
  });
  const password = process.env.USER_PASSWORD || (await promptHidden("Password (12+ characters): "));
  const input = newUserSchema.safeParse({
    email: values.email, name: values.name, role: values.role?.toUpperCase(), credentials: values.credentials, canReview: values["can-review"], password,
  });
  if (!input.success) {
    const issue = input.error.issues[0]!;
    throw new AppError("BAD_REQUEST", `--${String(issue.path[0])}: ${issue.message}.`);
  }
  const config = loadConfig();
  const database = await openForCommand(config);
  try {
    const user = await createUser(database.prisma, systemContext("cli user:create"), input.data);
    console.log(`Created ${user.role.toLowerCase()} ${user.email}.`);
  } finally {
    await database.close();
  }
});
