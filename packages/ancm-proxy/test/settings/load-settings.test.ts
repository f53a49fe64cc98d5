import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AncmSettings, AncmSettingsError, loadAncmSettings } from "../../src/settings/index.js";

let site: string;

beforeEach(async () => {
  site = await mkdtemp(path.join(tmpdir(), "x-ancm-settings-"));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(site, { recursive: true, force: true });
});

function loadError(root: string, env: NodeJS.ProcessEnv = {}): AncmSettingsError {
  try {
    loadAncmSettings(root, env);
  } catch (err) {
    expect(err).toBeInstanceOf(AncmSettingsError);
    return err as AncmSettingsError;
  }
  throw new Error("expected an AncmSettingsError");
}

const WEB_CONFIG = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
      </handlers>
      <aspNetCore processPath="node"
                  arguments=".\\server.js --port %APP_PORT% &quot;--name=My Site&quot;"
                  hostingModel="OutOfProcess"
                  processesPerApplication="2"
                  startupTimeLimit="60"
                  shutdownTimeLimit="5"
                  requestTimeout="00:10:30"
                  rapidFailsPerMinute="3"
                  stdoutLogEnabled="true"
                  stdoutLogFile=".\\logs\\stdout"
                  disableStartUpErrorPage="TRUE"
                  forwardWindowsAuthToken="false"
                  shadowCopy="x">
        <environmentVariables>
          <environmentVariable name="ASPNETCORE_ENVIRONMENT" value="Development" />
          <environmentVariable name="CONFIG_DIR" value="f:\\application_config" />
        </environmentVariables>
        <handlerSettings>
          <handlerSetting name="debugFile" value=".\\logs\\aspnetcore-debug.log" />
          <handlerSetting name="debugLevel" value="FILE,TRACE" />
        </handlerSettings>
      </aspNetCore>
    </system.webServer>
  </location>
