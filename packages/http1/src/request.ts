/**
 * The HTTP/1.1 request as the application sees it. Path and query are
 * split and decoded lazily, on first access.
 *
 * @module
 */
import type { HeaderMap, HttpRequest, RequestBody } from "@x/abstractions";
import { splitTarget } from "./path.js";
import { type RequestHead, TargetForm } from "./request-head.js";

export class Http1Request implements HttpRequest {
  readonly method: string;
  scheme: string;
  readonly protocol: string;
  host: string;
  pathBase = "";
  readonly rawTarget: string;
  readonly headers: HeaderMap;
  readonly contentLength: number | null;
  readonly body: RequestBody;
  #path: string | undefined;
  #query: string | undefined;
  readonly #head: RequestHead;

  constructor(head: RequestHead, scheme: string, body: RequestBody) {
    this.#head = head;
    this.method = head.method;
    this.scheme = scheme;
    this.protocol = head.versionMinor === 1 ? "HTTP/1.1" : "HTTP/1.0";
    this.host = head.authority;
    this.rawTarget = head.rawTarget;
    this.headers = head.headers;
    this.contentLength = head.contentLength === -1 ? null : head.contentLength;
    this.body = body;
  }

  get path(): string {
    if (this.#path === undefined) this.#split();
    return this.#path!;
  }

  set path(value: string) {
    this.#path = value;
  }

  get queryString(): string {
    if (this.#query === undefined) this.#split();
    return this.#query!;
  }

  set queryString(value: string) {
    this.#query = value;
  }

  #split(): void {
    const head = this.#head;
    if (head.targetForm === TargetForm.Asterisk || head.targetForm === TargetForm.Authority) {
      this.#path ??= "";
      this.#query ??= "";
      return;
    }
    const { path, query } = splitTarget(head.pathAndQuery);
    this.#path ??= path;
    this.#query ??= query;
  }
}
