import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualHeartbeat } from "../test/manual-heartbeat.js";
import { HandshakeTimeouts } from "./handshake-timeouts.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("HandshakeTimeouts", () => {
  it("fires a deadline on the first heartbeat tick at or after it, and only once", () => {
    const heartbeat = new ManualHeartbeat();
    const timeouts = new HandshakeTimeouts(10_000, heartbeat);
    const onTimeout = vi.fn();
    timeouts.start(onTimeout);
    heartbeat.tick(9_999);
    expect(onTimeout).not.toHaveBeenCalled();
    heartbeat.tick(1);
    heartbeat.tick(1_000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it("registers with the heartbeat only while handshakes are pending", () => {
    const heartbeat = new ManualHeartbeat();
    const timeouts = new HandshakeTimeouts(10_000, heartbeat);
    expect(heartbeat.handlers.size).toBe(0);
    const first = timeouts.start(() => {});
    const second = timeouts.start(() => {});
    expect(heartbeat.handlers.size).toBe(1);
    timeouts.stop(first);
    expect(heartbeat.handlers.size).toBe(1);
    timeouts.stop(second);
    expect(heartbeat.handlers.size).toBe(0);
    expect(timeouts.pendingCount).toBe(0);
  });

  it("never fires a deadline that was stopped", () => {
    const heartbeat = new ManualHeartbeat();
    const timeouts = new HandshakeTimeouts(1_000, heartbeat);
    const onTimeout = vi.fn();
    timeouts.stop(timeouts.start(onTimeout));
    heartbeat.tick(5_000);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it("falls back to one cleared timer per handshake without a heartbeat", () => {
    vi.useFakeTimers();
    const timeouts = new HandshakeTimeouts(200);
    const fired = vi.fn();
    const stopped = vi.fn();
    timeouts.start(fired);
    timeouts.stop(timeouts.start(stopped));
    vi.advanceTimersByTime(200);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(stopped).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
