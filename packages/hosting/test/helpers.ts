import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LogLine {
  level: number;
  category?: string;
  msg: string;
  [key: string]: unknown;
}

/** A pino destination that keeps every JSON line. */
export function captureLogs(): { lines: LogLine[]; destination: { write(s: string): void } } {
  const lines: LogLine[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } };
}

export async function tempDir(files: Record<string, unknown> = {}): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "x-hosting-"));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(path, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Child {
  process: ChildProcess;
  output: () => string;
  /** Resolves with the URLs of the "Now listening on" lines once `count` have appeared. */
  listening(count?: number, timeoutMs?: number): Promise<string[]>;
  exit(timeoutMs?: number): Promise<number | null>;
}

/** Starts `node file args` and follows its JSON log lines on stdout. */
export function startNode(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(process.execPath, [file, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    process: child,
    output: () => out,
    async listening(count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const urls = [...out.matchAll(/Now listening on: (\S+?)"/g)].map((m) => m[1]!);
        if (urls.length >= count) return urls;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the app did not start listening:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exit(timeoutMs = 10_000) {
      return Promise.race([exited, new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error(`no exit:\n${out}`)), timeoutMs))]);
    },
  };
}
