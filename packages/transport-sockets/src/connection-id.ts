/**
 * Connection ids in Kestrel's format (`CorrelationIdGenerator`): 13 base32
 * digits encoding a 64-bit counter.
 *
 * @module
 */

// Kestrel's alphabet: digits then A-V, so ids sort like the counter they encode.
const kDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

// .NET ticks (100 ns since 0001-01-01) at the Unix epoch. Seeding from ticks
// instead of a fixed value keeps ids from colliding across process restarts,
// which matters when logs of several runs are read together.
const kEpochTicks = 621_355_968_000_000_000n;
const kTicksPerMillisecond = 10_000n;

let lastId = BigInt.asUintN(64, kEpochTicks + BigInt(Date.now()) * kTicksPerMillisecond);

/**
 * Returns the next connection id of this process, e.g. `0HN7A1B2C3D4E`.
 *
 * Ids are unique per process: each call increments a 64-bit counter (wrapping
 * like Kestrel's `Interlocked.Increment`) and writes it as 13 base32 digits,
 * most significant first (13 × 5 bits covers all 64).
 *
 * @example
 * createConnectionId(); // "0HN7A1B2C3D4E"
 */
export function createConnectionId(): string {
  lastId = BigInt.asUintN(64, lastId + 1n);
  // Split into two 32-bit halves once so the digit loop stays in Number math.
  const high = Number(lastId >> 32n);
  const low = Number(lastId & 0xffff_ffffn);
  let id = "";
  for (let shift = 60; shift >= 0; shift -= 5) {
    id += kDigits[digitAt(high, low, shift)];
  }
  return id;
}

/** The 5-bit digit of the 64-bit value `high:low` starting at bit `shift`. */
function digitAt(high: number, low: number, shift: number): number {
  if (shift >= 32) return (high >>> (shift - 32)) & 31;
  if (shift + 5 <= 32) return (low >>> shift) & 31;
  // The digit straddles the halves (shift 30: bits 30-34).
  return ((low >>> shift) | (high << (32 - shift))) & 31;
}
