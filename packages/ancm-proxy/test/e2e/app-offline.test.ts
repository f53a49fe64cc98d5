/**
 * `app_offline.htm` dropped into and removed from a running site.
 */
import { rmSync, writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agent, assertBuilt, delay, E2E, echo, isAlive, outOfProcess, send, until, waitGone } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

const OFFLINE_PAGE = "<!DOCTYPE html><html><body><h1>Down for maintenance</h1><p>x-ancm e2e ☕</p></body></html>\n";

describe("x-ancm app_offline.htm", () => {
  it("takes the app offline while the file exists (503 with its content, app stopped) and back online when it is removed", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const first = await echo(`${front.url}/`);

    writeFileSync(site.path("app_offline.htm"), OFFLINE_PAGE);
    // writeFileSync creates the file empty and then writes it: under load the front can see it
    // in between and serve an empty page until the write's change event, so wait for the content.
    await until(
      2_000,
      async () => {
        const probe = await send(`${front.url}/probe`);
        return probe.status === 503 && probe.text === OFFLINE_PAGE;
      },
      "503 with app_offline.htm's content",
      100,
    );
    const offline = await send(`${front.url}/any/path?q=1`);
    expect(offline.status).toBe(503);
    expect(offline.headers["content-type"]).toBe("text/html");
    expect(offline.text).toBe(OFFLINE_PAGE);

    // The app is stopped, not merely hidden.
    await waitGone([first.pid], 5_000, "the app stopping for app_offline.htm");
    await front.waitForLog(/^The application is offline$/);
    expect(front.logs(/exited unexpectedly/)).toEqual([]);
    // Requests while offline start nothing.
    expect((await send(`${front.url}/still-offline`)).text).toBe(OFFLINE_PAGE);
    expect(front.startedPids()).toEqual([first.pid]);

    rmSync(site.path("app_offline.htm"));
    await until(2_000, async () => (await send(`${front.url}/probe`)).status === 200, "200 once app_offline.htm is removed", 100);
    const second = await echo(`${front.url}/`);
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(second.pid)).toBe(true);
    expect(front.startedPids()).toEqual([first.pid, second.pid]);
  });

  it("notices the file at once both ways: a request right after the removal starts the app instead of a 503", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const first = await echo(`${front.url}/`);
    writeFileSync(site.path("app_offline.htm"), OFFLINE_PAGE);
    await until(400, async () => (await send(`${front.url}/probe`)).status === 503, "503 right after app_offline.htm appears", 10);
    // Removed at once, while the old app may still be stopping.
    rmSync(site.path("app_offline.htm"));
    await delay(50);
    const next = await send(`${front.url}/`);
    expect(next.status).toBe(200);
    expect((JSON.parse(next.text) as { pid: number }).pid).not.toBe(first.pid);
  });
});
