/**
 * What the parser learned from a request head, and the message-level rules
 * RFC 9112 applies once the head is complete: Host, request-target form and
 * body framing (§6). Every rule that protects against request smuggling
 * lives here.
 *
 * @module
 */
import { HeaderMap } from "@x/abstractions";
import { reject } from "./errors.js";

/** How the request body is delimited (RFC 9112 §6.3). */
export const BodyFraming = { None: 0, ContentLength: 1, Chunked: 2 } as const;
export type BodyFraming = (typeof BodyFraming)[keyof typeof BodyFraming];

/** The four request-target forms (RFC 9112 §3.2). */
export const TargetForm = { Origin: 0, Absolute: 1, Authority: 2, Asterisk: 3 } as const;
export type TargetForm = (typeof TargetForm)[keyof typeof TargetForm];

export class RequestHead {
  method = "";
  rawTarget = "";
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor = 1;
  headers = new HeaderMap(undefined, false);
  targetForm: TargetForm = TargetForm.Origin;
  /** Path and query of the target (origin-form, or taken from absolute-form). */
  pathAndQuery = "";
  /** The authority the request is for: the Host header, or the target's in absolute and authority form. */
  authority = "";

  contentLength = -1;
  transferEncoding: string | null = null;
  framing: BodyFraming = BodyFraming.None;
  hostCount = 0;
  host = "";
  connectionClose = false;
  connectionKeepAlive = false;
  connectionUpgrade = false;
  upgrade: string | null = null;
  expectContinue = false;
  /** `Connection: upgrade` with an `Upgrade` protocol the app may switch to (not h2c). */
  isUpgradable = false;

  /** Sets a Content-Length value (RFC 9110 §8.6): digits only; repeated values must agree. */
  setContentLength(value: string): void {
    let parsed = -1;
    // A list of identical values ("5, 5") may be accepted as one (RFC 9110 §8.6).
    for (const part of value.split(",")) {
      const v = part.trim();
      if (!/^\d{1,15}$/.test(v)) reject("InvalidContentLength", value);
      const n = Number(v);
      if (parsed !== -1 && n !== parsed) reject("MultipleContentLengths");
      parsed = n;
    }
    if (this.contentLength !== -1 && this.contentLength !== parsed) reject("MultipleContentLengths");
    this.contentLength = parsed;
  }

  addTransferEncoding(value: string): void {
    this.transferEncoding = this.transferEncoding === null ? value : `${this.transferEncoding}, ${value}`;
  }

  addConnection(value: string): void {
    for (const part of value.split(",")) {
      const token = part.trim().toLowerCase();
      if (token === "close") this.connectionClose = true;
      else if (token === "keep-alive") this.connectionKeepAlive = true;
      else if (token === "upgrade") this.connectionUpgrade = true;
    }
  }

  /** Applies the message-level rules once every header line is in. */
  complete(): void {
    this.#checkHost();
    this.#resolveTarget();
    this.#resolveFraming();
    // h2c is HTTP/2's own upgrade, not an opaque protocol for the app (Kestrel ignores it too).
    this.isUpgradable = this.connectionUpgrade && this.upgrade !== null && this.versionMinor === 1 && this.upgrade.trim().toLowerCase() !== "h2c";
    // Kestrel: "Requests with 'Connection: Upgrade' cannot have content": after the switch
    // the bytes that follow belong to the new protocol, so a body would be ambiguous.
    if (this.isUpgradable && this.framing !== BodyFraming.None) reject("UpgradeRequestCannotHavePayload");
  }

  get keepAlive(): boolean {
    if (this.connectionClose) return false;
    return this.versionMinor === 1 || this.connectionKeepAlive;
  }

