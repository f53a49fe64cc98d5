/**
 * Hono through fromFetchHandler with its default, `overrideGlobalResponse` (the light
 * Response, light-response.ts) against `@hono/node-server`: the same bytes
 * as with the platform's Response (support/hono-suite.ts). Its own file: the
 * override is process-wide, and vitest gives each file its own worker.
 */
import { honoSuite } from "./support/hono-suite.js";

honoSuite({});
