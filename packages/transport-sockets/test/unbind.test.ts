import { ipEndPoint } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { connectError, Harness, readBytes } from "./helpers.js";

describe("unbind", () => {
  let harness: Harness;
  afterEach(async () => {
    await harness.cleanup();
  });

  it("stops accepting new connections while an accepted connection keeps working", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0));
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
    const client = await harness.connect({ host: "127.0.0.1", port });
    const connection = await harness.queue.next();

    await listener.unbind();
    expect(await connectError({ host: "127.0.0.1", port })).toBe("ECONNREFUSED");

    client.write("still here");
    expect((await readBytes(connection.transport, 10)).toString()).toBe("still here");
    connection.transport.write("and so am I");
    expect((await readBytes(client, 11)).toString()).toBe("and so am I");
  });

  it("can be called more than once", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0));
    await Promise.all([listener.unbind(), listener.unbind()]);
    await expect(listener.unbind()).resolves.toBeUndefined();
  });
});
