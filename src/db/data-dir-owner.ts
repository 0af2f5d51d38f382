// Exactly one process owns an embedded data folder. PGlite keeps no lock of its
// own, and two processes writing the same folder damage it beyond repair, so the
// owner listens on a control socket whose address is derived from the folder:
//
// - on Linux an abstract Unix socket ("\0cms-pglite-<hash>"): the kernel frees it
//   the moment the owner exits, even after SIGKILL, so a crash never leaves a
//   stale lock and claiming it is one atomic bind();
// - elsewhere a socket file beside the folder; one nobody answers on is stale and
//   is removed before claiming.
//
// The same socket lets commands started while the app runs (audit:verify,
// user:create, seed, db:migrate, backup) work through the owner: it tells them
// the loopback address of its PostgreSQL wire-protocol server, and streams a
// backup on request. Any local user can reach both sockets: the embedded default
// is for one person's machine (see docs/operations.md, "Data safety").
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { mkdir, unlink } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

export interface OwnerInfo {
  pid: number;
  /** host:port of the owner's PostgreSQL wire-protocol server; null while it is starting. */
  pgAddress: string | null;
}

export interface OwnerHandlers {
  info(): OwnerInfo;
  /** A consistent copy of the data folder (gzip-compressed tar). */
  backup(): Promise<Uint8Array>;
}

export interface Ownership {
  /** Starts answering other processes. */
  serve(handlers: OwnerHandlers): void;
  release(): Promise<void>;
}

export function controlAddress(dataDir: string): string {
  let resolved = path.resolve(dataDir);
  try {
    resolved = realpathSync(resolved);
  } catch {
    // Not created yet: the resolved path names it.
  }
  if (process.platform === "linux") {
    return `\0cms-pglite-${createHash("sha256").update(resolved).digest("hex").slice(0, 32)}`;
  }
  return `${resolved}.owner.sock`;
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(address, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Claims the folder, or returns the running owner's details when another process holds it. */
export async function claimDataDir(dataDir: string): Promise<{ claimed: Ownership } | { owner: OwnerInfo }> {
  // Created first, so every process derives the address from the same real path.
  await mkdir(dataDir, { recursive: true });
  const address = controlAddress(dataDir);
  let handlers: OwnerHandlers | null = null;
  const server = net.createServer((socket) => answer(socket, () => handlers));
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, address);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) throw error;
      const owner = await askOwner(address, { op: "hello" }).catch((e: NodeJS.ErrnoException) => e);
      if (!(owner instanceof Error)) return { owner: owner as OwnerInfo };
      // A socket file nobody answers on was left by a crashed owner (never the case for abstract sockets).
      if (address.startsWith("\0") || !["ECONNREFUSED", "ENOENT"].includes(owner.code ?? "")) throw owner;
      await unlink(address).catch(() => {});
    }
  }
  return {
    claimed: {
      serve(h) {
        handlers = h;
      },
      release: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
        }),
    },
  };
}

/** One request per connection: a JSON line in; a JSON line out, then for a backup its bytes. */
function answer(socket: net.Socket, handlers: () => OwnerHandlers | null) {
  let buffer = "";
  socket.setEncoding("utf8");
  socket.on("error", () => {});
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    if (buffer.length > 10_000) return socket.destroy();
    const newline = buffer.indexOf("\n");
    if (newline < 0) return;
    let request: { op?: unknown };
    try {
      request = JSON.parse(buffer.slice(0, newline)) as { op?: unknown };
    } catch {
      return socket.end(`${JSON.stringify({ error: "unreadable request" })}\n`);
    }
    const h = handlers();
    if (request.op === "hello") {
      return socket.end(`${JSON.stringify(h ? h.info() : { pid: process.pid, pgAddress: null })}\n`);
    }
    if (request.op === "backup" && h) {
      h.backup().then(
        (bytes) => {
          socket.write(`${JSON.stringify({ ok: true, bytes: bytes.byteLength })}\n`);
          socket.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        },
        (error: Error) => socket.end(`${JSON.stringify({ error: error.message })}\n`),
      );
      return;
    }
    socket.end(`${JSON.stringify({ error: "the app is still starting" })}\n`);
  });
}

/** Sends one request to the owner; resolves with its JSON answer (and, for a backup, the bytes). */
export function askOwner(address: string, request: { op: "hello" }): Promise<OwnerInfo>;
export function askOwner(address: string, request: { op: "backup" }): Promise<Buffer>;
export function askOwner(address: string, request: { op: string }): Promise<OwnerInfo | Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address);
    const chunks: Buffer[] = [];
    socket.setTimeout(request.op === "hello" ? 10_000 : 600_000, () => socket.destroy(new Error("the running app did not answer")));
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const all = Buffer.concat(chunks);
      const newline = all.indexOf(10);
      if (newline < 0) return reject(new Error("the running app sent an incomplete answer"));
      const head = JSON.parse(all.subarray(0, newline).toString("utf8")) as { error?: string; bytes?: number } & OwnerInfo;
      if (head.error) return reject(new Error(`the running app answered: ${head.error}`));
      if (request.op !== "backup") return resolve(head);
      const body = all.subarray(newline + 1);
      if (body.length !== head.bytes) return reject(new Error("the backup was cut short"));
      resolve(body);
    });
  });
}
