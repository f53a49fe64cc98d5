import { once } from "node:events";
import { existsSync, lstatSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unixEndPoint } from "@x/abstractions";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AddressInUseError } from "../src/index.js";
import { connectError, Harness, readBytes } from "./helpers.js";

describe("Unix domain socket listener", () => {
  let harness: Harness;
  let dir: string;
  let path: string;
  beforeEach(() => {
    harness = new Harness();
    dir = mkdtempSync(join(tmpdir(), "x-transport-"));
    path = join(dir, "kestrel.sock");
  });
  afterEach(async () => {
    await harness.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts a connection with the socket path as local endpoint and no remote endpoint", async () => {
    const listener = await harness.bind(unixEndPoint(path));
    expect(listener.endPoint).toEqual(unixEndPoint(path));
    expect(lstatSync(path).isSocket()).toBe(true);

    const client = await harness.connect({ path });
    const connection = await harness.queue.next();
    expect(connection.localEndPoint).toEqual(unixEndPoint(path));
    expect(connection.remoteEndPoint).toBeNull();

    client.write("hello");
    expect((await readBytes(connection.transport, 5)).toString()).toBe("hello");
    connection.transport.write("world");
    expect((await readBytes(client, 5)).toString()).toBe("world");
  });

  it("replaces a stale socket file that nobody listens on", async () => {
    // Leave a socket file without a listener, as a crashed process would:
    // move the live file aside, then close the server that owned it.
    const crashed = createServer();
    crashed.listen({ path: join(dir, "crashed.sock") });
    await once(crashed, "listening");
    renameSync(join(dir, "crashed.sock"), path);
    crashed.close();
    await once(crashed, "close");
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(await connectError({ path })).toBe("ECONNREFUSED");

    await harness.bind(unixEndPoint(path));
    await harness.connect({ path });
    await expect(harness.queue.next()).resolves.toBeDefined();
  });

  it("fails with AddressInUseError when a live server listens on the path", async () => {
    const live = createServer();
    live.listen({ path });
    await once(live, "listening");
    try {
      await expect(harness.bind(unixEndPoint(path))).rejects.toBeInstanceOf(AddressInUseError);
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      live.close();
    }
  });

  it("fails with AddressInUseError and leaves a regular file at the path untouched", async () => {
    writeFileSync(path, "precious data");
    const error = await harness.bind(unixEndPoint(path)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AddressInUseError);
    expect(error).toMatchObject({ code: "ERR_X_TRANSPORT_ADDRESS_IN_USE" });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(readFileSync(path, "utf8")).toBe("precious data");
  });

  it("removes the socket file on unbind", async () => {
    const listener = await harness.bind(unixEndPoint(path));
    expect(existsSync(path)).toBe(true);
    await listener.unbind();
    expect(existsSync(path)).toBe(false);
  });
});
