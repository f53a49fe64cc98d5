/**
 * The per-request `HttpContext` for HTTP/1.1. Like Kestrel's `HttpProtocol`,
 * the context object itself implements the request features, so a request
 * allocates no feature objects unless the app asks for the collection.
 *
 * @module
 */
import {
  ConnectionAbortedError,
  FeatureCollection,
  HttpConnectionFeature,
  HttpMaxRequestBodySizeFeature,
  HttpMinRequestBodyDataRateFeature,
  HttpMinResponseDataRateFeature,
  HttpUpgradeFeature,
  HttpInformationalResponseFeature,
  HttpRequestBodyDetectionFeature,
  HttpRequestLifetimeFeature,
  HttpRequestTrailersFeature,
  HttpResponseTrailersFeature,
  emptyHeaderMap,
  type HeaderMap,
  UserError,
  type ConnectionInfo,
  type HttpContext,
  type HttpMaxRequestBodySize,
  type HttpRequestBodyDetection,
  type HttpRequestLifetime,
  type HttpRequestTrailers,
  type HttpUpgrade,
  type HttpInformationalResponse,
  type MinDataRate,
  type UpgradeOptions,
} from "@x/abstractions";
import type { Duplex } from "node:stream";
import type { Http1Request } from "./request.js";
import { emptyBody } from "./request-body.js";
import type { Http1Response } from "./response.js";

/** What the context needs from its connection. */
export interface ContextOwner {
  readonly connectionInfo: ConnectionInfo;
  readonly connectionFeatures: FeatureCollection;
  abortRequest(): void;
  readonly isAborted: boolean;
  /** Whether the app has begun reading the body (the size limit is then fixed). */
  readonly bodyReadStarted: boolean;
  readonly requestTrailers: HeaderMap | null;
  readonly isBodyComplete: boolean;
  readonly isUpgradableRequest: boolean;
  upgrade(options?: UpgradeOptions): Promise<Duplex>;
  /** Sends a 1xx interim response now (before the final response). */
  sendInformational(statusCode: number, headers?: Iterable<readonly [string, string | readonly string[]]>): void;
  /** The per-request minimum rates changed (the connection times with them). */
  onDataRatesChanged(): void;
}

/** Shared by every request without trailers: read-only, so one app's write cannot reach another request. */
const EMPTY_TRAILERS = emptyHeaderMap();

