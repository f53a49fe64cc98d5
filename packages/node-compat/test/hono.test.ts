/**
 * Hono through fromFetchHandler with the platform's Response (overrideGlobalResponse: false), against
 * `@hono/node-server` (support/hono-suite.ts).
 */
import { honoSuite } from "./support/hono-suite.js";

honoSuite({ overrideGlobalResponse: false });
