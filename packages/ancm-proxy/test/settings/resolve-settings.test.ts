import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ANCM_DEFAULTS,
  AncmSettingsError,
  type AncmSettings,
  type RawAncmSettings,
  type RawNameValue,
  resolveAncmSettings,
} from "../../src/settings/index.js";

const ROOT = "/srv/site";
const SOURCE = "web.config";

interface Extra {
  env?: NodeJS.ProcessEnv;
  environmentVariables?: RawNameValue[];
  handlerSettings?: RawNameValue[];
  warnings?: string[];
  siteRoot?: string;
}

function raw(attributes: Record<string, string>, extra: Extra = {}): RawAncmSettings {
  return {
    attributes,
    environmentVariables: extra.environmentVariables ?? [],
    handlerSettings: extra.handlerSettings ?? [],
    warnings: extra.warnings ?? [],
  };
}

function resolve(attributes: Record<string, string>, extra: Extra = {}): AncmSettings {
  return resolveAncmSettings(raw(attributes, extra), extra.siteRoot ?? ROOT, SOURCE, extra.env ?? {});
}

function resolveError(attributes: Record<string, string>, extra: Extra = {}): AncmSettingsError {
  try {
    resolve(attributes, extra);
  } catch (err) {
    expect(err).toBeInstanceOf(AncmSettingsError);
    return err as AncmSettingsError;
  }
  throw new Error("expected an AncmSettingsError");
}

const node = { processPath: "node" };
const outOfProcess = { processPath: "node", hostingModel: "outofprocess" };

describe("resolveAncmSettings: defaults", () => {
  it("applies ANCM's default for every attribute", () => {
    expect(resolve(node)).toEqual({
      siteRoot: ROOT,
      source: SOURCE,
      processPath: "node",
      arguments: "",
      argumentList: [],
      hostingModel: "inprocess",
      environmentVariables: {},
      processesPerApplication: 1,
      startupTimeLimitMs: 120_000,
      shutdownTimeLimitMs: 10_000,
      requestTimeoutMs: 120_000,
      rapidFailsPerMinute: 10,
      stdoutLogEnabled: false,
      stdoutLogFile: `${ROOT}/aspnetcore-stdout`,
      disableStartUpErrorPage: false,
      debugLog: { level: null, toFile: false, toConsole: false, file: `${ROOT}/aspnetcore-debug.log` },
      forwardingPipeline: { depth: 16, patienceMs: 100 },
      handlerSettings: {},
      warnings: [],
    } satisfies AncmSettings);
    expect(ANCM_DEFAULTS.hostingModel).toBe("inprocess");
  });

  it("makes a relative site root absolute", () => {
    const s = resolve(node, { siteRoot: "relative/site" });
    expect(s.siteRoot).toBe(path.resolve("relative/site"));
    expect(s.stdoutLogFile).toBe(path.join(path.resolve("relative/site"), "aspnetcore-stdout"));
  });

  it("keeps the parser's warnings first", () => {
    expect(resolve({ ...node, foo: "1" }, { warnings: ["from the parser"] }).warnings).toEqual([
      "from the parser",
      "aspNetCore/@foo: unknown attribute; ignored",
    ]);
  });
});

