/**
 * Parses the URLs hosting passes to the server (`--urls`, `ASPNETCORE_URLS`,
 * `urls`, `useUrls`) the way Kestrel's `BindingAddress` does.
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";
import { isIP } from "node:net";

/** What a URL's host means: localhost, any address, an IP address or a Unix socket. */
export type BindingHost =
  | { kind: "localhost" }
  | { kind: "any" } // `*`, `+` or a host name: every address, dual-stack
  | { kind: "ip"; address: string }
  | { kind: "unix"; path: string };

/** A parsed URL from `urls` (ASP.NET Core's `BindingAddress`). */
export interface BindingAddress {
  readonly scheme: "http" | "https";
  readonly host: BindingHost;
  readonly port: number;
  /** The URL as given. */
  readonly url: string;
  /** True for a host name other than localhost, which Kestrel binds as any address. */
  readonly isHostName: boolean;
}

/** `http://localhost:5000`, `https://*:443`, `http://[::1]:0`, `http://unix:/run/app.sock`. */
export function parseBindingAddress(url: string): BindingAddress {
  const trimmed = url.trim();
  const m = /^(https?):\/\/(.*)$/i.exec(trimmed);
  if (m === null) {
    throw new OptionsValidationError(`Invalid url: '${url}'. URLs must start with http:// or https://`, "urls");
  }
  const scheme = m[1]!.toLowerCase() as "http" | "https";
  const rest = m[2]!;
  if (rest.toLowerCase().startsWith("unix:")) {
    const path = rest.slice(5);
    if (!path.startsWith("/")) throw new OptionsValidationError(`Invalid url: '${url}'. Unix socket paths must be absolute`, "urls");
    return { scheme, host: { kind: "unix", path }, port: 0, url: trimmed, isHostName: false };
  }
  let hostPart: string;
  let after: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close === -1) throw new OptionsValidationError(`Invalid url: '${url}'`, "urls");
    hostPart = rest.slice(1, close);
    after = rest.slice(close + 1);
  } else {
    const stop = rest.search(/[:/]/);
    hostPart = stop === -1 ? rest : rest.slice(0, stop);
    after = stop === -1 ? "" : rest.slice(stop);
  }
  let port = scheme === "https" ? 443 : 80;
  const portMatch = /^:(\d+)/.exec(after);
  if (portMatch !== null) {
    port = Number(portMatch[1]);
    after = after.slice(portMatch[0].length);
  } else if (after.startsWith(":")) {
    throw new OptionsValidationError(`Invalid url: '${url}'. The port is not a number`, "urls");
  }
  if (port > 65_535) throw new OptionsValidationError(`Invalid url: '${url}'. The port must be 0 to 65535`, "urls");
  if (after !== "" && after !== "/") {
    // Kestrel: "A path base can only be configured using IApplicationBuilder.UsePathBase()".
    throw new OptionsValidationError(`Invalid url: '${url}'. A path base can only be configured with pathBase in the app, not in a URL`, "urls");
  }
  if (hostPart === "") throw new OptionsValidationError(`Invalid url: '${url}'. The host is missing`, "urls");
  const lower = hostPart.toLowerCase();
  let host: BindingHost;
  let isHostName = false;
  if (lower === "localhost") host = { kind: "localhost" };
  else if (lower === "*" || lower === "+") host = { kind: "any" };
  else if (isIP(hostPart) !== 0) host = { kind: "ip", address: hostPart };
  else {
    host = { kind: "any" };
    isHostName = true;
  }
  return { scheme, host, port, url: trimmed, isHostName };
}

/** Splits a semicolon-separated URL list, as hosting passes it. */
export function splitUrls(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(";")
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
}
