/**
 * How both protocols run a response's `OnCompleted` callbacks, as ASP.NET
 * Core's `HttpProtocol.FireOnCompleted` does: last registered first, each
 * awaited before the next, and a failing one logged without keeping the
 * others from running.
 *
 * @module
 */
import type { ResponseCallback } from "./http-context.js";

/** Runs `callbacks` (in registration order as given) in reverse order, one at a time; `onError` gets each failure. */
export async function runCompletedCallbacks(callbacks: readonly ResponseCallback[], onError: (error: unknown) => void): Promise<void> {
  for (let i = callbacks.length - 1; i >= 0; i--) {
    try {
      await callbacks[i]!();
    } catch (error) {
      onError(error);
    }
  }
}