describe("resolveAncmSettings: integer ranges", () => {
  const cases = [
    { name: "startupTimeLimit", min: 0, max: 3600, unit: " seconds", pick: (s: AncmSettings) => s.startupTimeLimitMs / 1000 },
    { name: "shutdownTimeLimit", min: 0, max: 600, unit: " seconds", pick: (s: AncmSettings) => s.shutdownTimeLimitMs / 1000 },
    { name: "rapidFailsPerMinute", min: 0, max: 100, unit: "", pick: (s: AncmSettings) => s.rapidFailsPerMinute },
    { name: "processesPerApplication", min: 1, max: 100, unit: "", pick: (s: AncmSettings) => s.processesPerApplication },
  ] as const;

  for (const { name, min, max, unit, pick } of cases) {
    describe(name, () => {
      it.each([min, max, Math.floor((min + max) / 2)])("accepts %d", (n) => {
        expect(pick(resolve({ ...outOfProcess, [name]: String(n) }))).toBe(n);
      });

      it("accepts surrounding whitespace and a plus sign", () => {
        expect(pick(resolve({ ...outOfProcess, [name]: ` ${max} ` }))).toBe(max);
        expect(pick(resolve({ ...outOfProcess, [name]: `+${max}` }))).toBe(max);
      });

      it.each([String(max + 1), String(min - 1), "-1", "99999999999999999999"])("rejects %j as out of range", (value) => {
        const e = resolveError({ ...outOfProcess, [name]: value });
        expect(e.attribute).toBe(name);
        expect(e.source).toBe(SOURCE);
        expect(e.message).toBe(`web.config: aspNetCore/@${name}: '${value}' is out of range (${min} to ${max}${unit})`);
      });

      it.each(["1.5", "10s", "abc", "", "0x10", "1e2"])("rejects %j as not an integer", (value) => {
        const e = resolveError({ ...outOfProcess, [name]: value });
        expect(e.attribute).toBe(name);
        expect(e.message).toBe(`web.config: aspNetCore/@${name}: '${value}' is not an integer (${min} to ${max}${unit})`);
      });
    });
  }

  it("gives the brief's message for startupTimeLimit 4000", () => {
    expect(resolveError({ ...node, startupTimeLimit: "4000" }).message).toBe(
      "web.config: aspNetCore/@startupTimeLimit: '4000' is out of range (0 to 3600 seconds)",
    );
  });

  it("converts seconds to milliseconds", () => {
    const s = resolve({ ...node, startupTimeLimit: "30", shutdownTimeLimit: "5" });
    expect(s.startupTimeLimitMs).toBe(30_000);
    expect(s.shutdownTimeLimitMs).toBe(5_000);
  });

  it("requires processesPerApplication 1 in-process", () => {
    for (const attrs of [{ ...node, processesPerApplication: "2" }, { ...node, hostingModel: "InProcess", processesPerApplication: "2" }]) {
      const e = resolveError(attrs);
      expect(e.attribute).toBe("processesPerApplication");
      expect(e.message).toMatch(/^web\.config: aspNetCore\/@processesPerApplication: '2' is not allowed in-process/);
    }
    expect(resolve({ ...node, processesPerApplication: "1" }).processesPerApplication).toBe(1);
    expect(resolve({ ...outOfProcess, processesPerApplication: "2" }).processesPerApplication).toBe(2);
  });
});

describe("resolveAncmSettings: requestTimeout", () => {
  it.each([
    ["00:00:00", 0],
    ["00:02:00", 120_000],
    ["359:59:59", (359 * 3600 + 59 * 60 + 59) * 1000],
    ["360:00:00", 1_296_000_000],
    ["1:2:3", 3_723_000],
  ])("%j → %d ms", (value, ms) => {
    expect(resolve({ ...outOfProcess, requestTimeout: value }).requestTimeoutMs).toBe(ms);
  });

  it.each(["360:00:01", "00:60:00", "00:00:60", "120", "1.00:00:00", "soon"])("rejects %j", (value) => {
    const e = resolveError({ ...outOfProcess, requestTimeout: value });
    expect(e.attribute).toBe("requestTimeout");
    expect(e.message).toMatch(new RegExp(`^web\\.config: aspNetCore/@requestTimeout: '${value.replace(/\./g, "\\.")}' `));
  });

  it("is validated but noted as not applying in-process, as is rapidFailsPerMinute", () => {
    const s = resolve({ ...node, requestTimeout: "00:00:30", rapidFailsPerMinute: "3" });
    expect(s.requestTimeoutMs).toBe(30_000);
    expect(s.rapidFailsPerMinute).toBe(3);
    expect(s.warnings).toEqual([
      "aspNetCore/@requestTimeout: does not apply in-process; ignored by hostingModel inprocess",
      "aspNetCore/@rapidFailsPerMinute: does not apply in-process; ignored by hostingModel inprocess",
    ]);
    expect(resolve({ ...outOfProcess, requestTimeout: "00:00:30", rapidFailsPerMinute: "3" }).warnings).toEqual([]);
  });
});

