/**
 * One HTTPS endpoint, HTTP/1.1 and HTTP/2 (ALPN), a certificate per SNI name:
 * everything about it is in `appsettings.json` (`Kestrel:Endpoints:Https`).
 * Every request is answered with what the connection and request carried:
 *
 *     { "host": "a.localhost:5443", "sni": "a.localhost", "protocol": "HTTP/2", "alpn": "h2", "tls": "TLSv1.3" }
 */
import { Host } from "@x/hosting";
import { TlsHandshakeFeature } from "@x/https-sni";

await Host.createDefaultBuilder(process.argv.slice(2))
  .configureWebHostDefaults((web) =>
    web.configure((app) =>
      app.run(async (http) => {
        const tls = http.features.get(TlsHandshakeFeature);
        const body = {
          host: http.request.host,
          sni: tls?.hostName ?? null,
          protocol: http.request.protocol,
          alpn: tls?.negotiatedApplicationProtocol ?? null,
          tls: tls?.protocol ?? null,
        };
        http.response.contentType = "application/json; charset=utf-8";
        await http.response.end(JSON.stringify(body));
      }),
    ),
  )
  .build()
  .run();
