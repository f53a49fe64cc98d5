import { Server } from "@x/server";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type AppHost, Host } from "../src/index.js";
import { captureLogs, tempDir } from "./helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function build(settings: Record<string, unknown>): Promise<AppHost> {
  const dir = await tempDir({ "appsettings.json": settings });
  cleanups.push(dir.cleanup);
  const logs = captureLogs();
  return Host.createDefaultBuilder([], {})
    .useContentRoot(dir.path)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end(`in-process ${ctx.request.path}`))))
    .build();
}

describe("AppHost.createApplication (in-process hosting)", () => {
  it("gives the pipeline, web defaults included, to another server, with the lifetime events and no server of its own", async () => {
    const host = await build({ AllowedHosts: "localhost" });
    const events: string[] = [];
    host.lifetime.onStarted(() => void events.push("started"));
    host.lifetime.onStopped(() => void events.push("stopped"));
    const application = await host.createApplication();
    expect(host.server).toBeNull();
    expect(events).toEqual(["started"]);
    const front = new Server();
    front.options.listen("127.0.0.1", 0);
    await front.start(application);
    cleanups.push(() => front.stop(1_000));
    const url = front.addresses[0]!;
    const ok = await request(`${url}/x`, { headers: { host: "localhost" } });
    expect(await ok.body.text()).toBe("in-process /x");
    const filtered = await request(`${url}/x`, { headers: { host: "elsewhere.test" } });
    expect(filtered.statusCode).toBe(400);
    await filtered.body.dump();
    await host.stop();
    expect(events).toEqual(["started", "stopped"]);
    await expect(host.createApplication()).rejects.toThrow(/already been started/);
  });
});