describe("resolveAncmSettings: hostingModel and booleans", () => {
  it.each([
    ["inprocess", "inprocess"],
    ["InProcess", "inprocess"],
    ["INPROCESS", "inprocess"],
    ["outofprocess", "outofprocess"],
    ["OutOfProcess", "outofprocess"],
    [" OUTOFPROCESS ", "outofprocess"],
    ["", "inprocess"],
  ])("hostingModel %j → %s", (value, expected) => {
    expect(resolve({ ...node, hostingModel: value }).hostingModel).toBe(expected);
  });

  it("rejects another hosting model", () => {
    const e = resolveError({ ...node, hostingModel: "both" });
    expect(e.attribute).toBe("hostingModel");
    expect(e.message).toBe("web.config: aspNetCore/@hostingModel: 'both' is not a hosting model (inprocess or outofprocess)");
  });

  for (const name of ["stdoutLogEnabled", "disableStartUpErrorPage"] as const) {
    it(`reads ${name} case-insensitively`, () => {
      expect(resolve({ ...node, [name]: "true" })[name]).toBe(true);
      expect(resolve({ ...node, [name]: "TRUE" })[name]).toBe(true);
      expect(resolve({ ...node, [name]: " True " })[name]).toBe(true);
      expect(resolve({ ...node, [name]: "False" })[name]).toBe(false);
      expect(resolve({ ...node, [name]: "false" })[name]).toBe(false);
    });
    it.each(["yes", "1", "0", "", "on"])(`rejects ${name} %j`, (value) => {
      const e = resolveError({ ...node, [name]: value });
      expect(e.attribute).toBe(name);
      expect(e.message).toBe(`web.config: aspNetCore/@${name}: '${value}' is not a boolean (true or false)`);
    });
  }

  it("accepts forwardWindowsAuthToken and ignores it, noting it when true", () => {
    expect(resolve({ ...node, forwardWindowsAuthToken: "true" }).warnings).toEqual([
      "aspNetCore/@forwardWindowsAuthToken: Windows authentication tokens are not forwarded by x-ancm; ignored",
    ]);
    expect(resolve({ ...node, forwardWindowsAuthToken: "FALSE" }).warnings).toEqual([]);
    expect(resolveError({ ...node, forwardWindowsAuthToken: "maybe" }).attribute).toBe("forwardWindowsAuthToken");
  });
});

describe("resolveAncmSettings: attribute names", () => {
  it("matches attribute names case-insensitively without warnings", () => {
    const s = resolve({ PROCESSPATH: "node", StartupTimeLimit: "7", hostingmodel: "OutOfProcess", STDOUTLOGENABLED: "true" });
    expect(s.processPath).toBe("node");
    expect(s.startupTimeLimitMs).toBe(7000);
    expect(s.hostingModel).toBe("outofprocess");
    expect(s.stdoutLogEnabled).toBe(true);
    expect(s.warnings).toEqual([]);
  });

  it("warns about unknown attributes and goes on", () => {
    expect(resolve({ ...node, stackSize: "1", fooBar: "x" }).warnings).toEqual([
      "aspNetCore/@stackSize: unknown attribute; ignored",
      "aspNetCore/@fooBar: unknown attribute; ignored",
    ]);
  });

  it("rejects an attribute given twice in two spellings", () => {
    const e = resolveError({ processPath: "node", ProcessPath: "dotnet" });
    expect(e.attribute).toBe("processPath");
    expect(e.message).toBe("web.config: aspNetCore/@processPath: given twice (as 'processPath' and 'ProcessPath')");
  });
});