export class Http1Context
  implements
    HttpContext,
    HttpRequestLifetime,
    HttpMaxRequestBodySize,
    HttpRequestBodyDetection,
    HttpRequestTrailers,
    HttpUpgrade,
    HttpInformationalResponse
{
  /** The minimum request-body rate for this request (`HttpMinRequestBodyDataRateFeature`); null disables. */
  minRequestBodyDataRate: MinDataRate | null;
  /** The minimum response rate for this request (`HttpMinResponseDataRateFeature`); null disables. */
  minResponseDataRate: MinDataRate | null;
  readonly request: Http1Request;
  readonly response: Http1Response;
  readonly #owner: ContextOwner;
  readonly #requestNumber: number;
  #features: FeatureCollection | undefined;
  #items: Map<unknown, unknown> | undefined;
  #abortController: AbortController | undefined;
  #maxRequestBodySize: number | null;
  /** Set when middleware rewrites the addresses for this request (forwarded headers). */
  #connectionOverride: ConnectionInfo | undefined;

  constructor(
    owner: ContextOwner,
    request: Http1Request,
    response: Http1Response,
    requestNumber: number,
    limits: { maxRequestBodySize: number | null; minRequestBodyDataRate: MinDataRate | null; minResponseDataRate: MinDataRate | null },
  ) {
    this.#owner = owner;
    this.minRequestBodyDataRate = limits.minRequestBodyDataRate;
    this.minResponseDataRate = limits.minResponseDataRate;
    const maxRequestBodySize = limits.maxRequestBodySize;
    this.request = request;
    this.response = response;
    this.#requestNumber = requestNumber;
    this.#maxRequestBodySize = maxRequestBodySize;
  }

  get connection(): ConnectionInfo {
    return this.#connectionOverride ?? this.#owner.connectionInfo;
  }

  set connection(value: ConnectionInfo) {
    this.#connectionOverride = value;
    this.#features?.set(HttpConnectionFeature, value);
  }

  get features(): FeatureCollection {
    if (this.#features === undefined) {
      const f = new FeatureCollection(this.#owner.connectionFeatures);
      f.set(HttpConnectionFeature, this.connection);
      f.set(HttpRequestLifetimeFeature, this);
      f.set(HttpMaxRequestBodySizeFeature, this);
      f.set(HttpRequestBodyDetectionFeature, this);
      f.set(HttpRequestTrailersFeature, this);
      f.set(HttpResponseTrailersFeature, this.response);
      f.set(HttpUpgradeFeature, this);
      f.set(HttpInformationalResponseFeature, this);
      // Both Kestrel interfaces name their property MinDataRate, so each gets a small view.
      f.set(HttpMinRequestBodyDataRateFeature, new DataRateView(this, "minRequestBodyDataRate", this.#owner));
      f.set(HttpMinResponseDataRateFeature, new DataRateView(this, "minResponseDataRate", this.#owner));
      this.#features = f;
    }
    return this.#features;
  }

  get items(): Map<unknown, unknown> {
    return (this.#items ??= new Map());
  }

  get traceIdentifier(): string {
    // Kestrel's format: "{ConnectionId}:{RequestNumber:X8}".
    return `${this.#owner.connectionInfo.id}:${this.#requestNumber.toString(16).toUpperCase().padStart(8, "0")}`;
  }

  get requestAborted(): AbortSignal {
    if (this.#abortController === undefined) {
      this.#abortController = new AbortController();
      if (this.#owner.isAborted) this.#abortController.abort(new ConnectionAbortedError());
    }
    return this.#abortController.signal;
  }

  abort(): void {
    this.#owner.abortRequest();
  }

  /** Called by the connection when the client goes away or the request is aborted. */
  signalAborted(): void {
    this.#abortController?.abort(new ConnectionAbortedError("The client disconnected or the request was aborted"));
  }

  // IHttpUpgradeFeature
  get isUpgradableRequest(): boolean {
    return this.#owner.isUpgradableRequest;
  }

  upgrade(options?: UpgradeOptions): Promise<Duplex> {
    return this.#owner.upgrade(options);
  }

  // HttpInformationalResponse
  sendInformational(statusCode: number, headers?: Iterable<readonly [string, string | readonly string[]]>): void {
    this.#owner.sendInformational(statusCode, headers);
  }

  // IHttpMaxRequestBodySizeFeature
  get isReadOnly(): boolean {
    return this.#owner.bodyReadStarted;
  }

  get maxRequestBodySize(): number | null {
    return this.#maxRequestBodySize;
  }

  set maxRequestBodySize(value: number | null) {
    if (this.isReadOnly) {
      throw new UserError("The maximum request body size cannot be modified after the app has already started reading the request body.", "ERR_X_HTTP_BODY_SIZE_READ_ONLY");
    }
    if (value !== null && (!Number.isSafeInteger(value) || value < 0)) throw new UserError(`Invalid max request body size ${value}`, "ERR_X_HTTP_INVALID_LIMIT");
    this.#maxRequestBodySize = value;
  }

  // IHttpRequestBodyDetectionFeature
  get canHaveBody(): boolean {
    // Fixed by the head, as in ASP.NET Core: true for a non-zero Content-Length or chunked
    // (`emptyBody` is used exactly when neither applies); reading the body does not change it.
    return this.request.body !== emptyBody;
  }

  // IHttpRequestTrailersFeature
  get available(): boolean {
    return this.#owner.isBodyComplete;
  }

  get trailers(): HeaderMap {
    if (!this.available) throw new UserError("The request trailers are not available yet; read the whole body first", "ERR_X_HTTP_TRAILERS_NOT_AVAILABLE");
    return this.#owner.requestTrailers ?? EMPTY_TRAILERS;
  }
}

/** `IHttpMinRequestBodyDataRateFeature` / `IHttpMinResponseDataRateFeature` over one context field. */
class DataRateView {
  constructor(
    readonly context: Http1Context,
    readonly field: "minRequestBodyDataRate" | "minResponseDataRate",
    readonly owner: ContextOwner,
  ) {}

  get minDataRate(): MinDataRate | null {
    return this.context[this.field];
  }

  set minDataRate(value: MinDataRate | null) {
    this.context[this.field] = value;
    this.owner.onDataRatesChanged();
  }
}
