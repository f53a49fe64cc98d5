import { Socket } from "node:net";
import { ipEndPoint } from "@x/abstractions";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Harness } from "./helpers.js";

/** The arguments `setNoDelay` was called with on `socket`. */
function noDelayCalls(spy: { mock: { calls: unknown[][]; contexts: unknown[] } }, socket: unknown): unknown[][] {
  return spy.mock.calls.filter((_, i) => spy.mock.contexts[i] === socket);
}

describe("accepted socket options", () => {
  let harness: Harness;
  afterEach(async () => {
    vi.restoreAllMocks();
    await harness.cleanup();
  });

  it("disables Nagle's algorithm on accepted sockets by default", async () => {
    harness = new Harness();
    const spy = vi.spyOn(Socket.prototype, "setNoDelay");
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0));
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
    await harness.connect({ host: "127.0.0.1", port });
    const connection = await harness.queue.next();
    expect(noDelayCalls(spy, connection.transport)).toEqual([[true]]);
  });

  it("leaves Nagle's algorithm on when noDelay is false", async () => {
    harness = new Harness();
    const spy = vi.spyOn(Socket.prototype, "setNoDelay");
    const listener = await harness.bind(ipEndPoint("127.0.0.1", 0), { noDelay: false });
    const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
    await harness.connect({ host: "127.0.0.1", port });
    const connection = await harness.queue.next();
    expect(noDelayCalls(spy, connection.transport)).toEqual([[false]]);
  });
});
