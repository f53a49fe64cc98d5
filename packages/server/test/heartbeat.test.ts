import type { Socket } from "node:net";
import { ManualClock } from "@x/abstractions";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DateHeaderValue, Heartbeat, Server, ServerOptions } from "../src/index.js";
import { CapturingLoggerFactory, closed, hello, portOf, readResponse, readToClose, Resources } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
}

async function startWithClock(configure: (options: ServerOptions) => void = () => {}) {
  const clock = new ManualClock();
  const options = new ServerOptions();
  configure(options);
  const server = res.server(new Server(options, { clock, startHeartbeatTimer: false }));
  server.options.listen("127.0.0.1", 0);
  await server.start(hello);
  const client = await res.connect({ host: "127.0.0.1", port: portOf(server.addresses[0]!) });
  return { clock, server, client };
}

describe("heartbeat", () => {
  it("closes an idle keep-alive connection once the clock passes keepAliveTimeout and the heartbeat ticks", async () => {
    const { clock, server, client } = await startWithClock((o) => {
      o.limits.keepAliveTimeout = 10_000;
    });
    send(client, "/first");
    expect((await readResponse(client)).status).toBe(200);
    expect(server.heartbeat.handlerCount).toBe(1);

    // Just short of the timeout the connection is still usable.
    clock.advance(9_000);
    server.heartbeat.tick();
    send(client, "/second");
    expect((await readResponse(client)).body).toBe("hello /second");

    // The idle period restarts after each response, counted from the last tick plus one
    // heartbeat interval (Kestrel's TimeoutControl: a timeout never fires early).
    clock.advance(10_000);
    server.heartbeat.tick();
    expect(client.destroyed).toBe(false);
    clock.advance(1_000);
    server.heartbeat.tick();
    await closed(client);
    await vi.waitFor(() => expect(server.heartbeat.handlerCount).toBe(0), { timeout: 3_000 });
  });

  it("answers 408 and closes when request headers do not arrive within requestHeadersTimeout", async () => {
    const { clock, server, client } = await startWithClock((o) => {
      o.limits.requestHeadersTimeout = 2_000;
      o.limits.keepAliveTimeout = 3_600_000;
    });
    const received = readToClose(client);
    client.write("GET / HTTP/1.1\r\nHost: test\r\n");
    // The deadline starts when the server sees the first bytes, which the
    // test cannot observe: move time in steps until the timeout fires.
    await vi.waitFor(
      () => {
        clock.advance(2_001);
        server.heartbeat.tick();
        expect(client.destroyed).toBe(true);
      },
      { timeout: 3_000, interval: 20 },
    );
    expect(await received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it("refreshes the cached Date header when the clock moves a second and the heartbeat ticks", async () => {
    const { clock, server, client } = await startWithClock();
    send(client, "/");
    expect((await readResponse(client)).headers.date).toBe("Thu, 01 Jan 2026 00:00:00 GMT");

    // Without a tick the cached value stays: no per-request date formatting.
    clock.advance(1_000);
    send(client, "/");
    expect((await readResponse(client)).headers.date).toBe("Thu, 01 Jan 2026 00:00:00 GMT");

    server.heartbeat.tick();
    send(client, "/");
    expect((await readResponse(client)).headers.date).toBe("Thu, 01 Jan 2026 00:00:01 GMT");
  });
});

describe("Heartbeat", () => {
  it("calls every handler with the clock's time and keeps going when one throws", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const logs = new CapturingLoggerFactory();
    const heartbeat = new Heartbeat(clock, logs.createLogger("test"));
    const seen: number[] = [];
    heartbeat.add({
      onHeartbeat: () => {
        throw new Error("handler bug");
      },
    });
    const handler = { onHeartbeat: (now: number) => seen.push(now) };
    heartbeat.add(handler);
    heartbeat.tick();
    expect(seen).toEqual([clock.now()]);
    expect(logs.at("error")).toHaveLength(1);

    heartbeat.remove(handler);
    heartbeat.tick();
    expect(seen).toHaveLength(1);
  });

  it("formats the Date header as an RFC 9110 IMF-fixdate and updates it only when the second changes", () => {
    const date = new DateHeaderValue(Date.UTC(2026, 1, 3, 4, 5, 6, 100));
    expect(date.value).toBe("Tue, 03 Feb 2026 04:05:06 GMT");
    date.update(Date.UTC(2026, 1, 3, 4, 5, 6, 900));
    expect(date.value).toBe("Tue, 03 Feb 2026 04:05:06 GMT");
    date.update(Date.UTC(2026, 1, 3, 4, 5, 7));
    expect(date.value).toBe("Tue, 03 Feb 2026 04:05:07 GMT");
  });
});