describe("resolveAncmSettings: processPath and arguments", () => {
  it("requires processPath", () => {
    const e = resolveError({ arguments: "x" });
    expect(e.attribute).toBe("processPath");
    expect(e.message).toBe("web.config: aspNetCore/@processPath: is required");
    expect(resolveError({ processPath: "" }).message).toBe("web.config: aspNetCore/@processPath: must not be empty");
    expect(resolveError({ processPath: "   " }).attribute).toBe("processPath");
    expect(resolveError({ processPath: "%EMPTY%" }, { env: { EMPTY: "" } }).message).toMatch(/is empty once environment variables are expanded/);
  });

  it.each([
    ["node", "node"],
    ["dotnet", "dotnet"],
    ["node.exe", "node.exe"],
    [".\\MyApp.exe", `${ROOT}/MyApp.exe`],
    ["./bin/app", `${ROOT}/bin/app`],
    ["bin\\app", `${ROOT}/bin/app`],
    ["bin/app", `${ROOT}/bin/app`],
    ["..\\shared\\app", "/srv/shared/app"],
    [".bin", `${ROOT}/.bin`],
    ["/usr/bin/node", "/usr/bin/node"],
    ["\\\\?\\/opt/app/run", "/opt/app/run"],
  ])("processPath %j → %j", (value, expected) => {
    expect(resolve({ processPath: value }).processPath).toBe(expected);
  });

  it("expands %NAME% in processPath from env, exactly or ignoring case, leaving unknown names", () => {
    expect(resolve({ processPath: "%NODE_HOME%\\bin\\node" }, { env: { NODE_HOME: "/opt/node" } }).processPath).toBe("/opt/node/bin/node");
    expect(resolve({ processPath: "%home%/app/run" }, { env: { HOME: "/home/site" } }).processPath).toBe("/home/site/app/run");
    expect(resolve({ processPath: "%Tool%" }, { env: { TOOL: "upper", Tool: "exact" } }).processPath).toBe("exact");
    expect(resolve({ processPath: "%LAUNCHER%" }, { env: {} }).processPath).toBe("%LAUNCHER%");
    expect(resolve({ processPath: ".\\%MISSING%\\app" }, { env: {} }).processPath).toBe(`${ROOT}/%MISSING%/app`);
  });

  it("expands %NAME% in arguments, then splits them", () => {
    const s = resolve(
      { processPath: "node", arguments: '%APP_DIR%\\server.js --port %PORT% "--title=My App" %UNKNOWN% 100%' },
      { env: { APP_DIR: ".", PORT: "5000" } },
    );
    expect(s.arguments).toBe('.\\server.js --port 5000 "--title=My App" %UNKNOWN% 100%');
    expect(s.argumentList).toEqual([".\\server.js", "--port", "5000", "--title=My App", "%UNKNOWN%", "100%"]);
  });

  it("does not expand from environmentVariables (IIS expands with its own environment)", () => {
    const s = resolve(
      { processPath: "%TOOL%", arguments: "%TOOL%" },
      { env: { TOOL: "from-env" }, environmentVariables: [{ name: "TOOL", value: "from-config" }] },
    );
    expect(s.processPath).toBe("from-env");
    expect(s.arguments).toBe("from-env");
    expect(s.environmentVariables).toEqual({ TOOL: "from-config" });
  });
});

describe("resolveAncmSettings: stdoutLogFile", () => {
  it.each([
    [".\\logs\\stdout", `${ROOT}/logs/stdout`],
    ["./logs/stdout", `${ROOT}/logs/stdout`],
    ["logs\\stdout", `${ROOT}/logs/stdout`],
    ["logs/stdout", `${ROOT}/logs/stdout`],
    [".\\logs\\", `${ROOT}/logs/`],
    ["/var/log/app/stdout", "/var/log/app/stdout"],
    ["\\\\?\\/var/log/app/stdout", "/var/log/app/stdout"],
  ])("%j → %j", (value, expected) => {
    expect(resolve({ ...node, stdoutLogFile: value }).stdoutLogFile).toBe(expected);
  });

  it("expands %NAME% and strips \\\\?\\ (the Azure App Service value)", () => {
    expect(resolve({ ...node, stdoutLogFile: "\\\\?\\%home%\\LogFiles\\stdout" }, { env: { HOME: "/home" } }).stdoutLogFile).toBe(
      "/home/LogFiles/stdout",
    );
  });

  it("rejects an empty stdoutLogFile", () => {
    expect(resolveError({ ...node, stdoutLogFile: "" }).attribute).toBe("stdoutLogFile");
  });
});

