/**
 * x-ancm's own `handlerSettings` (ANCM has no such setting; IIS's module
 * forwards one request per connection): how the out-of-process front may
 * pipeline safe, bodiless requests to its app.
 *
 * - `forwardingPipelineDepth`: the most requests sent together on one
 *   connection, 1 to 64 (default 16); 1 sends one request per connection
 *   at a time, as ANCM does.
 * - `forwardingPipelinePatience`: milliseconds the first response of a
 *   batch may take before the requests behind it are sent on connections
 *   of their own, 1 to 60000 (default 100).
 *
 * @module
 */
import { attributeError, quote } from "./errors.js";

/** How the out-of-process front shares connections to its app between requests. */
export interface ForwardingPipelineSettings {
  /** 1 to 64; 1 turns pipelining off. */
  readonly depth: number;
  /** Milliseconds, 1 to 60000. */
  readonly patienceMs: number;
}

/** 16 requests per connection, 100 ms of patience. */
export const FORWARDING_PIPELINE_DEFAULTS: ForwardingPipelineSettings = Object.freeze({ depth: 16, patienceMs: 100 });

const RANGES = {
  forwardingPipelineDepth: { min: 1, max: 64, unit: "" },
  forwardingPipelinePatience: { min: 1, max: 60_000, unit: " milliseconds" },
} as const;

/** Reads the two settings (`find` looks a handlerSetting up by name, any case). */
export function resolveForwardingPipeline(find: (name: string) => string | undefined, source: string): ForwardingPipelineSettings {
  return {
    depth: parse(find, "forwardingPipelineDepth", FORWARDING_PIPELINE_DEFAULTS.depth, source),
    patienceMs: parse(find, "forwardingPipelinePatience", FORWARDING_PIPELINE_DEFAULTS.patienceMs, source),
  };
}

function parse(find: (name: string) => string | undefined, name: keyof typeof RANGES, fallback: number, source: string): number {
  const raw = find(name);
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const { min, max, unit } = RANGES[name];
  const attribute = `handlerSettings/handlerSetting[@name=${name}]`;
  if (!/^\d+$/.test(text)) throw attributeError(source, attribute, `${quote(raw)} is not a whole number (${min} to ${max}${unit})`);
  const value = Number(text);
  if (value < min || value > max) throw attributeError(source, attribute, `${quote(raw)} is out of range (${min} to ${max}${unit})`);
  return value;
}
