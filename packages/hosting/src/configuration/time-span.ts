/**
 * .NET `TimeSpan` strings, the form durations take in appsettings.json
 * (`"KeepAliveTimeout": "00:02:10"`), converted to milliseconds.
 *
 * @module
 */
import { ConfigurationBindingError } from "./errors.js";

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
/** .NET ticks are 100 ns: 10,000 per millisecond. */
const TICKS_PER_MS = 10_000;
/**
 * `TimeSpan.MaxValue` (10675199.02:48:05.4775807) is 922337203685477.5807 ms;
 * a double holds it only to 1/8 ms at this size, hence the rounded literal.
 */
const MAX_MS = 922_337_203_685_477.5;

// The invariant "c"/"g" shapes TimeSpan.Parse accepts:
//   d                      a plain integer is a number of days
//   [d.]hh:mm[:ss[.f]]     the common form
//   d:hh:mm:ss[.f]         colon as the day separator
const DAYS_ONLY = /^(-)?(\d+)$/;
const DOT_DAYS = /^(-)?(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?$/;
const COLON_DAYS = /^(-)?(\d+):(\d+):(\d+):(\d+)(?:\.(\d+))?$/;

/**
 * Parses a .NET `TimeSpan` string and returns milliseconds (fractions of a
 * millisecond are kept). As in .NET, `"5"` is five days, hours must be 0-23,
 * minutes and seconds 0-59, the fraction has at most 7 digits (100 ns ticks),
 * and a leading `-` makes it negative (`"-00:00:00.001"` is .NET's
 * `Timeout.InfiniteTimeSpan`).
 *
 * Usable directly as a binder converter.
 *
 * @example
 * parseTimeSpan("00:00:30"); // 30000
 * parseTimeSpan("1.02:03:04.5"); // 93784500
 * bind(config.getSection("Kestrel:Limits"), limits, { converters: { keepAliveTimeout: parseTimeSpan } });
 *
 * @throws ConfigurationBindingError naming `key` when `raw` is not a valid TimeSpan.
 */
export function parseTimeSpan(raw: string, key = ""): number {
  const text = raw.trim();
  let match = DAYS_ONLY.exec(text);
  if (match !== null) return finish(match[1], match[2], "0", "0", "0", undefined, raw, key);
  match = DOT_DAYS.exec(text);
  if (match !== null) return finish(match[1], match[2] ?? "0", match[3], match[4], match[5] ?? "0", match[6], raw, key);
  match = COLON_DAYS.exec(text);
  if (match !== null) return finish(match[1], match[2], match[3], match[4], match[5], match[6], raw, key);
  throw new ConfigurationBindingError(key, raw, "TimeSpan");
}

function finish(
  sign: string | undefined,
  days: string,
  hours: string,
  minutes: string,
  seconds: string,
  fraction: string | undefined,
  raw: string,
  key: string,
): number {
  const d = Number(days);
  const h = Number(hours);
  const m = Number(minutes);
  const s = Number(seconds);
  // .NET answers OverflowException for these; configuration reports both kinds the same way.
  if (h > 23 || m > 59 || s > 59 || (fraction !== undefined && fraction.length > 7)) {
    throw new ConfigurationBindingError(key, raw, "TimeSpan");
  }
  const ticks = fraction === undefined ? 0 : Number(fraction.padEnd(7, "0"));
  const total = d * MS_PER_DAY + h * MS_PER_HOUR + m * MS_PER_MINUTE + s * MS_PER_SECOND + ticks / TICKS_PER_MS;
  if (total > MAX_MS) throw new ConfigurationBindingError(key, raw, "TimeSpan");
  // `0 - total` rather than `-total`, so "-00:00:00" is 0 and not -0.
  return sign === "-" ? 0 - total : total;
}