describe("resolveAncmSettings: environmentVariables and handlerSettings", () => {
  it("keeps environmentVariables as written, to override the front's environment in the app", () => {
    const s = resolve(node, {
      env: { ASPNETCORE_ENVIRONMENT: "Production", PATH: "/usr/bin" },
      environmentVariables: [
        { name: "ASPNETCORE_ENVIRONMENT", value: "Development" },
        { name: "CONFIG_DIR", value: "f:\\application_config" },
        { name: "RAW", value: "%PATH%" },
        { name: "EMPTY", value: "" },
      ],
    });
    expect(s.environmentVariables).toEqual({
      ASPNETCORE_ENVIRONMENT: "Development",
      CONFIG_DIR: "f:\\application_config",
      RAW: "%PATH%",
      EMPTY: "",
    });
  });

  it("rejects an environment variable given twice (ignoring case) or without a name", () => {
    const twice = resolveError(node, {
      environmentVariables: [
        { name: "FOO", value: "1" },
        { name: "foo", value: "2" },
      ],
    });
    expect(twice.attribute).toBe("environmentVariables/environmentVariable[@name=foo]");
    expect(twice.message).toBe("web.config: aspNetCore/environmentVariables/environmentVariable[@name=foo]: given twice (as 'FOO' and 'foo')");
    const unnamed = resolveError(node, { environmentVariables: [{ name: " ", value: "1" }] });
    expect(unnamed.attribute).toBe("environmentVariables/environmentVariable[1]");
  });

  it("keeps every handlerSetting, names as written, and rejects duplicates", () => {
    const s = resolve(node, {
      handlerSettings: [
        { name: "stackSize", value: "2097152" },
        { name: "debugLevel", value: "CONSOLE,INFO" },
      ],
    });
    expect(s.handlerSettings).toEqual({ stackSize: "2097152", debugLevel: "CONSOLE,INFO" });
    expect(
      resolveError(node, {
        handlerSettings: [
          { name: "debugLevel", value: "INFO" },
          { name: "DebugLevel", value: "TRACE" },
        ],
      }).attribute,
    ).toBe("handlerSettings/handlerSetting[@name=DebugLevel]");
  });
});

describe("resolveAncmSettings: x-ancm's forwarding pipeline handlerSettings", () => {
  const hs = (depth?: string, patience?: string): RawNameValue[] => [
    ...(depth === undefined ? [] : [{ name: "forwardingPipelineDepth", value: depth }]),
    ...(patience === undefined ? [] : [{ name: "forwardingPipelinePatience", value: patience }]),
  ];

  it("defaults to 16 requests per connection and 100 ms of patience", () => {
    expect(resolve(node).forwardingPipeline).toEqual({ depth: 16, patienceMs: 100 });
  });

  it("reads both, any case, surrounding spaces allowed", () => {
    expect(resolve(node, { handlerSettings: hs(" 1 ", "250") }).forwardingPipeline).toEqual({ depth: 1, patienceMs: 250 });
    expect(resolve(node, { handlerSettings: [{ name: "FORWARDINGPIPELINEDEPTH", value: "64" }] }).forwardingPipeline.depth).toBe(64);
  });

  it.each([
    ["forwardingPipelineDepth", hs("0"), "'0' is out of range (1 to 64)"],
    ["forwardingPipelineDepth", hs("65"), "'65' is out of range (1 to 64)"],
    ["forwardingPipelineDepth", hs("4.5"), "'4.5' is not a whole number (1 to 64)"],
    ["forwardingPipelinePatience", hs(undefined, "0"), "'0' is out of range (1 to 60000 milliseconds)"],
    ["forwardingPipelinePatience", hs(undefined, "-5"), "'-5' is not a whole number (1 to 60000 milliseconds)"],
    ["forwardingPipelinePatience", hs(undefined, ""), "'' is not a whole number (1 to 60000 milliseconds)"],
  ])("rejects %s %j naming the handlerSetting", (name, handlerSettings, detail) => {
    const error = resolveError(node, { handlerSettings });
    expect(error.attribute).toBe(`handlerSettings/handlerSetting[@name=${name}]`);
    expect(error.message).toBe(`web.config: aspNetCore/handlerSettings/handlerSetting[@name=${name}]: ${detail}`);
  });
});

