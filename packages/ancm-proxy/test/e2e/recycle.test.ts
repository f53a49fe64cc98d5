/**
 * ANCM recycles the app when web.config changes: the running app stops
 * gracefully and the next request starts it with the new settings. A change
 * that does not load is logged and the app keeps running as it was.
 */
import { writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agent, assertBuilt, E2E, echo, outOfProcess, until, waitGone, webConfigXml } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

describe("x-ancm recycles on a web.config change", () => {
  it("stops the app gracefully and serves with the new settings (environment variables, arguments)", async () => {
    const site = await e2e.site({ settings: outOfProcess({}, { GREETING: "first" }) });
    const front = await e2e.front(site);
    const first = await echo(`${front.url}/`);
    expect(first.env.GREETING).toBe("first");

    writeFileSync(site.path("web.config"), webConfigXml(outOfProcess({ arguments: "app.mjs --recycled" }, { GREETING: "second" })));
    await front.waitForLog(/recycling the application/);
    await waitGone([first.pid], 5_000, "the old app stopping on the recycle");
    let second = await echo(`${front.url}/`);
    await until(3_000, async () => (second = await echo(`${front.url}/`)).env.GREETING === "second", "the app with the new settings", 50);
    expect(second.pid).not.toBe(first.pid);
    expect(second.argv).toContain("--recycled");
    expect(front.logs(/exited unexpectedly/)).toEqual([]);
  });

  it("keeps the app running when the changed web.config is invalid, and logs why", async () => {
    const site = await e2e.site({ settings: outOfProcess({}, { GREETING: "kept" }) });
    const front = await e2e.front(site);
    const first = await echo(`${front.url}/`);
    writeFileSync(site.path("web.config"), webConfigXml(outOfProcess({ processesPerApplication: "0" })));
    await front.waitForLog(/cannot be used; the application keeps running/);
    const still = await echo(`${front.url}/`);
    expect(still.pid).toBe(first.pid);
    expect(still.env.GREETING).toBe("kept");
  });

  it("does not recycle when the file is only touched or rewritten the same", async () => {
    const settings = outOfProcess();
    const site = await e2e.site({ settings });
    const front = await e2e.front(site);
    const first = await echo(`${front.url}/`);
    writeFileSync(site.path("web.config"), webConfigXml(settings));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(front.logs(/recycling the application/)).toEqual([]);
    expect((await echo(`${front.url}/`)).pid).toBe(first.pid);
  });
});
