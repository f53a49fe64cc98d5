/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SocketListener as Listener } from "../src/index.js";

const EXAMPLE = `import { ipEndPoint } from "@x/abstractions";
import { SocketTransportFactory } from "@x/transport-sockets";

const factory = new SocketTransportFactory();
const listener = await factory.bind(ipEndPoint("127.0.0.1", 0), (connection) => {
  connection.transport.pipe(connection.transport);
});
console.log(\`echo server on port \${listener.endPoint.kind === "ip" ? listener.endPoint.port : "?"}\`);

// Later: stop accepting. Connections already accepted stay open.
await listener.unbind();
`;

/** The README's example: the ```ts block right after the `<!-- readme-example -->` marker. */
function readmeExample(): string {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8").replace(/\r\n/g, "\n");
  const match = /<!-- readme-example -->\n```ts\n([\s\S]*?)```\n/.exec(readme);
  if (!match) throw new Error("README.md has no ```ts block after <!-- readme-example -->");
  return match[1]!;
}

/** Writes `code` next to this test under a unique name, imports it (vitest compiles the TypeScript) and deletes it. */
async function runModule(code: string): Promise<Record<string, any>> {
  const file = fileURLToPath(new URL(`./readme-example.tmp-${randomUUID()}.ts`, import.meta.url));
  writeFileSync(file, code);
  try {
    return await import(/* @vite-ignore */ file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** `code` with `search` replaced, failing loudly when the README no longer contains it. */
function substitute(code: string, search: string, replacement: string): string {
  if (!code.includes(search)) throw new Error(`the README example no longer contains ${JSON.stringify(search)}`);
  return code.replaceAll(search, replacement);
}

/** Sends `text` and resolves with the first `text.length` bytes echoed back. */
async function echo(socket: Socket, text: string): Promise<string> {
  let received = "";
  socket.write(text);
  while (received.length < text.length) {
    const [chunk] = (await once(socket, "data")) as [Buffer];
    received += chunk.toString("utf8");
  }
  return received;
}

afterEach(() => {
  vi.restoreAllMocks();
  delete (globalThis as any).__readmeProbe;
});

describe("README example", () => {
  it("is the README's ```ts block", () => {
    expect(readmeExample()).toBe(EXAMPLE);
  });

  it("echoes on the OS-chosen port; after unbind, accepted connections stay open and new ones are refused", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const sockets: Socket[] = [];
    let port = 0;
    // Runs in the example just before `listener.unbind()`.
    (globalThis as any).__readmeProbe = async (listener: Listener) => {
      expect(listener.endPoint.kind).toBe("ip");
      port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
      expect(port).toBeGreaterThan(0);
      const socket = connect(port, "127.0.0.1");
      sockets.push(socket);
      await once(socket, "connect");
      expect(await echo(socket, "ping")).toBe("ping");
    };
    try {
      let code = substitute(EXAMPLE, 'from "@x/transport-sockets"', `from ${JSON.stringify(fileURLToPath(new URL("../src/index.ts", import.meta.url)))}`);
      code = substitute(code, "// Later:", "await (globalThis as any).__readmeProbe(listener);\n// Later:");
      await runModule(code);
      expect(log).toHaveBeenCalledWith(`echo server on port ${port}`);
      expect(await echo(sockets[0]!, "still open")).toBe("still open");
      const refused = connect(port, "127.0.0.1");
      sockets.push(refused);
      const [error] = (await once(refused, "error")) as [NodeJS.ErrnoException];
      expect(error.code).toBe("ECONNREFUSED");
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
