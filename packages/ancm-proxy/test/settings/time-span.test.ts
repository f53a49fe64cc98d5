import { describe, expect, it } from "vitest";
import { AncmSettingsError, parseRequestTimeout } from "../../src/settings/index.js";

describe("parseRequestTimeout", () => {
  it.each([
    ["00:00:00", 0],
    ["00:02:00", 120_000],
    ["00:00:59", 59_000],
    ["00:59:00", 3_540_000],
    ["01:00:00", 3_600_000],
    ["359:59:59", (359 * 3600 + 59 * 60 + 59) * 1000],
    ["360:00:00", 360 * 3600 * 1000],
    ["1:2:3", 3_723_000],
    [" 00:01:00 ", 60_000],
    ["0360:00:00", 360 * 3600 * 1000],
  ])("%j → %d ms", (value, ms) => {
    expect(parseRequestTimeout(value, "requestTimeout", "web.config")).toBe(ms);
  });

  it.each([
    ["360:00:01", /out of range/],
    ["361:00:00", /out of range/],
    ["00:60:00", /minutes and seconds must be 0 to 59/],
    ["00:00:60", /minutes and seconds must be 0 to 59/],
    ["120", /hh:mm:ss/],
    ["2", /hh:mm:ss/],
    ["1.00:00:00", /hh:mm:ss/],
    ["00:00:01.5", /hh:mm:ss/],
    ["-00:01:00", /hh:mm:ss/],
    ["00:01", /hh:mm:ss/],
    ["", /hh:mm:ss/],
    ["garbage", /hh:mm:ss/],
    ["00:001:00", /hh:mm:ss/],
  ])("rejects %j", (value, why) => {
    let error: unknown;
    try {
      parseRequestTimeout(value, "requestTimeout", "web.config");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AncmSettingsError);
    const e = error as AncmSettingsError;
    expect(e.attribute).toBe("requestTimeout");
    expect(e.source).toBe("web.config");
    expect(e.code).toBe("ERR_X_ANCM_SETTINGS");
    expect(e.message).toMatch(/^web\.config: aspNetCore\/@requestTimeout: /);
    expect(e.message).toMatch(why);
  });
});
