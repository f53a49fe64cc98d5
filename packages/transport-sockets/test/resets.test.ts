import { once } from "node:events";
import { ipEndPoint } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { SocketTransportFactory } from "../src/index.js";
import { Harness, readBytes, recordingLogger } from "./helpers.js";

describe("misbehaving peers and handlers", () => {
  let harness: Harness;
  afterEach(async () => {
    await harness.cleanup();
  });

  it("survives a client that resets its connection and keeps serving others", async () => {
    harness = new Harness();
    const logger = recordingLogger();
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0), { logger });
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;

    const rude = await harness.connect({ host: "127.0.0.1", port });
    const reset = await harness.queue.next();
    // Read so the RST surfaces as an 'error' on the server socket.
    reset.transport.resume();
    rude.resetAndDestroy();
    await reset.closed;
    expect(logger.debug).toHaveBeenCalledWith(
      expect.objectContaining({ connectionId: reset.id, err: expect.objectContaining({ code: "ECONNRESET" }) }),
      expect.stringContaining("reset"),
    );

    const polite = await harness.connect({ host: "127.0.0.1", port });
    const served = await harness.queue.next();
    polite.write("ok?");
    expect((await readBytes(served.transport, 3)).toString()).toBe("ok?");
  });

  it("aborts the connection and logs when the connection handler throws", async () => {
    harness = new Harness();
    const logger = recordingLogger();
    const listener = await new SocketTransportFactory({ logger }).bind(ipEndPoint("127.0.0.1", 0), () => {
      throw new Error("handler bug");
    });
    try {
      const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
      const client = await harness.connect({ host: "127.0.0.1", port });
      client.resume();
      await once(client, "close");
      expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), expect.any(String));
    } finally {
      await listener.unbind();
    }
  });

  it("aborts the connection and logs when an async connection handler rejects", async () => {
    harness = new Harness();
    const logger = recordingLogger();
    const listener = await new SocketTransportFactory({ logger }).bind(ipEndPoint("127.0.0.1", 0), async () => {
      throw new Error("async handler bug");
    });
    try {
      const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
      const client = await harness.connect({ host: "127.0.0.1", port });
      client.resume();
      await once(client, "close");
      expect(logger.error).toHaveBeenCalledTimes(1);
    } finally {
      await listener.unbind();
    }
  });
});
