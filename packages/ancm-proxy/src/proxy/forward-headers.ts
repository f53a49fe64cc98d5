/**
 * The request headers the front sends the app and the response headers it
 * passes back, as ANCM does: hop-by-hop fields dropped (RFC 9110 §7.6.1),
 * any `MS-ASPNETCORE-*` field from the client stripped (only the front may
 * speak for the module), the pairing token set, `X-Forwarded-For`
 * (`ip:port`, IPv6 in brackets) and `X-Forwarded-Proto` appended, `Host`
 * kept, and a client certificate passed as `MS-ASPNETCORE-CLIENTCERT`
 * (base64 DER).
 *
 * @module
 */
import type { HeaderMap, HttpContext } from "@x/abstractions";
import { TlsConnectionFeature } from "@x/https-sni";

/** RFC 9110 §7.6.1 connection-specific fields, plus the HTTP/2 upgrade leftovers. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "http2-settings"]);

/** The request header carrying the pairing token to the app (`MS-ASPNETCORE-TOKEN`). */
export const TOKEN_HEADER = "ms-aspnetcore-token";
/** The request header carrying the client certificate to the app (`MS-ASPNETCORE-CLIENTCERT`). */
export const CLIENT_CERT_HEADER = "ms-aspnetcore-clientcert";
const MODULE_PREFIX = "ms-aspnetcore-";

/** Names the `Connection` field lists are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionOptions(headers: HeaderMap): Set<string> | null {
  const value = headers.get("connection");
  if (value === undefined) return null;
  const names = new Set<string>();
  for (const part of value.split(",")) {
    const name = part.trim().toLowerCase();
    if (name !== "") names.add(name);
  }
  return names;
}

/** `ip:port`, with an IPv6 address in brackets, as ANCM writes `X-Forwarded-For`. */
export function forwardedFor(address: string | null, port: number): string | null {
  if (address === null) return null;
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The headers for the app, as a flat `[name, value, ...]` list (repeated
 * fields stay separate). `forUpgrade` keeps nothing of `Connection`/`Upgrade`:
 * the tunnel sets them.
 */
export function requestHeadersForApp(context: HttpContext, token: string): string[] {
  const { request } = context;
  const headers = request.headers;
  const listed = connectionOptions(headers);
  const out: string[] = [];
  let hasHost = false;
  let xff: string | undefined;
  let xfp: string | undefined;
  for (const [name, value] of headers) {
    if (HOP_BY_HOP.has(name) || name.startsWith(MODULE_PREFIX) || listed?.has(name)) continue;
    if (name === "x-forwarded-for") {
      xff = typeof value === "string" ? value : value.join(", ");
      continue;
    }
    if (name === "x-forwarded-proto") {
      xfp = typeof value === "string" ? value : value.join(", ");
      continue;
    }
    if (name === "host") hasHost = true;
    if (typeof value === "string") out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  // HTTP/2 requests carry :authority instead of Host.
  if (!hasHost && request.host !== "") out.push("host", request.host);
  const client = forwardedFor(context.connection.remoteAddress, context.connection.remotePort);
  if (client !== null) out.push("x-forwarded-for", xff === undefined || xff === "" ? client : `${xff}, ${client}`);
  else if (xff !== undefined) out.push("x-forwarded-for", xff);
  out.push("x-forwarded-proto", xfp === undefined || xfp === "" ? request.scheme : `${xfp}, ${request.scheme}`);
  out.push(TOKEN_HEADER, token);
  // Only TLS connections can carry a client certificate; features are built on first use.
  const certificate = request.scheme === "https" ? context.features.get(TlsConnectionFeature)?.clientCertificate : undefined;
  if (certificate) out.push(CLIENT_CERT_HEADER, certificate.raw.toString("base64"));
  return out;
}

/** The names a response's `Connection` fields list (hop-by-hop too, RFC 9110 §7.6.1); null without any. */
function listedNames(values: readonly string[] | undefined): Set<string> | null {
  if (values === undefined) return null;
  const names = new Set<string>();
  for (const value of values) {
    for (const part of value.split(",")) names.add(part.trim().toLowerCase());
  }
  return names;
}

/** Copies the app's response headers (undici's record form, for upgrades) onto the client's response: see {@link copyResponseHeaderList}. */
export function copyResponseHeaders(from: Record<string, string | string[] | undefined>, to: HeaderMap, keepUpgrade = false): void {
  const list: string[] = [];
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (typeof value === "string") list.push(lower, value);
    else for (const v of value) list.push(lower, v);
  }
  copyResponseHeaderList(list, to, keepUpgrade);
}

/**
 * Copies the app's response headers (a flat list, names lower-case) onto the
 * client's response, leaving out hop-by-hop fields; `keepUpgrade` keeps
 * `Upgrade` (a tunnel's 101 answer needs it).
 */
export function copyResponseHeaderList(from: readonly string[], to: HeaderMap, keepUpgrade = false): void {
  let connection: string[] | undefined;
  for (let i = 0; i < from.length; i += 2) if (from[i] === "connection") (connection ??= []).push(from[i + 1]!);
  const listed = listedNames(connection);
  for (let i = 0; i < from.length; i += 2) {
    const name = from[i]!;
    if (HOP_BY_HOP.has(name) || listed?.has(name)) {
      if (keepUpgrade && name === "upgrade") to.set(name, from[i + 1]!);
      continue;
    }
    to.append(name, from[i + 1]!);
  }
}

/** The request target for the app: origin-form, whatever form the client used. */
export function targetForApp(context: HttpContext): string {
  const raw = context.request.rawTarget;
  if (raw.startsWith("/")) return raw;
  if (raw === "*") return "*";
  try {
    const url = new URL(raw);
    return `${url.pathname}${url.search}`;
  } catch {
    return `${context.request.pathBase}${context.request.path}${context.request.queryString}`;
  }
}
