/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { readmeBlock, runModule, sourceImport, substitute } from "@x/test-support";
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
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
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
      let code = sourceImport(EXAMPLE, "@x/transport-sockets", new URL("../src/index.ts", import.meta.url));
      code = substitute(code, "// Later:", "await (globalThis as any).__readmeProbe(listener);\n// Later:");
      await runModule(code, import.meta.url);
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