</configuration>
`;

const ANCM_JSON = {
  aspNetCore: {
    processPath: "node",
    arguments: '.\\server.js --port %APP_PORT% "--name=My Site"',
    hostingModel: "OutOfProcess",
    processesPerApplication: 2,
    startupTimeLimit: 60,
    shutdownTimeLimit: "5",
    requestTimeout: "00:10:30",
    rapidFailsPerMinute: 3,
    stdoutLogEnabled: true,
    stdoutLogFile: ".\\logs\\stdout",
    disableStartUpErrorPage: "TRUE",
    forwardWindowsAuthToken: false,
    shadowCopy: "x",
    environmentVariables: { ASPNETCORE_ENVIRONMENT: "Development", CONFIG_DIR: "f:\\application_config" },
    handlerSettings: { debugFile: ".\\logs\\aspnetcore-debug.log", debugLevel: "FILE,TRACE" },
  },
};

const ENV = { APP_PORT: "5000" };

function expected(root: string, source: string): AncmSettings {
  return {
    siteRoot: root,
    source,
    processPath: "node",
    arguments: '.\\server.js --port 5000 "--name=My Site"',
    argumentList: [".\\server.js", "--port", "5000", "--name=My Site"],
    hostingModel: "outofprocess",
    environmentVariables: { ASPNETCORE_ENVIRONMENT: "Development", CONFIG_DIR: "f:\\application_config" },
    processesPerApplication: 2,
    startupTimeLimitMs: 60_000,
    shutdownTimeLimitMs: 5_000,
    requestTimeoutMs: 630_000,
    rapidFailsPerMinute: 3,
    stdoutLogEnabled: true,
    stdoutLogFile: path.join(root, "logs", "stdout"),
    disableStartUpErrorPage: true,
    debugLog: { level: "trace", toFile: true, toConsole: false, file: path.join(root, "logs", "aspnetcore-debug.log") },
    forwardingPipeline: { depth: 16, patienceMs: 100 },
    handlerSettings: { debugFile: ".\\logs\\aspnetcore-debug.log", debugLevel: "FILE,TRACE" },
    warnings: ["aspNetCore/@shadowCopy: unknown attribute; ignored"],
  };
}

describe("loadAncmSettings", () => {
  it("reads web.config", async () => {
    await writeFile(path.join(site, "web.config"), WEB_CONFIG);
    expect(loadAncmSettings(site, ENV)).toEqual(expected(site, path.join(site, "web.config")));
  });

  it("reads ancm.json when there is no web.config", async () => {
    await writeFile(path.join(site, "ancm.json"), JSON.stringify(ANCM_JSON, null, 2));
    expect(loadAncmSettings(site, ENV)).toEqual(expected(site, path.join(site, "ancm.json")));
  });

  it("gives deep-equal settings for the same settings as web.config and as ancm.json (but for source)", async () => {
    const other = await mkdtemp(path.join(tmpdir(), "x-ancm-settings-"));
    try {
      await writeFile(path.join(site, "web.config"), WEB_CONFIG);
      await writeFile(path.join(other, "ancm.json"), JSON.stringify(ANCM_JSON));
      const fromXml = loadAncmSettings(site, ENV);
      const fromJson = loadAncmSettings(other, ENV);
      expect(fromXml.source).toBe(path.join(site, "web.config"));
      expect(fromJson.source).toBe(path.join(other, "ancm.json"));
      const relative = (s: AncmSettings) => {
        const rel = (p: string) => path.relative(s.siteRoot, p);
        return {
          ...s,
          source: undefined,
          siteRoot: undefined,
          stdoutLogFile: rel(s.stdoutLogFile),
          debugLog: { ...s.debugLog, file: rel(s.debugLog.file) },
        };
      };
      expect(relative(fromJson)).toEqual(relative(fromXml));
      // And in the same site root, everything but source is equal.
      await writeFile(path.join(site, "ancm.json"), JSON.stringify(ANCM_JSON));
      await rm(path.join(site, "web.config"));
      const sameRootJson = loadAncmSettings(site, ENV);
      expect({ ...sameRootJson, source: "" }).toEqual({ ...fromXml, source: "" });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("prefers web.config when both exist, and says ancm.json was ignored", async () => {
    await writeFile(path.join(site, "web.config"), `<configuration><system.webServer><aspNetCore processPath="from-xml"/></system.webServer></configuration>`);
    await writeFile(path.join(site, "ancm.json"), JSON.stringify({ processPath: "from-json" }));
    const s = loadAncmSettings(site, {});
    expect(s.source).toBe(path.join(site, "web.config"));
    expect(s.processPath).toBe("from-xml");
    expect(s.warnings).toEqual(["ancm.json: ignored because web.config exists"]);
  });

  it("names both paths when neither file exists", () => {
    const e = loadError(site);
    expect(e.code).toBe("ERR_X_ANCM_SETTINGS");
    expect(e.message).toContain(path.join(site, "web.config"));
    expect(e.message).toContain(path.join(site, "ancm.json"));
    const missing = loadError(path.join(site, "does-not-exist"));
    expect(missing.message).toContain(path.join(site, "does-not-exist", "web.config"));
  });

  it("treats a web.config directory as absent", async () => {
    await mkdir(path.join(site, "web.config"));
    await writeFile(path.join(site, "ancm.json"), JSON.stringify({ processPath: "node" }));
    expect(loadAncmSettings(site, {}).source).toBe(path.join(site, "ancm.json"));
  });

  it("names the file and line of malformed XML", async () => {
    const file = path.join(site, "web.config");
    await writeFile(file, `<configuration>\n  <system.webServer>\n    <aspNetCore processPath="node" stdoutLogEnabled=false />\n  </system.webServer>\n</configuration>\n`);
    const e = loadError(site);
    expect(e.source).toBe(file);
    expect(e.message.startsWith(`${file}: malformed XML at line 3`)).toBe(true);
  });

  it("names the file and position of invalid JSON", async () => {
    const file = path.join(site, "ancm.json");
    await writeFile(file, `{\n  "processPath": "node"\n  "arguments": "x"\n}`);
    const e = loadError(site);
    expect(e.source).toBe(file);
    expect(e.message.startsWith(`${file}: invalid JSON at line 3, column 3`)).toBe(true);
  });

  it("names the file and attribute of an invalid value", async () => {
    const file = path.join(site, "web.config");
    await writeFile(file, `<configuration><system.webServer><aspNetCore processPath="node" startupTimeLimit="4000"/></system.webServer></configuration>`);
    const e = loadError(site);
    expect(e.attribute).toBe("startupTimeLimit");
    expect(e.source).toBe(file);
    expect(e.message).toBe(`${file}: aspNetCore/@startupTimeLimit: '4000' is out of range (0 to 3600 seconds)`);
  });

  it("reads UTF-8 with a BOM and UTF-16 LE with a BOM", async () => {
    const xml = `<?xml version="1.0" encoding="utf-16"?><configuration><system.webServer><aspNetCore processPath="nodé"/></system.webServer></configuration>`;
    await writeFile(path.join(site, "web.config"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, "utf16le")]));
    expect(loadAncmSettings(site, {}).processPath).toBe("nodé");
    await writeFile(path.join(site, "web.config"), `\uFEFF${xml}`);
    expect(loadAncmSettings(site, {}).processPath).toBe("nodé");
    await rm(path.join(site, "web.config"));
    await writeFile(path.join(site, "ancm.json"), `\uFEFF${JSON.stringify({ processPath: "nodé" })}`);
    expect(loadAncmSettings(site, {}).processPath).toBe("nodé");
  });

  it("uses process.env when no environment is passed", async () => {
    vi.stubEnv("X_ANCM_TEST_TOOL", "/opt/tool/bin/run");
    vi.stubEnv("ASPNETCORE_MODULE_DEBUG", "CONSOLE,WARNING");
    vi.stubEnv("ASPNETCORE_MODULE_DEBUG_FILE", "");
    await writeFile(path.join(site, "ancm.json"), JSON.stringify({ processPath: "%X_ANCM_TEST_TOOL%" }));
    const s = loadAncmSettings(site);
    expect(s.processPath).toBe("/opt/tool/bin/run");
    expect(s.debugLog).toEqual({ level: "warning", toFile: false, toConsole: true, file: path.join(site, "aspnetcore-debug.log") });
  });

  it("resolves a relative site root", async () => {
    await writeFile(path.join(site, "ancm.json"), JSON.stringify({ processPath: ".\\app" }));
    const relative = path.relative(process.cwd(), site);
    const s = loadAncmSettings(relative, {});
    expect(s.siteRoot).toBe(site);
    expect(s.processPath).toBe(path.join(site, "app"));
  });
});
