/**
 * A `Response`'s body source when the app built it from a string or bytes
 * (`new Response("text")`, `c.json(...)`, `c.text(...)`): read from the
 * fetch implementation's own state, as `@hono/node-server` does, so the
 * bytes go out in one write without a stream read in between. The state
 * slot is found by probing a `Response` once; where it is not there (another
 * fetch implementation, a future node), every body takes the stream path.
 *
 * @module
 */

interface BodyState {
  readonly body?: { readonly source?: unknown; readonly stream?: ReadableStream } | null;
}

const stateKey: symbol | undefined = (() => {
  const probe = new Response("probe");
  for (const key of Object.getOwnPropertySymbols(probe)) {
    const state = (probe as unknown as Record<symbol, BodyState | undefined>)[key];
    if (state !== null && typeof state === "object" && state.body?.source === "probe") return key;
  }
  return undefined;
})();

/** The string or bytes `response` was made from, when its body was not read yet; undefined otherwise. */
export function responseSource(response: Response): string | Uint8Array | undefined {
  if (stateKey === undefined || response.bodyUsed) return undefined;
  const body = (response as unknown as Record<symbol, BodyState | undefined>)[stateKey]?.body;
  if (body === null || body === undefined || body.stream?.locked === true) return undefined;
  const source = body.source;
  if (typeof source === "string" || source instanceof Uint8Array) return source;
  return undefined;
}
