/**
 * The dispatch handler of one forwarded request: writes the app's status,
 * headers and body straight into the client's response (no intermediate
 * stream), pausing the app's connection while the client's side is full,
 * and settles with what happened.
 *
 * @module
 */
import type { HttpContext } from "@x/abstractions";
import { copyResponseHeaderList } from "./forward-headers.js";
import type { LoopbackController, LoopbackHandler } from "./loopback-exchange.js";

/** How a forward ended: delivered (or the client went away), or failed before the client's response started. */
export type ForwardOutcome = null | { readonly error: Error };

export class ForwardHandler implements LoopbackHandler {
  readonly #context: HttpContext;
  readonly #settle: (outcome: ForwardOutcome) => void;
  #controller: LoopbackController | null = null;
  #started = false;
  #settled = false;
  #watching = false;
  /** The response was ended (by the final body chunk, or the end of the app's response). */
  #ended = false;
  /** The last body write: the response ends only after it. */
  #lastWrite: Promise<unknown> | null = null;
  /** Made only for requests that outlive a heartbeat (see `watchClient`). */
  #onClientAborted: (() => void) | null = null;

  constructor(context: HttpContext, settle: (outcome: ForwardOutcome) => void) {
    this.#context = context;
    this.#settle = settle;
  }

  onRequestStart(controller: LoopbackController): void {
    this.#controller = controller;
  }

  /**
   * From now on, a client that goes away cancels the request to the app.
   * The pool calls this only for requests still running at its
   * once-a-second sweep: most finish sooner, and never pay for an
   * AbortSignal (nor for being tracked anywhere but the pool).
   */
  onStillRunning(): void {
    if (this.#watching || this.#settled) return;
    this.#watching = true;
    const onAborted = () => this.#controller?.abort(new Error("The client went away"));
    this.#onClientAborted = onAborted;
    const aborted = this.#context.requestAborted;
    if (aborted.aborted) onAborted();
    else aborted.addEventListener("abort", onAborted, { once: true });
  }

  #unwatchClient(): void {
    if (this.#onClientAborted !== null) this.#context.requestAborted.removeEventListener("abort", this.#onClientAborted);
  }

  onResponseStart(_controller: LoopbackController, statusCode: number, headers: readonly string[]): void {
    // Interim 1xx responses never get here: the parser skips them (100 Continue is the front's own business with the client).
    this.#started = true;
    const { response } = this.#context;
    response.statusCode = statusCode;
    copyResponseHeaderList(headers, response.headers);
  }

  onResponseData(controller: LoopbackController, chunk: Buffer, final = false): void {
    // An empty chunk has nothing to wait for (pausing on one again after each resume would loop forever).
    if (chunk.length === 0) return;
    if (final) {
      // The whole (rest of the) body: the response ends with it, with no pause and no promise to wait on in between.
      this.#end(chunk);
      return;
    }
    const written = this.#context.response.write(chunk);
    this.#lastWrite = written;
    // Backpressure: the app's socket is not read while the client's side is full.
    controller.pause();
    written.then(
      () => controller.resume(),
      (error: Error) => controller.abort(error),
    );
  }

  onResponseEnd(): void {
    this.#unwatchClient();
    if (!this.#ended) this.#end(undefined);
  }

  /** Ends the client's response (with `chunk`, the last of the body) after the last write, then settles. */
  #end(chunk: Buffer | undefined): void {
    this.#ended = true;
    const end = () => this.#context.response.end(chunk);
    const ended = this.#lastWrite === null ? end() : this.#lastWrite.then(end, end);
    ended.then(
      () => this.#done(null),
      () => this.#done(null),
    );
  }

  onResponseError(_controller: LoopbackController, error: Error): void {
    this.#unwatchClient();
    if (this.#started || this.#context.response.hasStarted) {
      // The status line is gone: the only honest signal left is to cut the client's request.
      this.#context.abort();
      this.#done(null);
      return;
    }
    this.#done({ error });
  }

  #done(outcome: ForwardOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle(outcome);
  }
}
