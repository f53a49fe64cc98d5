import { describe, expect, it } from "vitest";
import { createConnectionId } from "../src/index.js";

/** Reads an id back as the 64-bit counter it encodes. */
function decode(id: string): bigint {
  let value = 0n;
  for (const digit of id) value = (value << 5n) | BigInt("0123456789ABCDEFGHIJKLMNOPQRSTUV".indexOf(digit));
  return value;
}

describe("createConnectionId", () => {
  it("returns 13 base32 characters from Kestrel's alphabet", () => {
    expect(createConnectionId()).toMatch(/^[0-9A-V]{13}$/);
  });

  it("never repeats over 10,000 calls", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(createConnectionId());
    expect(ids.size).toBe(10_000);
  });

  it("encodes a counter seeded from .NET ticks and incremented by one per call", () => {
    const nowTicks = 621_355_968_000_000_000n + BigInt(Date.now()) * 10_000n;
    const first = decode(createConnectionId());
    const second = decode(createConnectionId());
    expect(second - first).toBe(1n);
    // Seeded at module load and advanced once per call since, so never ahead of the clock.
    expect(first).toBeLessThan(nowTicks);
    expect(nowTicks - first).toBeLessThan(10_000_000_000n);
  });

  it("counts upwards, so later ids sort after earlier ones", () => {
    const first = createConnectionId();
    const second = createConnectionId();
    expect(second > first).toBe(true);
  });
});
