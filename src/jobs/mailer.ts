// Sends notification e-mail through nodemailer: to the SMTP server in SMTP_URL, or,
// with none (the embedded default), into an outbox folder listed at /admin/outbox.
// A message is named after its notification, so a retried send after a crash
// rewrites the same outbox file (and carries the same Message-ID over SMTP).
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Transporter } from "nodemailer";

export interface OutgoingMail {
  id: string;
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

const FROM = "Clinical Answers <notifications@clinical-answers.invalid>";

export function createMailer(options: { smtpUrl?: string; outboxDir: string }): Mailer {
  const headers = (mail: OutgoingMail) => ({ from: FROM, to: mail.to, subject: mail.subject, text: mail.text, messageId: `<${mail.id}@clinical-answers.invalid>` });
  // nodemailer is loaded with the first message, not when the app starts.
  let transport: Promise<Transporter> | undefined;
  const transportFor = (settings: string | { streamTransport: true; buffer: true; newline: "unix" }) =>
    (transport ??= import("nodemailer").then(({ default: nodemailer }) => nodemailer.createTransport(settings)));
  if (options.smtpUrl) {
    const smtpUrl = options.smtpUrl;
    return { async send(mail) { await (await transportFor(smtpUrl)).sendMail(headers(mail)); } };
  }
  return {
    async send(mail) {
      const info = await (await transportFor({ streamTransport: true, buffer: true, newline: "unix" })).sendMail(headers(mail));
      await mkdir(options.outboxDir, { recursive: true });
      const file = path.join(options.outboxDir, `${mail.id}.eml`);
      // Write then rename: a reader never sees half a message.
      await writeFile(`${file}.tmp`, info.message as Buffer);
      await rename(`${file}.tmp`, file);
    },
  };
}

export interface OutboxMessage {
  file: string;
  to: string;
  subject: string;
  date: Date;
  body: string;
}

/** The messages in the outbox folder, newest first. */
export async function readOutbox(outboxDir: string, limit = 200): Promise<OutboxMessage[]> {
  const names = await readdir(outboxDir).catch(() => [] as string[]);
  const messages = await Promise.all(
    names.filter((n) => n.endsWith(".eml")).map(async (name) => {
      const file = path.join(outboxDir, name);
      const [raw, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
      const [head = "", ...rest] = raw.split("\n\n");
      const header = (key: string) => new RegExp(`^${key}: (.*)$`, "mi").exec(head)?.[1]?.trim() ?? "";
      return { file: name, to: header("To"), subject: header("Subject"), date: info.mtime, body: decodeBody(rest.join("\n\n"), header("Content-Transfer-Encoding")) };
    }),
  );
  return messages.sort((a, b) => b.date.getTime() - a.date.getTime()).slice(0, limit);
}

function decodeBody(body: string, encoding: string): string {
  if (/quoted-printable/i.test(encoding)) {
    return Buffer.from(body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
  }
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return body;
}
