/**
 * The few node:http internals the bridge has to touch, found once at load
 * time on probe objects instead of hard-coded: the `kOutHeaders` map of a
 * `ServerResponse` (what `setHeader` fills) and its `kNeedDrain` flag (what
 * `writableNeedDrain` reads). Both have kept their names and shapes since
 * Node 12; if a future Node renames them the bridge fails at import, loudly,
 * rather than serving wrong headers.
 *
 * @module
 */
import { IncomingMessage, ServerResponse } from "node:http";

function findSymbol(target: object, description: string): symbol {
  for (const symbol of Object.getOwnPropertySymbols(target)) {
    if (symbol.description === description) return symbol;
  }
  throw new Error(`@x/node-compat: this Node.js version has no ${description} on ServerResponse; the compatibility layer cannot run on it`);
}

const probe = new ServerResponse(new IncomingMessage(null as never));

/** `ServerResponse[kOutHeaders]`: `{ [lowerName]: [name, value] }` with a null prototype, or null. */
export const kOutHeaders: symbol = findSymbol(probe, "kOutHeaders");
/** `OutgoingMessage[kNeedDrain]`: set when `write()` returned false, cleared when 'drain' is emitted. */
export const kNeedDrain: symbol = findSymbol(probe, "kNeedDrain");

/** The value `setHeader` stores per lower-case name. */
export type OutHeaderEntry = [name: string, value: number | string | readonly string[]];
/** `ServerResponse[kOutHeaders]`. */
export type OutHeaders = Record<string, OutHeaderEntry> | null;

/** Reads a response's `kOutHeaders`. */
export function outHeadersOf(res: ServerResponse): OutHeaders {
  return (res as unknown as Record<symbol, OutHeaders>)[kOutHeaders];
}
