// The site's app: an ordinary @x/hosting app, run by x-ancm as web.config says.
//
// - out-of-process (web.config as shipped): x-ancm starts `node app.mjs` in this folder with
//   ASPNETCORE_PORT and ASPNETCORE_TOKEN set; the host then listens on 127.0.0.1:{port} only,
//   requires the pairing token, applies X-Forwarded-For/-Proto from the front and stops on its
//   shutdown event;
// - in-process (hostingModel="inprocess"): x-ancm imports this module and calls the default
//   export's createApplication(); nothing listens here and process.pid is the front's;
// - on its own: `node app.mjs --urls http://127.0.0.1:5000`.
import { realpathSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Host } from "@x/hosting";

/** True when node runs this file (`node app.mjs`), false when x-ancm imports it (in-process). */
function isMain() {
  if (process.argv[1] === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

const main = isMain();
const startedAt = new Date().toISOString();

// In-process, process.argv and the working directory are the front's: take no arguments then,
// and read appsettings.json from this folder either way.
const host = Host.createDefaultBuilder(main ? process.argv.slice(2) : [])
  .useContentRoot(dirname(fileURLToPath(import.meta.url)))
  .configureWebHostDefaults((web) =>
    web.configure((app, context) =>
      app.run(async (http) => {
        if (http.request.path !== "/") {
          http.response.statusCode = 404;
          return;
        }
        const body = {
          greeting: context.configuration.get("Sample:Greeting") ?? null,
          pid: process.pid,
          startedAt,
          hostingModel: process.env.ASPNETCORE_PORT ? "outofprocess" : main ? "standalone" : "inprocess",
          // Out-of-process: the client's address and port as the front reported them in
          // X-Forwarded-For (the forwarded headers are applied), not the front's loopback socket.
          remoteAddress: http.connection.remoteAddress,
          remotePort: http.connection.remotePort,
          scheme: http.request.scheme,
          host: http.request.host,
          pathBase: http.request.pathBase,
          originalFor: http.request.headers.get("x-original-for") ?? null,
        };
        http.response.contentType = "application/json; charset=utf-8";
        await http.response.end(JSON.stringify(body));
      }),
    ),
  )
  .build();

export default host;

if (main) await host.run();
