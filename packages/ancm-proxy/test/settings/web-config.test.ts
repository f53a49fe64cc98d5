import { describe, expect, it } from "vitest";
import { AncmSettingsError, parseWebConfig } from "../../src/settings/index.js";

function catchError(fn: () => unknown): AncmSettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AncmSettingsError);
    return err as AncmSettingsError;
  }
  throw new Error("expected an AncmSettingsError");
}

const SDK_WEB_CONFIG = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
      </handlers>
      <aspNetCore processPath="dotnet"
                  arguments=".\\MyApp.dll"
                  stdoutLogEnabled="false"
                  stdoutLogFile=".\\logs\\stdout"
                  hostingModel="inprocess" />
    </system.webServer>
  </location>
</configuration>`;

describe("parseWebConfig", () => {
  it("reads aspNetCore inside <location path='.'> (the SDK's web.config)", () => {
    const raw = parseWebConfig(SDK_WEB_CONFIG, "web.config");
    expect(raw.attributes).toEqual({
      processPath: "dotnet",
      arguments: ".\\MyApp.dll",
      stdoutLogEnabled: "false",
      stdoutLogFile: ".\\logs\\stdout",
      hostingModel: "inprocess",
    });
    expect(raw.environmentVariables).toEqual([]);
    expect(raw.handlerSettings).toEqual([]);
    expect(raw.warnings).toEqual([]);
  });

  it("reads aspNetCore directly under <system.webServer>", () => {
    const raw = parseWebConfig(
      `<configuration><system.webServer><aspNetCore processPath=".\\MyApp.exe" /></system.webServer></configuration>`,
      "web.config",
    );
    expect(raw.attributes).toEqual({ processPath: ".\\MyApp.exe" });
  });

  it("accepts <location> without path or with an empty path, and picks the site's one among several", () => {
    for (const open of ["<location>", '<location path="">', '<location path=".">']) {
      const raw = parseWebConfig(
        `<configuration>${open}<system.webServer><aspNetCore processPath="node" /></system.webServer></location></configuration>`,
        "w",
      );
      expect(raw.attributes.processPath).toBe("node");
    }
    const raw = parseWebConfig(
      `<configuration>
        <location path="api"><system.webServer><aspNetCore processPath="other" /></system.webServer></location>
        <location path="."><system.webServer><aspNetCore processPath="node" /></system.webServer></location>
        <location path="static"><system.webServer><staticContent /></system.webServer></location>
      </configuration>`,
      "w",
    );
    expect(raw.attributes.processPath).toBe("node");
    expect(raw.warnings).toEqual(["location[@path='api']/system.webServer/aspNetCore: applies to a sub-path, not the site; ignored"]);
  });

  it("reads environmentVariables and handlerSettings in document order, accepting <clear/>", () => {
    const raw = parseWebConfig(
      `<configuration><system.webServer>
        <aspNetCore processPath="node" arguments="server.js">
          <environmentVariables>
            <clear />
            <environmentVariable name="ASPNETCORE_ENVIRONMENT" value="Development" />
            <environmentVariable name="CONFIG_DIR" value="f:\\application_config" />
            <environmentVariable name="EMPTY" value="" />
          </environmentVariables>
          <handlerSettings>
            <handlerSetting name="debugFile" value=".\\logs\\aspnetcore-debug.log" />
            <handlerSetting name="debugLevel" value="FILE,TRACE" />
          </handlerSettings>
        </aspNetCore>
      </system.webServer></configuration>`,
      "web.config",
    );
    expect(raw.environmentVariables).toEqual([
      { name: "ASPNETCORE_ENVIRONMENT", value: "Development" },
      { name: "CONFIG_DIR", value: "f:\\application_config" },
      { name: "EMPTY", value: "" },
    ]);
    expect(raw.handlerSettings).toEqual([
      { name: "debugFile", value: ".\\logs\\aspnetcore-debug.log" },
      { name: "debugLevel", value: "FILE,TRACE" },
    ]);
    expect(raw.warnings).toEqual([]);
  });

  it("keeps attribute names as written (matching is done case-insensitively later)", () => {
    const raw = parseWebConfig(
      `<configuration><system.webServer><aspNetCore ProcessPath="node" STARTUPTIMELIMIT="5">
        <EnvironmentVariables><EnvironmentVariable Name="A" Value="1" /></EnvironmentVariables>
      </aspNetCore></system.webServer></configuration>`,
      "w",
    );
    expect(raw.attributes).toEqual({ ProcessPath: "node", STARTUPTIMELIMIT: "5" });
    expect(raw.environmentVariables).toEqual([{ name: "A", value: "1" }]);
    expect(raw.warnings).toEqual([]);
  });

  it("decodes entities and character references and normalises whitespace in attribute values", () => {
    const raw = parseWebConfig(
      `<configuration><system.webServer><aspNetCore processPath="node" arguments="&quot;a b&quot; &amp;&lt;&gt;&apos; &#65;&#x42; &unknown;
 next" /></system.webServer></configuration>`,
      "w",
    );
    expect(raw.attributes.arguments).toBe(`"a b" &<>' AB &unknown;  next`);
  });

  it("skips a byte-order mark", () => {
    const raw = parseWebConfig(`\uFEFF<?xml version="1.0"?><configuration><system.webServer><aspNetCore processPath="node"/></system.webServer></configuration>`, "w");
    expect(raw.attributes.processPath).toBe("node");
  });

  it("warns about unknown child elements and unsupported ones", () => {
    const raw = parseWebConfig(
      `<configuration><system.webServer><aspNetCore processPath="node">
        <recycleOnFileChange><file path="a.js" /></recycleOnFileChange>
        <somethingElse />
        <environmentVariables><add name="X" value="1" /></environmentVariables>
      </aspNetCore></system.webServer></configuration>`,
      "w",
    );
    expect(raw.warnings).toEqual([
      "aspNetCore/recycleOnFileChange: not supported; ignored",
      "aspNetCore/somethingElse: unknown element; ignored",
      "aspNetCore/environmentVariables/add: unknown element; ignored",
    ]);
    expect(raw.environmentVariables).toEqual([]);
  });

  it("names the file and line of malformed XML", () => {
    const e = catchError(() =>
      parseWebConfig(`<configuration>\n  <system.webServer>\n    <aspNetCore processPath="node">\n  </system.webServer>\n</configuration>`, "/site/web.config"),
    );
    expect(e.source).toBe("/site/web.config");
    expect(e.attribute).toBe("");
    expect(e.message).toMatch(/^\/site\/web\.config: malformed XML at line 4, column \d+: /);
  });

  it("rejects an unquoted attribute and empty input", () => {
    expect(catchError(() => parseWebConfig(`<configuration>\n<a x=1/></configuration>`, "w")).message).toMatch(/^w: malformed XML at line 2/);
    expect(catchError(() => parseWebConfig("", "w")).message).toMatch(/^w: malformed XML/);
  });

  it("rejects a web.config without an aspNetCore element", () => {
    const e = catchError(() => parseWebConfig(`<configuration><system.webServer><handlers /></system.webServer></configuration>`, "/s/web.config"));
    expect(e.attribute).toBe("aspNetCore");
    expect(e.message).toMatch(/^\/s\/web\.config: no aspNetCore element/);
    // Only <location>s for other paths: still none for the site.
    expect(
      catchError(() =>
        parseWebConfig(`<configuration><location path="api"><system.webServer><aspNetCore processPath="x"/></system.webServer></location></configuration>`, "w"),
      ).attribute,
    ).toBe("aspNetCore");
  });

  it("rejects aspNetCore defined twice (as IIS does a duplicate section)", () => {
    const e = catchError(() =>
      parseWebConfig(
        `<configuration>
          <system.webServer><aspNetCore processPath="a" /></system.webServer>
          <location path="."><system.webServer><aspNetCore processPath="b" /></system.webServer></location>
        </configuration>`,
        "w",
      ),
    );
    expect(e.attribute).toBe("aspNetCore");
    expect(e.message).toMatch(/defined more than once/);
  });

  it("requires name and value on environmentVariable and handlerSetting", () => {
    const noValue = catchError(() =>
      parseWebConfig(
        `<configuration><system.webServer><aspNetCore processPath="n"><environmentVariables><environmentVariable name="FOO" /></environmentVariables></aspNetCore></system.webServer></configuration>`,
        "web.config",
      ),
    );
    expect(noValue.attribute).toBe("environmentVariables/environmentVariable[@name=FOO]");
    expect(noValue.message).toBe("web.config: aspNetCore/environmentVariables/environmentVariable[@name=FOO]: the value attribute is required");
    const noName = catchError(() =>
      parseWebConfig(
        `<configuration><system.webServer><aspNetCore processPath="n"><handlerSettings><handlerSetting value="x" /></handlerSettings></aspNetCore></system.webServer></configuration>`,
        "web.config",
      ),
    );
    expect(noName.attribute).toBe("handlerSettings/handlerSetting[1]");
    expect(noName.message).toMatch(/the name attribute is required/);
  });
});