  #checkHost(): void {
    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    // HTTP/1.1 request message that lacks a Host header field and to any request message
    // that contains more than one Host header field line or a Host header field with an
    // invalid field value."
    if (this.hostCount > 1) reject("MultipleHost");
    if (this.hostCount === 0 && this.versionMinor === 1) reject("MissingHost");
    if (this.hostCount === 1 && !isValidAuthority(this.host, true)) reject("InvalidHost", this.host);
    this.authority = this.host;
  }

  #resolveTarget(): void {
    const target = this.rawTarget;
    const first = target.charCodeAt(0);
    if (first === 0x2f /* / */) {
      if (this.method === "CONNECT") reject("MethodNotAllowedForTarget", "CONNECT requires authority-form");
      if (hasEncodedNul(target)) reject("InvalidRequestTarget", target);
      this.targetForm = TargetForm.Origin;
      this.pathAndQuery = target;
      return;
    }
    if (target === "*") {
      // RFC 9112 §3.2.4: asterisk-form is only used for a server-wide OPTIONS request.
      if (this.method !== "OPTIONS") reject("MethodNotAllowedForTarget", "'*' is only valid with OPTIONS");
      this.targetForm = TargetForm.Asterisk;
      this.pathAndQuery = "*";
      return;
    }
    if (this.method === "CONNECT") {
      // RFC 9112 §3.2.3: authority-form is host ":" port, for CONNECT only.
      if (!isValidAuthority(target, false) || !/:\d+$/.test(target)) reject("InvalidRequestTarget", target);
      this.targetForm = TargetForm.Authority;
      this.authority = target;
      this.pathAndQuery = "";
      return;
    }
    const m = /^(https?):\/\/([^/?]*)(.*)$/i.exec(target);
    if (m === null) reject("InvalidRequestTarget", target);
    // RFC 9112 §3.2.2: with absolute-form the server MUST ignore the Host header
    // field and use the target's authority instead.
    const authority = m[2]!;
    if (authority.length === 0 || authority.includes("@") || !isValidAuthority(authority, false)) reject("InvalidRequestTarget", target);
    this.targetForm = TargetForm.Absolute;
    this.authority = authority;
    const rest = m[3]!;
    if (hasEncodedNul(rest)) reject("InvalidRequestTarget", target);
    this.pathAndQuery = rest.length === 0 ? "/" : rest.charCodeAt(0) === 0x3f ? `/${rest}` : rest;
  }

  #resolveFraming(): void {
    if (this.transferEncoding !== null) {
      // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      if (this.versionMinor === 0) reject("TransferEncodingInHttp10");
      // RFC 9112 §6.3 rule 3: TE with Content-Length is a smuggling attempt; reject it.
      if (this.contentLength !== -1) reject("ContentLengthAndTransferEncoding");
      const codings = this.transferEncoding.split(",").map((c) => c.trim().toLowerCase());
      const last = codings[codings.length - 1];
      // RFC 9112 §6.3: "If a Transfer-Encoding header field is present in a request and the
      // chunked transfer coding is not the final encoding, ... the server MUST respond with
      // the 400 (Bad Request) status code and then close the connection."
      if (last !== "chunked") reject("FinalTransferCodingNotChunked", this.transferEncoding);
      // RFC 9112 §6.1: chunked MUST NOT be applied more than once; empty codings are malformed.
      if (codings.indexOf("chunked") !== codings.length - 1 || codings.some((c) => !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(c))) {
        reject("FinalTransferCodingNotChunked", this.transferEncoding);
      }
      // RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does
      // not understand SHOULD respond with 501 (Not Implemented)." We decode chunked only; a
      // body we would pass on still gzip- or deflate-coded is not the body the client sent.
      if (codings.length > 1) reject("UnsupportedTransferCoding", this.transferEncoding);
      this.framing = BodyFraming.Chunked;
      return;
    }
    this.framing = this.contentLength > 0 ? BodyFraming.ContentLength : BodyFraming.None;
  }
}

/**
 * Whether the path (not the query) holds `%00`. Kestrel rejects it with 400: decoded, a NUL
 * would cut the path short in any C API it reaches (file systems among them).
 */
function hasEncodedNul(pathAndQuery: string): boolean {
  const nul = pathAndQuery.indexOf("%00");
  if (nul === -1) return false;
  const query = pathAndQuery.indexOf("?");
  return query === -1 || nul < query;
}

// RFC 3986 §3.2: reg-name / IPv4 / IP-literal, then an optional ":" port.
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=%]*$/;
const IP_LITERAL = /^\[[0-9A-Fa-f:.]+\]$|^\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]$/;

/** The last authority found valid: clients repeat the same Host on every request. */
let lastValidAuthority = "\0";

/**
 * Validates `host[:port]` (RFC 3986 §3.2: reg-name, IPv4, or an IP literal in
 * brackets; a decimal port); an empty value is allowed for the Host header
 * only. `@x/http2` applies the same rule to `:authority`.
 */
export function isValidAuthority(value: string, allowEmpty: boolean): boolean {
  if (value === lastValidAuthority) return true;
  if (value.length === 0) return allowEmpty;
  const valid = checkAuthority(value);
  if (valid) lastValidAuthority = value;
  return valid;
}

function checkAuthority(value: string): boolean {
  let host = value;
  const bracket = value.lastIndexOf("]");
  const colon = value.lastIndexOf(":");
  if (colon > bracket) {
    const port = value.slice(colon + 1);
    if (!/^\d{0,5}$/.test(port)) return false;
    host = value.slice(0, colon);
  }
  if (host.charCodeAt(0) === 0x5b /* [ */) return IP_LITERAL.test(host);
  return host.length > 0 && REG_NAME.test(host);
}
