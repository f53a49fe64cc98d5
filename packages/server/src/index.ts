/**
 * `@x/server`: the server core. Composes `@x/transport-sockets` and
 * `@x/http1` behind Kestrel's options model.
 *
 * @module
 */
export { DEFAULT_HTTPS_URL, DEFAULT_URL, listenOptionsFromUrl } from "./address-binder.js";
export type { UrlHttpsSettings } from "./address-binder.js";
export type { BindEndPoint } from "./address-binder.js";
export { parseBindingAddress, splitUrls } from "./binding-address.js";
export type { BindingAddress, BindingHost } from "./binding-address.js";
export { createConnectionLoggingMiddleware, hexDump } from "./connection-logging.js";
export { EndpointConfigurationLoader } from "./endpoint-configuration.js";
export type { ConfigureEndpoint, EndpointConfiguration } from "./endpoint-configuration.js";
// The heartbeat lives in @x/abstractions (hand-composed servers need one too); @x/server keeps its names.
export { DateHeaderValue, HEARTBEAT_INTERVAL_MS, HeartbeatTimer as Heartbeat } from "@x/abstractions";
export { alpnProtocolsFor, HTTP2_AVAILABLE, HttpProtocols, parseHttpProtocols } from "./http-protocols.js";
export { ListenOptions } from "./listen-options.js";
export type { ConfigureHttpsOptions, ConnectionMiddlewareContext, HttpsCertificateFiles } from "./listen-options.js";
export type { HttpsConnectionAdapterOptions, ServerCertificate } from "@x/https-sni";
export { createProtocolSelector } from "./protocol-selection.js";
export type { ProtocolHandlers } from "./protocol-selection.js";
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, Server } from "./server.js";
export type { ConnectionListenerFactory, RebindFailure, ServerDependencies } from "./server.js";
export { ServerOptions } from "./server-options.js";
export type { ConfigureListenOptions } from "./server-options.js";