describe("resolveAncmSettings: debug log", () => {
  const defaultFile = `${ROOT}/aspnetcore-debug.log`;
  const hs = (debugLevel?: string, debugFile?: string): RawNameValue[] => [
    ...(debugLevel === undefined ? [] : [{ name: "debugLevel", value: debugLevel }]),
    ...(debugFile === undefined ? [] : [{ name: "debugFile", value: debugFile }]),
  ];

  it.each([
    ["FILE,TRACE", ".\\logs\\aspnetcore-debug.log", { level: "trace", toFile: true, toConsole: false, file: `${ROOT}/logs/aspnetcore-debug.log` }],
    ["CONSOLE,INFO", undefined, { level: "info", toFile: false, toConsole: true, file: defaultFile }],
    [" trace , console ", undefined, { level: "trace", toFile: false, toConsole: true, file: defaultFile }],
    ["file,console,warning", undefined, { level: "warning", toFile: true, toConsole: true, file: defaultFile }],
    ["WARNING,TRACE,ERROR,FILE", undefined, { level: "trace", toFile: true, toConsole: false, file: defaultFile }],
    ["ERROR", undefined, { level: "error", toFile: true, toConsole: false, file: defaultFile }],
    ["TRACE", "/var/log/ancm.log", { level: "trace", toFile: true, toConsole: false, file: "/var/log/ancm.log" }],
    ["FILE", undefined, { level: "info", toFile: true, toConsole: false, file: defaultFile }],
    ["CONSOLE", "debug.log", { level: "info", toFile: true, toConsole: true, file: `${ROOT}/debug.log` }],
    ["FILE,,INFO,", undefined, { level: "info", toFile: true, toConsole: false, file: defaultFile }],
    [undefined, ".\\logs\\debug.log", { level: null, toFile: false, toConsole: false, file: `${ROOT}/logs/debug.log` }],
    ["", undefined, { level: null, toFile: false, toConsole: false, file: defaultFile }],
  ])("debugLevel %j, debugFile %j", (debugLevel, debugFile, expected) => {
    const s = resolve(node, { handlerSettings: hs(debugLevel, debugFile) });
    expect(s.debugLog).toEqual(expected);
    expect(s.warnings).toEqual([]);
  });

  it("matches the handler setting names case-insensitively", () => {
    const s = resolve(node, {
      handlerSettings: [
        { name: "DEBUGLEVEL", value: "console,trace" },
        { name: "DebugFile", value: "x.log" },
      ],
    });
    expect(s.debugLog).toEqual({ level: "trace", toFile: true, toConsole: true, file: `${ROOT}/x.log` });
  });

  it("accepts EVENTLOG, maps it to nothing and notes it", () => {
    const only = resolve(node, { handlerSettings: hs("EVENTLOG,TRACE") });
    expect(only.debugLog).toEqual({ level: null, toFile: false, toConsole: false, file: defaultFile });
    expect(only.warnings).toEqual([
      "aspNetCore/handlerSettings/handlerSetting[@name=debugLevel]: EVENTLOG is not supported (there is no Windows event log); ignored",
    ]);
    const withConsole = resolve(node, { handlerSettings: hs("eventlog,console,warning") });
    expect(withConsole.debugLog).toEqual({ level: "warning", toFile: false, toConsole: true, file: defaultFile });
    expect(withConsole.warnings).toHaveLength(1);
  });

  it.each(["VERBOSE", "4", "FILE;TRACE", "TRACE,DEBUG"])("rejects debugLevel %j", (value) => {
    const e = resolveError(node, { handlerSettings: hs(value) });
    expect(e.attribute).toBe("handlerSettings/handlerSetting[@name=debugLevel]");
    expect(e.message).toMatch(
      /^web\.config: aspNetCore\/handlerSettings\/handlerSetting\[@name=debugLevel\]: '.*' in '.*' is neither a level \(ERROR, WARNING, INFO, TRACE\) nor a destination \(FILE, CONSOLE, EVENTLOG\)$/,
    );
  });

  it("lets ASPNETCORE_MODULE_DEBUG and ASPNETCORE_MODULE_DEBUG_FILE override handlerSettings", () => {
    const s = resolve(node, {
      handlerSettings: hs("FILE,ERROR", "from-config.log"),
      env: { ASPNETCORE_MODULE_DEBUG: "CONSOLE,TRACE", ASPNETCORE_MODULE_DEBUG_FILE: "/tmp/from-env.log" },
    });
    expect(s.debugLog).toEqual({ level: "trace", toFile: true, toConsole: true, file: "/tmp/from-env.log" });
    expect(s.handlerSettings).toEqual({ debugLevel: "FILE,ERROR", debugFile: "from-config.log" });
  });

  it("turns the debug log on from the environment alone; a bare level goes to the default file", () => {
    expect(resolve(node, { env: { ASPNETCORE_MODULE_DEBUG: "TRACE" } }).debugLog).toEqual({
      level: "trace",
      toFile: true,
      toConsole: false,
      file: defaultFile,
    });
    expect(resolve(node, { env: { ASPNETCORE_MODULE_DEBUG: "console" } }).debugLog).toEqual({
      level: "info",
      toFile: false,
      toConsole: true,
      file: defaultFile,
    });
    expect(resolve(node, { env: { ASPNETCORE_MODULE_DEBUG: "INFO", ASPNETCORE_MODULE_DEBUG_FILE: ".\\logs\\d.log" } }).debugLog).toEqual({
      level: "info",
      toFile: true,
      toConsole: false,
      file: `${ROOT}/logs/d.log`,
    });
  });

  it("ignores the environment variables when empty, and a debug file alone does not turn the log on", () => {
    expect(
      resolve(node, { handlerSettings: hs("CONSOLE,INFO", "c.log"), env: { ASPNETCORE_MODULE_DEBUG: "", ASPNETCORE_MODULE_DEBUG_FILE: "" } })
        .debugLog,
    ).toEqual({ level: "info", toFile: true, toConsole: true, file: `${ROOT}/c.log` });
    expect(resolve(node, { env: { ASPNETCORE_MODULE_DEBUG_FILE: "/tmp/d.log" } }).debugLog).toEqual({
      level: null,
      toFile: false,
      toConsole: false,
      file: "/tmp/d.log",
    });
  });

  it("rejects an invalid ASPNETCORE_MODULE_DEBUG, naming the variable", () => {
    const e = resolveError(node, { env: { ASPNETCORE_MODULE_DEBUG: "loud" } });
    expect(e.attribute).toBe("ASPNETCORE_MODULE_DEBUG");
    expect(e.source).toBe("environment");
    expect(e.message).toMatch(/^environment: ASPNETCORE_MODULE_DEBUG: 'loud' in 'loud' is neither a level/);
  });

  it("notes EVENTLOG from the environment under the variable's name", () => {
    expect(resolve(node, { env: { ASPNETCORE_MODULE_DEBUG: "EVENTLOG" } }).warnings).toEqual([
      "ASPNETCORE_MODULE_DEBUG: EVENTLOG is not supported (there is no Windows event log); ignored",
    ]);
  });
});
