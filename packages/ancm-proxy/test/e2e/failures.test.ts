/**
 * What clients get when the app cannot answer: the 502.5 page (startup
 * failure, with the app's output only in Development), a bare 502 with
 * disableStartUpErrorPage, the 502.3 page (requestTimeout), and a front that
 * refuses to start on an invalid setting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agent, assertBuilt, E2E, echo, outOfProcess, send, waitGone, within } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

describe("x-ancm startup failures", () => {
  it("answers 502.5 when the app never listens within startupTimeLimit (after a second attempt)", async () => {
    const site = await e2e.site({ settings: outOfProcess({ arguments: "never-listens.mjs", startupTimeLimit: "1" }) });
    const front = await e2e.front(site);
    const started = Date.now();
    const res = await send(`${front.url}/`);
    const elapsed = Date.now() - started;

    expect(res.status).toBe(502);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toContain("HTTP Error 502.5 - ANCM Out-Of-Process Startup Failure");
    // Two attempts of startupTimeLimit (1 s) each.
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(15_000);
    const failures = front.logs(/^Application startup failed \(attempt \d of 2\)/);
    expect(failures.map((l) => l.attempt)).toEqual([1, 2]);
    expect(failures[0]!.msg).toMatch(/within startupTimeLimit \(1 s\)/);
    // Both attempts' processes were killed.
    const pids = failures.map((l) => l.appPid!);
    expect(new Set(pids).size).toBe(2);
    await waitGone(pids, 3_000);
    expect(front.startedPids()).toEqual([]);
  });

  it("answers a bare 502 (empty body) with disableStartUpErrorPage", async () => {
    const site = await e2e.site({
      settings: outOfProcess({ arguments: "never-listens.mjs", startupTimeLimit: "1", disableStartUpErrorPage: "true" }),
    });
    const front = await e2e.front(site);
    const res = await send(`${front.url}/`);
    expect(res.status).toBe(502);
    expect(res.text).toBe("");
  });

  it("answers 502.5 for an app that exits at once, without its output outside Development", async () => {
    const site = await e2e.site({ settings: outOfProcess({ arguments: "boom.mjs" }) });
    const front = await e2e.front(site);
    const res = await send(`${front.url}/`);
    expect(res.status).toBe(502);
    expect(res.text).toContain("502.5");
    expect(res.text).not.toContain("boom");
    // The front's log has the output for the operator.
    const failure = await front.waitForLog(/^Application startup failed \(attempt 2 of 2\)/);
    expect(failure.msg).toMatch(/exited during startup \(code 1\)/);
    expect(String(failure.output)).toContain("boom from pid");
  });

  it("shows the app's output on the 502.5 page when ASPNETCORE_ENVIRONMENT is Development", async () => {
    const site = await e2e.site({ settings: outOfProcess({ arguments: "boom.mjs" }, { ASPNETCORE_ENVIRONMENT: "Development" }) });
    const front = await e2e.front(site);
    const res = await send(`${front.url}/`);
    expect(res.status).toBe(502);
    expect(res.text).toContain("502.5");
    expect(res.text).toMatch(/<pre>boom from pid \d+\n<\/pre>/);
  });
});

describe("x-ancm requestTimeout", () => {
  it("answers 502.3 when the app takes longer than requestTimeout; other requests still work", async () => {
    const site = await e2e.site({ settings: outOfProcess({ requestTimeout: "00:00:01" }) });
    const front = await e2e.front(site);
    const app = await echo(`${front.url}/`);

    const started = Date.now();
    const slow = send(`${front.url}/slow?ms=3000`);
    // While the slow request waits, others are served by the same process.
    expect((await echo(`${front.url}/meanwhile`)).pid).toBe(app.pid);

    const res = await slow;
    const elapsed = Date.now() - started;
    expect(res.status).toBe(502);
    expect(res.text).toContain("HTTP Error 502.3 - Bad Gateway");
    // It came from the timeout (1 s), not from the app's answer (3 s).
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2_900);
    await front.waitForLog(/did not respond within requestTimeout \(1 s\)/);

    // The app is not restarted for a timeout and keeps answering.
    const after = await echo(`${front.url}/after`);
    expect(after.pid).toBe(app.pid);
    expect((await send(`${front.url}/slow?ms=200`)).text).toBe("slow done 200");
    expect(front.startedPids()).toEqual([app.pid]);
  });
});

describe("x-ancm invalid settings", () => {
  it.each([
    { format: "web.config" as const, attribute: "startupTimeLimit", value: "abc" },
    { format: "ancm.json" as const, attribute: "requestTimeout", value: "two minutes" },
  ])("exits non-zero naming the attribute when $format has $attribute=$value", async ({ format, attribute, value }) => {
    const site = await e2e.site({ settings: outOfProcess({ [attribute]: value }), format });
    const front = e2e.spawnFront(site);
    const exit = await within(10_000, front.exited, "the front exiting");
    expect(exit.code).toBe(1);
    expect(front.stderr).toContain(`aspNetCore/@${attribute}`);
    expect(front.stderr).toContain(`'${value}'`);
    expect(front.stderr).toContain(site.path(format));
    expect(front.logs(/^Now listening on/)).toEqual([]);
  });
});

/** Sends raw bytes to the front and reads the status of its answer (it closes the connection). */
async function rawStatus(port: number, bytes: string): Promise<number> {
  const { connect } = await import("node:net");
  return within(
    5_000,
    new Promise<number>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
      let text = "";
      socket.on("data", (c) => {
        text += c;
        const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
        if (match !== null) {
          socket.destroy();
          resolve(Number(match[1]));
        }
      });
      socket.on("error", reject);
    }),
    "the front's answer",
  );
}

describe("x-ancm's own limits", () => {
  it("answers 413 for a body over the front's maxRequestBodySize, logged as the front's rejection, not blamed on the app", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site, { args: ["--Kestrel:Limits:MaxRequestBodySize", "1000"] });
    expect((await send(`${front.url}/echo`)).status).toBe(200);
    const declared = await send(`${front.url}/echo`, { method: "POST", body: "x".repeat(5_000) });
    expect(declared.status).toBe(413);
    expect(declared.text).not.toContain("502.3");
    const small = await send(`${front.url}/echo`, { method: "POST", body: "x".repeat(500) });
    expect(small.status).toBe(200);
    // The other rejections the front makes itself answer their own status too.
    const port = Number(new URL(front.url).port);
    expect(await rawStatus(port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).toBe(400);
    expect(await rawStatus(port, `GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`)).toBe(431);
    expect(await rawStatus(port, `GET /${"a".repeat(9_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toBe(414);
    expect(front.logs(/The front rejected the request body/).length).toBeGreaterThanOrEqual(2);
    expect(front.logs(/did not respond within requestTimeout|Forwarding the request to the app failed/)).toEqual([]);
  });
});

