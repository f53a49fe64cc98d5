/**
 * The front in front of an out-of-process app, end to end: first start,
 * forwarded client address, crash and restart, rapid-fail lockout, the
 * pairing token, graceful stop, no orphans after SIGKILL and the stdout log.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  agent,
  assertBuilt,
  childPids,
  E2E,
  type Echo,
  echo,
  delay,
  getWithLocalPort,
  isAlive,
  outOfProcess,
  send,
  until,
  waitGone,
  within,
} from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

describe("x-ancm out-of-process", () => {
  it("starts the app on the first request; the app sees the client's address and scheme from X-Forwarded-For/-Proto", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    // As ANCM, the app starts with the first request, not with the front.
    expect(front.startedPids()).toEqual([]);

    const res = await getWithLocalPort(`${front.url}/hello/world?x=1`);
    expect(res.status, res.text).toBe(200);
    const seen = JSON.parse(res.text) as Echo;
    expect(seen.method).toBe("GET");
    expect(seen.path).toBe("/hello/world");
    expect(seen.query).toBe("?x=1");
    expect(seen.pid).not.toBe(front.pid);
    expect(isAlive(seen.pid)).toBe(true);
    expect(front.startedPids()).toEqual([seen.pid]);

    // X-Forwarded-For `127.0.0.1:<client port>` applied by the app's IIS integration: the client's
    // own address and port, the front's hop kept in X-Original-For, the consumed headers removed.
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.remotePort).toBe(res.localPort);
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-original-for"]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-original-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBeUndefined();
    expect(seen.headers["x-forwarded-proto"]).toBeUndefined();
    // Host is kept as the client sent it.
    expect(seen.headers.host).toBe(new URL(front.url).host);

    // ANCM's environment for the app.
    expect(seen.env.ASPNETCORE_PORT).toMatch(/^\d+$/);
    expect(seen.env.ASPNETCORE_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.env.ASPNETCORE_APPL_PATH).toBe("/");
    const started = front.logs(/^Application process started/)[0]!;
    expect(started.msg).toBe(`Application process started, listening on 127.0.0.1:${seen.env.ASPNETCORE_PORT}`);

    // Later requests go to the same process.
    expect((await echo(`${front.url}/again`)).pid).toBe(seen.pid);

    // A client's own X-Forwarded-For/-Proto are kept in the list but do not decide the address:
    // the app takes only the entry the front appended.
    const spoofed = await getWithLocalPort(`${front.url}/spoofed`, { "X-Forwarded-For": "203.0.113.9:1234", "X-Forwarded-Proto": "https" });
    const spoofedSeen = JSON.parse(spoofed.text) as Echo;
    expect(spoofedSeen.remoteAddress).toBe("127.0.0.1");
    expect(spoofedSeen.remotePort).toBe(spoofed.localPort);
    expect(spoofedSeen.scheme).toBe("http");
    expect(spoofedSeen.headers["x-forwarded-for"]).toBe("203.0.113.9:1234");
  });

  it("restarts the app after it crashes: the next request gets a new process, and the front logs the exit", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const first = await echo(`${front.url}/`);

    const crash = await send(`${front.url}/crash`);
    expect(crash.status).toBe(200);
    expect(crash.text).toBe("crashing");
    const exitLine = await front.waitForLog(/exited unexpectedly/);
    expect(exitLine.appPid).toBe(first.pid);
    expect(exitLine.code).toBe(3);
    await waitGone([first.pid], 5_000);

    const second = await echo(`${front.url}/`);
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(second.pid)).toBe(true);
    expect(front.startedPids()).toEqual([first.pid, second.pid]);
    // A new process gets a new pairing token.
    expect(second.env.ASPNETCORE_TOKEN).not.toBe(first.env.ASPNETCORE_TOKEN);
  });

  it("locks the app out after more than rapidFailsPerMinute failures: 503 with the lockout page, and no new process", async () => {
    const site = await e2e.site({ settings: outOfProcess({ rapidFailsPerMinute: "1" }) });
    const front = await e2e.front(site);
    const pids: number[] = [];
    for (let crashes = 1; crashes <= 2; crashes++) {
      const seen = await echo(`${front.url}/`);
      pids.push(seen.pid);
      expect((await send(`${front.url}/crash`)).status).toBe(200);
      await front.waitForLogCount(/exited unexpectedly/, crashes);
    }
    expect(new Set(pids).size).toBe(2);

    // Two failures in the minute is more than 1: no restart.
    const locked = await send(`${front.url}/`);
    expect(locked.status).toBe(503);
    expect(locked.headers["content-type"]).toMatch(/^text\/html/);
    expect(locked.text).toContain("HTTP Error 503 - Service Unavailable");
    expect(locked.text).toContain("rapidFailsPerMinute");
    await front.waitForLog(/failed more than rapidFailsPerMinute \(1\) times/);

    await delay(300);
    expect((await send(`${front.url}/other`)).status).toBe(503);
    expect(front.startedPids()).toEqual(pids);
    await waitGone(pids, 5_000);
  });

  it("strips MS-ASPNETCORE-* headers from clients; the app rejects requests without the pairing token with 400", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const spoofed = await echo(`${front.url}/`, { "MS-ASPNETCORE-TOKEN": "spoofed-by-the-client", "MS-ASPNETCORE-CLIENTCERT": "AAAA" });
    // The app answered normally: the front replaced the client's token with the real one.
    expect(spoofed.headers["ms-aspnetcore-token"]).toBe(spoofed.env.ASPNETCORE_TOKEN);
    expect(spoofed.headers["ms-aspnetcore-clientcert"]).toBeUndefined();

    // A client's shutdown event does not reach the app as one: it is an ordinary request and the app keeps running.
    const event = await send(`${front.url}/iisintegration`, {
      method: "POST",
      headers: { "MS-ASPNETCORE-EVENT": "shutdown", "MS-ASPNETCORE-TOKEN": spoofed.env.ASPNETCORE_TOKEN!, "content-length": "0" },
    });
    expect(event.status).toBe(200);
    const eventSeen = JSON.parse(event.text) as Echo;
    expect(eventSeen.path).toBe("/iisintegration");
    expect(eventSeen.headers["ms-aspnetcore-event"]).toBeUndefined();
    await delay(300);
    expect((await echo(`${front.url}/`)).pid).toBe(spoofed.pid);
    expect(front.logs(/exited unexpectedly/)).toEqual([]);

    // Straight to the app's port: no token or a wrong one → 400; the real one → 200.
    const direct = `http://127.0.0.1:${spoofed.env.ASPNETCORE_PORT}/direct`;
    const noToken = await send(direct);
    expect(noToken.status).toBe(400);
    const wrongToken = await send(direct, { headers: { "MS-ASPNETCORE-TOKEN": "spoofed-by-the-client" } });
    expect(wrongToken.status).toBe(400);
    const rightToken = await send(direct, { headers: { "MS-ASPNETCORE-TOKEN": spoofed.env.ASPNETCORE_TOKEN! } });
    expect(rightToken.status).toBe(200);
    expect((JSON.parse(rightToken.text) as Echo).pid).toBe(spoofed.pid);
  });

  it("stops gracefully on SIGTERM: the in-flight request completes, the app is stopped by the shutdown event, the front exits 0", async () => {
    const site = await e2e.site({
      settings: outOfProcess({ stdoutLogEnabled: "true", stdoutLogFile: ".\\logs\\stdout" }, { Logging__LogLevel__Default: "Information" }),
    });
    const front = await e2e.front(site);
    const app = await echo(`${front.url}/`);

    const slowStarted = Date.now();
    const slow = request(`${front.url}/slow?ms=1000`, { dispatcher: agent });
    // The app is running and the connection pooled: the request reaches it well within this.
    await delay(300);
    front.child.kill("SIGTERM");

    const res = await within(10_000, slow, "the in-flight response");
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("slow done 1000");
    expect(Date.now() - slowStarted).toBeGreaterThanOrEqual(900);
    const exit = await within(15_000, front.exited, "the front exiting");
    expect(exit, `stderr: ${front.stderr}\nlog:\n${front.logText}`).toEqual({ code: 0, signal: null });
    await waitGone([app.pid], 2_000);

    // The app stopped itself on the shutdown event (no signal needed) and exited normally.
    expect(front.logs(/did not stop within shutdownTimeLimit|did not stop after SIGTERM/)).toEqual([]);
    const log = stdoutLogOf(site.path("logs"), app.pid);
    expect(log).toContain("Shutdown requested by the front (MS-ASPNETCORE-EVENT: shutdown)");
    expect(log).toContain("Application is shutting down");
    expect(log).toContain(`fixture app stopped pid=${app.pid}`);
  });

  it("leaves no app process behind when the front is killed with SIGKILL", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const app = await echo(`${front.url}/`);
    // The front's one child is the watchdog, whose child is the app.
    const watchdogs = childPids(front.pid);
    if (watchdogs !== null) {
      expect(watchdogs).toHaveLength(1);
      expect(childPids(watchdogs[0]!)).toEqual([app.pid]);
    }
    expect(isAlive(app.pid)).toBe(true);

    const spawned = await spawnedByApp(front.url);

    front.child.kill("SIGKILL");
    await within(5_000, front.exited, "the front dying");
    await waitGone([app.pid, spawned, ...(watchdogs ?? [])], 5_000, "the app, what it started and its watchdog exiting after the front's SIGKILL");
  });

  it("kills the app and what it started when the watchdog is killed with SIGKILL; the next request starts one new app", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const app = await echo(`${front.url}/`);
    const spawned = await spawnedByApp(front.url);
    const watchdogs = childPids(front.pid);
    expect(watchdogs, "needs /proc").not.toBeNull();
    expect(watchdogs).toHaveLength(1);

    process.kill(watchdogs![0]!, "SIGKILL");
    await waitGone([app.pid, spawned, watchdogs![0]!], 5_000, "the app and what it started exiting after the watchdog's SIGKILL");

    // The front starts a new app; only it runs, under one new watchdog.
    const second = await echo(`${front.url}/`);
    expect(second.pid).not.toBe(app.pid);
    const now = childPids(front.pid)!;
    expect(now).toHaveLength(1);
    expect(childPids(now[0]!)).toEqual([second.pid]);

    // A clean stop leaves nothing behind.
    front.child.kill("SIGTERM");
    expect((await within(15_000, front.exited, "the front exiting")).code).toBe(0);
    await waitGone([second.pid, now[0]!], 5_000, "the second app exiting with the front");
  });

  it("kills what the app started when the app itself is killed with SIGKILL", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const app = await echo(`${front.url}/`);
    const spawned = await spawnedByApp(front.url);

    process.kill(app.pid, "SIGKILL");
    await waitGone([app.pid, spawned], 5_000, "the app's own child exiting with the app");
    // The front recovers with a new app on the next request, as after any crash.
    const second = await echo(`${front.url}/`);
    expect(second.pid).not.toBe(app.pid);
  });

  it("writes the app's output to stdoutLogFile_yyyyMMddHHmmss_<pid>.log, creating the folder", async () => {
    const site = await e2e.site({ settings: outOfProcess({ stdoutLogEnabled: "true", stdoutLogFile: ".\\logs\\stdout" }) });
    expect(existsSync(site.path("logs"))).toBe(false);
    const front = await e2e.front(site);
    const before = new Date();
    const app = await echo(`${front.url}/`);

    const names = readdirSync(site.path("logs"));
    expect(names).toHaveLength(1);
    const name = names[0]!;
    const m = new RegExp(`^stdout_(\\d{4})(\\d{2})(\\d{2})(\\d{2})(\\d{2})(\\d{2})_${app.pid}\\.log$`).exec(name);
    expect(m, name).not.toBeNull();
    // The stamp is local time, around now.
    const [year, month, day, hours, minutes, seconds] = m!.slice(1).map(Number) as [number, number, number, number, number, number];
    const stamp = new Date(year, month - 1, day, hours, minutes, seconds);
    expect(Math.abs(stamp.getTime() - before.getTime())).toBeLessThan(120_000);

    // The file is written as the output arrives.
    await until(3_000, () => stdoutLogOf(site.path("logs"), app.pid).includes(`fixture app started pid=${app.pid}`), "the startup line in the stdout log");
  });
});

/** Has the app start a long-running process of its own (`/spawn`); its pid. */
async function spawnedByApp(url: string): Promise<number> {
  const res = await request(`${url}/spawn`, { dispatcher: agent });
  expect(res.statusCode).toBe(200);
  const { pid } = (await res.body.json()) as { pid: number };
  expect(isAlive(pid)).toBe(true);
  return pid;
}

/** The content of the app's stdout log in `dir` (the one file named for `pid`). */
function stdoutLogOf(dir: string, pid: number): string {
  const names = readdirSync(dir).filter((n) => n.endsWith(`_${pid}.log`));
  expect(names, `stdout logs in ${dir}: ${readdirSync(dir).join(", ")}`).toHaveLength(1);
  return readFileSync(`${dir}/${names[0]}`, "utf8");
}

describe("a web.config brought from Windows", () => {
  it("starts the app from arguments=\".\\app.mjs\" (Windows-style relative paths translated inside the site)", async () => {
    const site = await e2e.site({ settings: outOfProcess({ arguments: ".\\app.mjs" }) });
    const front = await e2e.front(site);
    const res = await echo(`${front.url}/`);
    expect(isAlive(res.pid)).toBe(true);
  });
});
