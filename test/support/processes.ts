// The app and its commands as separate processes, as a person runs them: for
// tests of what happens between processes (the embedded folder's owner, backups).
import { spawn, type ChildProcess } from "node:child_process";

export interface RunningApp {
  baseUrl: string;
  output: () => string;
  child: ChildProcess;
  /** Waits for the process to end after a signal. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, NODE_ENV: "test", ...env };
}

/** Starts src/server.ts on a free port and resolves once it listens (or rejects with its output). */
export function startApp(env: Record<string, string>): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], { env: baseEnv({ PORT: "0", ...env }), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const exited = new Promise<number | null>((r) => child.once("exit", (code, signal) => r(code ?? (signal ? -1 : null))));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the app did not start in time:\n${output}`));
    }, 90_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = /Listening on (http:\/\/[^:\s]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.on("data", (more: Buffer) => (output += more));
        resolve({
          baseUrl: m[1]!.replace("localhost", "127.0.0.1"),
          output: () => output,
          child,
          stop: (signal = "SIGTERM") => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => (output += d));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Runs a command (a file under src/cli) to its end. */
export function runCommand(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return runToEnd([file, ...args], baseEnv(env), 120_000);
}

/** Runs a TypeScript file with exactly the environment `env` to its end, killed after `timeoutMs`; its output trimmed. */
export function runToEnd(fileAndArgs: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...fileAndArgs], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim() });
    });
  });
}
