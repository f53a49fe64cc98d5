// The "Hello, World!" app of the x-ancm benchmark (ancm.mjs), one file for every way it runs:
//
// - direct:          node ancm-app.mjs --urls http://127.0.0.1:PORT
// - out-of-process:  started by x-ancm (web.config processPath=node, arguments=this file) with
//                    ASPNETCORE_PORT/_TOKEN set: the host turns the IIS integration on by itself;
// - in-process:      imported by x-ancm, which takes the default export (a built, not started
//                    AppHost) and calls its createApplication(); nothing listens here.
//
// Logging:LogLevel:Default=Warning (arguments after it may override it), AllowedHosts unset
// (host filtering off), no appsettings.json in the site.
import { realpathSync } from "node:fs";
import { Host } from "@x/hosting";
import { pathToFileURL } from "node:url";

function isMain() {
  if (process.argv[1] === undefined) return false;
  let file = process.argv[1];
  try {
    file = realpathSync(file); // ESM main modules are loaded by their real path
  } catch {}
  return import.meta.url === pathToFileURL(file).href;
}

const main = isMain();
// Imported in-process, process.argv is the front's (site root, --urls ...): not the app's.
const args = ["--Logging:LogLevel:Default=Warning", ...(main ? process.argv.slice(2) : [])];

const host = Host.createDefaultBuilder(args)
  .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end("Hello, World!"))))
  .build();

export default host;

if (main) await host.run();
