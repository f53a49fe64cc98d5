/**
 * In-process hosting: the front imports the app's entry module and runs its
 * pipeline itself, with no child process; an entry module that fails to load
 * gives the 500.30 page.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { agent, assertBuilt, childPids, E2E, echo, send, until } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

const ENVIRONMENT = { Logging__LogLevel__Default: "Warning", GREETING: "hello from in-process" };

describe("x-ancm in-process", () => {
  it.each([
    { processPath: "in-process-app.mjs", arguments: "" },
    { processPath: "node", arguments: "in-process-app.mjs" },
  ])("runs the exported host in the front's own process (processPath=$processPath arguments=$arguments)", async (attributes) => {
    const site = await e2e.site({
      settings: { attributes: { ...attributes, hostingModel: "inprocess" }, environmentVariables: ENVIRONMENT },
    });
    const front = await e2e.front(site);
    const seen = await echo(`${front.url}/in/process?q=2`);
    expect(seen.pid).toBe(front.pid);
    expect(seen.path).toBe("/in/process");
    expect(seen.query).toBe("?q=2");
    // environmentVariables apply to the app in-process too.
    expect(seen.env.GREETING).toBe("hello from in-process");
    // No loopback hop: no pairing token, no port, the real client connection.
    expect(seen.env.ASPNETCORE_PORT).toBeNull();
    expect(seen.headers["ms-aspnetcore-token"]).toBeUndefined();
    expect(seen.headers["x-original-for"]).toBeUndefined();
    expect(seen.remoteAddress).toBe("127.0.0.1");

    // No app process: nothing started, and the front has no children.
    expect(front.startedPids()).toEqual([]);
    const children = childPids(front.pid);
    if (children !== null) expect(children).toEqual([]);
    expect((await echo(`${front.url}/again`)).pid).toBe(front.pid);
  });

  it("answers 500.30 when the entry module throws at import, and keeps answering it", async () => {
    const site = await e2e.site({
      settings: { attributes: { processPath: "throws-at-import.mjs", hostingModel: "inprocess" }, environmentVariables: ENVIRONMENT },
    });
    const front = await e2e.front(site);
    const res = await send(`${front.url}/`);
    expect(res.status).toBe(500);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toContain("HTTP Error 500.30");
    // The error is not shown outside Development; the front logs it.
    expect(res.text).not.toContain("failed on purpose");
    await front.waitForLog(/^Application startup failed \(in-process\)/);

    const again = await send(`${front.url}/other`);
    expect(again.status).toBe(500);
    expect(again.text).toContain("500.30");
    expect(front.running).toBe(true);
  });

  it("writes the app's output to the stdout log with stdoutLogEnabled, named for the front's pid", async () => {
    const site = await e2e.site({
      settings: {
        attributes: { processPath: "in-process-app.mjs", hostingModel: "inprocess", stdoutLogEnabled: "true", stdoutLogFile: ".\\logs\\stdout" },
        environmentVariables: ENVIRONMENT,
      },
    });
    const front = await e2e.front(site);
    expect((await echo(`${front.url}/`)).pid).toBe(front.pid);
    const logs = site.path("logs");
    await until(3_000, () => existsSync(logs) && readdirSync(logs).some((n) => n.endsWith(`_${front.pid}.log`)), "the stdout log file");
    const name = readdirSync(logs).find((n) => n.endsWith(`_${front.pid}.log`))!;
    expect(name).toMatch(new RegExp(`^stdout_\\d{14}_${front.pid}\\.log$`));
    await until(3_000, () => readFileSync(`${logs}/${name}`, "utf8").includes(`in-process fixture loaded pid=${front.pid}`), "the app's output in the stdout log");
  });
});
