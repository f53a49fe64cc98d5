import { describe, expect, it } from "vitest";
import { ConfigurationBindingError, parseTimeSpan } from "../../src/configuration/index.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("parseTimeSpan", () => {
  it.each([
    ["00:00:30", 30 * SECOND],
    ["00:02:10", 130 * SECOND],
    ["1.02:03:04.5", DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND + 500],
    ["1:02:03:04", DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND],
    ["1:02:03:04.25", DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND + 250],
    ["5", 5 * DAY],
    ["0", 0],
    ["01:30", HOUR + 30 * MINUTE],
    ["2.01:30", 2 * DAY + HOUR + 30 * MINUTE],
    ["1:2:3", HOUR + 2 * MINUTE + 3 * SECOND],
    ["23:59:59.9999999", DAY - 0.0001],
    ["00:00:00.001", 1],
    ["  00:00:01  ", SECOND],
    ["-00:00:00.001", -1],
    ["-1", -DAY],
    ["-00:00:00", 0],
  ])("parses %j as %d ms", (raw, expected) => {
    expect(parseTimeSpan(raw)).toBeCloseTo(expected, 6);
  });

  it.each([
    ["24:00:00", "hours above 23"],
    ["00:60:00", "minutes above 59"],
    ["00:00:60", "seconds above 59"],
    ["abc", "text"],
    ["", "an empty string"],
    ["1.5", "a decimal without colon"],
    ["00:00.5", "a fraction without seconds"],
    ["00:00:00.12345678", "more than seven fraction digits"],
    ["1:2:3:4:5", "too many components"],
    ["00:00:", "a dangling colon"],
    ["10675200", "more days than TimeSpan.MaxValue"],
  ])("rejects %j (%s)", (raw) => {
    expect(() => parseTimeSpan(raw)).toThrow(ConfigurationBindingError);
  });

  it("names the key in its error", () => {
    try {
      parseTimeSpan("soon", "Kestrel:Limits:KeepAliveTimeout");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigurationBindingError);
      expect((err as ConfigurationBindingError).key).toBe("Kestrel:Limits:KeepAliveTimeout");
      expect((err as ConfigurationBindingError).message).toBe(
        "Failed to convert configuration value at 'Kestrel:Limits:KeepAliveTimeout' to TimeSpan: 'soon'",
      );
    }
  });
});
