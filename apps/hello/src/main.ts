/**
 * The Quick start sample. It configures no endpoint in code: `--urls`,
 * `ASPNETCORE_URLS`, `urls` or the `Kestrel` section of `appsettings.json`
 * (or `Kestrel__Endpoints__Name__Url=...` in the environment) decide where it
 * listens; with none of them it listens on http://localhost:5000.
 */
import { Host } from "@x/hosting";

await Host.createDefaultBuilder(process.argv.slice(2))
  .configureWebHostDefaults((web) =>
    web.configure((app) =>
      app.run(async (http) => {
        if (http.request.path !== "/") {
          http.response.statusCode = 404;
          return;
        }
        http.response.contentType = "text/plain; charset=utf-8";
        await http.response.end("Hello, World!");
      }),
    ),
  )
  .build()
  .run();
