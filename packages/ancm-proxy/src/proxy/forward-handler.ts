/**
 * The undici dispatch handler of one forwarded request: writes the app's
 * status, headers and body straight into the client's response (no
 * intermediate stream), pausing the app's connection while the client's
 * side is full, and settles with what happened.
 *
 * @module
 */
import type { HttpContext } from "@x/abstractions";
import type { Dispatcher } from "undici";
import { copyResponseHeaders } from "./forward-headers.js";

/** How a forward ended: delivered (or the client went away), or failed before the client's response started. */
export type ForwardOutcome = null | { readonly error: Error };

export class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #context: HttpContext;
  readonly #settle: (outcome: ForwardOutcome) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #started = false;
  #settled = false;
  #watching = false;
  /** The last body write: the response ends only after it. */
  #lastWrite: Promise<unknown> = Promise.resolve();
  /** Made only for requests that outlive a heartbeat (see `watchClient`). */
  #onClientAborted: (() => void) | null = null;

  constructor(context: HttpContext, settle: (outcome: ForwardOutcome) => void) {
    this.#context = context;
    this.#settle = settle;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  /**
   * From now on, a client that goes away cancels the request to the app.
   * The forwarder calls this only for requests still running after a
   * heartbeat: most finish sooner, and never pay for an AbortSignal.
   */
  watchClient(): void {
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

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx interim responses (100 Continue) are the front's own business with the client.
    if (statusCode < 200) return;
    this.#started = true;
    const { response } = this.#context;
    response.statusCode = statusCode;
    copyResponseHeaders(headers, response.headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // undici hands over an empty chunk after each resume(): pausing on it again would loop in microtasks forever.
    if (chunk.length === 0) return;
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
    const end = () => this.#context.response.end();
    this.#lastWrite.then(end, end).then(
      () => this.#done(null),
      () => this.#done(null),
    );
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
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
