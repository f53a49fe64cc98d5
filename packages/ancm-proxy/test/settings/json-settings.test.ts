import { describe, expect, it } from "vitest";
import { AncmSettingsError, parseAncmJson } from "../../src/settings/index.js";

function catchError(fn: () => unknown): AncmSettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AncmSettingsError);
    return err as AncmSettingsError;
  }
  throw new Error("expected an AncmSettingsError");
}

describe("parseAncmJson", () => {
  it("reads attributes, turning numbers and booleans into text", () => {
    const raw = parseAncmJson(
      JSON.stringify({
        $schema: "./ancm.schema.json",
        processPath: "node",
        arguments: "server.js",
        startupTimeLimit: 60,
        stdoutLogEnabled: true,
        hostingModel: "OutOfProcess",
        requestTimeout: "00:05:00",
        arguments2: null,
      }),
      "ancm.json",
    );
    expect(raw.attributes).toEqual({
      processPath: "node",
      arguments: "server.js",
      startupTimeLimit: "60",
      stdoutLogEnabled: "true",
      hostingModel: "OutOfProcess",
      requestTimeout: "00:05:00",
    });
    expect(raw.warnings).toEqual([]);
  });

  it("reads environmentVariables and handlerSettings as objects or as name/value arrays, keys in any case", () => {
    const asObjects = parseAncmJson(
      JSON.stringify({
        processPath: "node",
        EnvironmentVariables: { NODE_ENV: "production", PORT_OFFSET: 2, FLAG: false },
        handlersettings: { debugLevel: "FILE,TRACE" },
      }),
      "ancm.json",
    );
    expect(asObjects.environmentVariables).toEqual([
      { name: "NODE_ENV", value: "production" },
      { name: "PORT_OFFSET", value: "2" },
      { name: "FLAG", value: "false" },
    ]);
    expect(asObjects.handlerSettings).toEqual([{ name: "debugLevel", value: "FILE,TRACE" }]);

    const asArrays = parseAncmJson(
      JSON.stringify({
        processPath: "node",
        environmentVariables: [{ name: "NODE_ENV", value: "production" }],
        handlerSettings: [{ Name: "debugLevel", Value: "FILE,TRACE" }],
      }),
      "ancm.json",
    );
    expect(asArrays.environmentVariables).toEqual([{ name: "NODE_ENV", value: "production" }]);
    expect(asArrays.handlerSettings).toEqual([{ name: "debugLevel", value: "FILE,TRACE" }]);
  });

  it("accepts the settings wrapped in { aspNetCore: { ... } }", () => {
    const raw = parseAncmJson(JSON.stringify({ $schema: "x", aspNetCore: { processPath: "node", shutdownTimeLimit: 5 }, other: 1 }), "ancm.json");
    expect(raw.attributes).toEqual({ processPath: "node", shutdownTimeLimit: "5" });
    expect(raw.warnings).toEqual(["other: outside aspNetCore; ignored"]);
    const lower = parseAncmJson(JSON.stringify({ aspnetcore: { processPath: "node" } }), "ancm.json");
    expect(lower.attributes).toEqual({ processPath: "node" });
  });

  it("ignores nested objects it does not know with a warning", () => {
    const raw = parseAncmJson(JSON.stringify({ processPath: "node", recycleOnFileChange: ["a.js"] }), "ancm.json");
    expect(raw.attributes).toEqual({ processPath: "node" });
    expect(raw.warnings).toEqual(["aspNetCore/recycleOnFileChange: not a string, number or boolean; ignored"]);
  });

  it("names the file, line and column of invalid JSON", () => {
    const e = catchError(() => parseAncmJson('{\n  "processPath": "node",\n}', "/site/ancm.json"));
    expect(e.source).toBe("/site/ancm.json");
    expect(e.attribute).toBe("");
    expect(e.message).toMatch(/^\/site\/ancm\.json: invalid JSON at line 3, column 1 \(position 27\): /);
    const end = catchError(() => parseAncmJson('{"processPath":', "ancm.json"));
    expect(end.message).toMatch(/^ancm\.json: invalid JSON at line 1, column 16 \(position 15\): /);
    expect(catchError(() => parseAncmJson("", "ancm.json")).message).toMatch(/^ancm\.json: invalid JSON/);
  });

  it("rejects a top level that is not an object, and values of the wrong type", () => {
    expect(catchError(() => parseAncmJson("[1]", "ancm.json")).message).toBe("ancm.json: the settings must be a JSON object");
    expect(catchError(() => parseAncmJson('"x"', "ancm.json")).message).toBe("ancm.json: the settings must be a JSON object");
    expect(catchError(() => parseAncmJson('{"aspNetCore": 1}', "ancm.json")).attribute).toBe("aspNetCore");
    const env = catchError(() => parseAncmJson('{"environmentVariables": {"FOO": {"x": 1}}}', "ancm.json"));
    expect(env.attribute).toBe("environmentVariables/environmentVariable[@name=FOO]");
    expect(env.message).toBe("ancm.json: aspNetCore/environmentVariables/environmentVariable[@name=FOO]: the value must be a string, number or boolean");
    expect(catchError(() => parseAncmJson('{"environmentVariables": "FOO=1"}', "ancm.json")).attribute).toBe("environmentVariables");
    expect(catchError(() => parseAncmJson('{"handlerSettings": [{"value": "x"}]}', "ancm.json")).attribute).toBe(
      "handlerSettings/handlerSetting[1]",
    );
    expect(catchError(() => parseAncmJson('{"handlerSettings": [{"name": "debugLevel"}]}', "ancm.json")).attribute).toBe(
      "handlerSettings/handlerSetting[@name=debugLevel]",
    );
  });
});
