/**
 * `x-ancm [siteRoot] [--urls ...] [--Kestrel:...]`: the front process.
 * Reads `siteRoot/web.config` (or `ancm.json`), serves its endpoints and
 * hands requests to the app. SIGINT and SIGTERM stop it gracefully, app
 * included; if it dies otherwise, the watchdogs take the app processes down.
 */
import { createFront } from "../front-host.js";

const USAGE = `Usage: x-ancm [siteRoot] [--urls <urls>] [--<configuration key> <value> ...]

Runs the app described by siteRoot/web.config (system.webServer/aspNetCore) or
siteRoot/ancm.json behind this front process, as the ASP.NET Core Module does in IIS.
siteRoot defaults to the current directory.`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const siteRoot = args[0] !== undefined && !args[0].startsWith("-") ? args.shift() : undefined;

let front: ReturnType<typeof createFront>;
try {
  front = createFront({ siteRoot, args });
} catch (error) {
  // Before the host exists there is no logger: one line on stderr (an AncmSettingsError names the file and attribute).
  process.stderr.write(`x-ancm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
// However the front ends, no app process outlives it (the watchdogs cover SIGKILL).
process.once("exit", () => front.module.kill());
await front.host.run();
