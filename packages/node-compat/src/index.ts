/**
 * `@x/node-compat`: the bridge to the Node ecosystem. A node:http-compatible
 * `createServer` and real `http.IncomingMessage` / `http.ServerResponse`
 * objects over the x-server stack, `fromNodeHandler` for node-style apps
 * inside the host pipeline, and `fromFetchHandler` for fetch-style apps.
 *
 * @module
 */
export { CompatServer, createServer } from "./node/compat-server.js";
export type { CreateServerOptions, RequestListener } from "./node/compat-server.js";
export type { ServerLimitsInit } from "./node/server-settings.js";
export type { IncomingMessageClass } from "./node/incoming-message.js";
export type { ServerResponseClass } from "./node/server-response.js";
export { fromNodeHandler, fromNodeMiddleware } from "./node/from-node-handler.js";
export type { NodeHandler, NodeHandlerOptions, NodeMiddleware, NodeUpgradeHandler } from "./node/from-node-handler.js";
export { fromFetchHandler } from "./fetch/from-fetch-handler.js";
export type { FetchEnv, FetchHandler, FetchHandlerOptions } from "./fetch/from-fetch-handler.js";
