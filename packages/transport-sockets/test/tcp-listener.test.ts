import { ipEndPoint } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { canBindIPv6Loopback, Harness, readBytes } from "./helpers.js";

const hasIPv6Loopback = await canBindIPv6Loopback();
if (!hasIPv6Loopback) {
  console.log("Skipping IPv6 tests: this host cannot bind ::1 (IPv6 loopback unavailable).");
}

describe("TCP listener", () => {
  let harness: Harness;
  afterEach(async () => {
    await harness.cleanup();
  });

  it("binds 127.0.0.1 port 0, reports the real port, and moves bytes both ways", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0));
    expect(listener.endPoint.kind).toBe("ip");
    if (listener.endPoint.kind !== "ip") return;
    expect(listener.endPoint.address).toBe("127.0.0.1");
    expect(listener.endPoint.family).toBe(4);
    expect(listener.endPoint.port).toBeGreaterThan(0);

    const client = await harness.connect({ host: "127.0.0.1", port: listener.endPoint.port });
    const connection = await harness.queue.next();

    client.write("ping from client");
    expect((await readBytes(connection.transport, 16)).toString()).toBe("ping from client");
    connection.transport.write("pong from server");
    expect((await readBytes(client, 16)).toString()).toBe("pong from server");
  });

  it("reports the local and remote endpoints of an accepted connection", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0));
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
    const client = await harness.connect({ host: "127.0.0.1", port });
    const connection = await harness.queue.next();

    expect(connection.id).toMatch(/^[0-9A-V]{13}$/);
    expect(connection.localEndPoint).toEqual(ipEndPoint("127.0.0.1", port));
    expect(connection.remoteEndPoint).toEqual(ipEndPoint("127.0.0.1", client.localPort!));
  });

  it("binds the IPv4 any address for IPv4 clients and reports it as 0.0.0.0", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("0.0.0.0", 0));
    expect(listener.endPoint).toMatchObject({ address: "0.0.0.0", family: 4 });
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
    await harness.connect({ host: "127.0.0.1", port });
    const connection = await harness.queue.next();
    expect(connection.localEndPoint).toEqual(ipEndPoint("127.0.0.1", port));
  });

  it.skipIf(!hasIPv6Loopback)("binds the IPv6 loopback ::1 and reports IPv6 endpoints", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("::1", 0));
    expect(listener.endPoint).toMatchObject({ kind: "ip", address: "::1", family: 6 });
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
    expect(port).toBeGreaterThan(0);

    const client = await harness.connect({ host: "::1", port });
    const connection = await harness.queue.next();
    expect(connection.localEndPoint).toEqual(ipEndPoint("::1", port));
    expect(connection.remoteEndPoint).toEqual(ipEndPoint("::1", client.localPort!));
    client.write("v6");
    expect((await readBytes(connection.transport, 2)).toString()).toBe("v6");
  });

  it.skipIf(!hasIPv6Loopback)("accepts both IPv4 and IPv6 clients on the dual-stack any address ::", async () => {
    harness = new Harness();
    const listener = await harness.bind(ipEndPoint("::", 0));
    expect(listener.endPoint).toMatchObject({ address: "::", family: 6 });
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;

    await harness.connect({ host: "127.0.0.1", port });
    const v4 = await harness.queue.next();
    // A dual-stack socket sees IPv4 peers as IPv4-mapped IPv6 addresses.
    expect(v4.remoteEndPoint).toMatchObject({ address: "::ffff:127.0.0.1", family: 6 });

    await harness.connect({ host: "::1", port });
    const v6 = await harness.queue.next();
    expect(v6.remoteEndPoint).toMatchObject({ address: "::1", family: 6 });
  });
});
