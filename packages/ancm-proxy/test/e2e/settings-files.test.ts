/**
 * `web.config` and `ancm.json` are two spellings of the same settings: the
 * same site behaves the same with either.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agent, assertBuilt, E2E, echo, type FrontProcess, outOfProcess, send } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

/** The settings under test: arguments with a quoted run, an environment variable, requestTimeout and startupTimeLimit. */
const SETTINGS = outOfProcess(
  { arguments: 'app.mjs --fixture-flag "two words"', requestTimeout: "00:00:01", startupTimeLimit: "30", stdoutLogEnabled: "false" },
  { GREETING: "same either way" },
);

/** What a set of requests gets back, without what differs between any two runs (pids, ports, tokens). */
async function observe(front: FrontProcess) {
  const seen = await echo(`${front.url}/same/path?q=1`);
  const slow = await send(`${front.url}/slow?ms=2500`);
  const fast = await send(`${front.url}/slow?ms=10`);
  return {
    echo: {
      path: seen.path,
      query: seen.query,
      scheme: seen.scheme,
      remoteAddress: seen.remoteAddress,
      argv: seen.argv,
      greeting: seen.env.GREETING,
      applPath: seen.env.ASPNETCORE_APPL_PATH,
    },
    slow: { status: slow.status, is502_3: slow.text.includes("HTTP Error 502.3") },
    fast: { status: fast.status, text: fast.text },
    processes: front.startedPids().length,
  };
}

describe("x-ancm settings files", () => {
  it("gives the same behaviour with web.config and with the equivalent ancm.json", async () => {
    const [fromXml, fromJson] = await Promise.all(
      (["web.config", "ancm.json"] as const).map(async (format) => {
        const site = await e2e.site({ settings: SETTINGS, format });
        const front = await e2e.front(site);
        return observe(front);
      }),
    );
    expect(fromXml).toEqual({
      echo: {
        path: "/same/path",
        query: "?q=1",
        scheme: "http",
        remoteAddress: "127.0.0.1",
        argv: ["--fixture-flag", "two words"],
        greeting: "same either way",
        applPath: "/",
      },
      slow: { status: 502, is502_3: true },
      fast: { status: 200, text: "slow done 10" },
      processes: 1,
    });
    expect(fromJson).toEqual(fromXml);
  });
});
