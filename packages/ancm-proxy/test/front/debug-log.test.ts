import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createFront, type Front } from "../../src/index.js";

const fronts: Front[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.allSettled(fronts.splice(0).map((f) => f.host.stop()));
  await Promise.allSettled(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function site(webConfig: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "x-ancm-front-"));
  dirs.push(dir);
  await writeFile(join(dir, "web.config"), webConfig);
  // An in-process app that needs no package: a request delegate.
  await writeFile(join(dir, "app.mjs"), 'export default (ctx) => ctx.response.end("in-process " + process.pid);\n');
  return dir;
}

function front(siteRoot: string, env: NodeJS.ProcessEnv = {}): Front {
  const lines: string[] = [];
  const created = createFront({
    siteRoot,
    args: ["--urls", "http://127.0.0.1:0"],
    env,
    configureHost: (builder) =>
      builder.configureLogging((_, o) => {
        o.destination = { write: (line: string) => void lines.push(line) };
        o.format = "json";
      }),
  });
  fronts.push(created);
  return created;
}

describe("the module's debug log (handlerSettings)", () => {
  it("writes the module's lines to debugFile at debugLevel, relative to the site root", async () => {
    const root = await site(`<configuration><system.webServer>
      <aspNetCore processPath="app.mjs" hostingModel="inprocess">
        <handlerSettings>
          <handlerSetting name="debugLevel" value="FILE,TRACE" />
          <handlerSetting name="debugFile" value=".\\logs\\ancm-debug.log" />
        </handlerSettings>
      </aspNetCore></system.webServer></configuration>`);
    const { host } = front(root);
    await host.start();
    const res = await request(`${host.server!.addresses[0]}/`);
    expect(await res.body.text()).toBe(`in-process ${process.pid}`);
    const file = join(root, "logs", "ancm-debug.log");
    await vi.waitFor(async () => expect(await readFile(file, "utf8")).toContain("Loading the application in-process"), { timeout: 3_000 });
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { msg: string; category: string });
    expect(lines.some((l) => l.msg === "ASP.NET Core Module settings loaded")).toBe(true);
    expect(lines.every((l) => l.category === "X.Ancm")).toBe(true);
  });

  it("takes ASPNETCORE_MODULE_DEBUG and ASPNETCORE_MODULE_DEBUG_FILE over handlerSettings", async () => {
    const root = await site(`<configuration><system.webServer>
      <aspNetCore processPath="app.mjs">
        <handlerSettings><handlerSetting name="debugLevel" value="FILE,ERROR" /></handlerSettings>
      </aspNetCore></system.webServer></configuration>`);
    const { host, settings } = front(root, { ASPNETCORE_MODULE_DEBUG: "FILE,INFO", ASPNETCORE_MODULE_DEBUG_FILE: "env-debug.log" });
    expect(settings.debugLog).toMatchObject({ level: "info", toFile: true, file: join(root, "env-debug.log") });
    await host.start();
    expect(await readFile(join(root, "env-debug.log"), "utf8")).toContain("ASP.NET Core Module settings loaded");
  });
});
