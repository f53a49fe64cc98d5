/**
 * Errors with node's codes and messages, for the places where the bridge
 * stands in for node:http code that throws them (node's own constructors
 * are internal). Code that checks `error.code` sees what node:http gives.
 *
 * @module
 */

function nodeError<E extends Error>(error: E, code: string): E & { code: string } {
  Object.defineProperty(error, "code", { value: code, enumerable: true, writable: true, configurable: true });
  // node formats its errors' names as `Name [CODE]` in stacks; the name itself stays plain.
  return error as E & { code: string };
}

/** `ERR_STREAM_WRITE_AFTER_END`. */
export function writeAfterEnd(): Error {
  return nodeError(new Error("write after end"), "ERR_STREAM_WRITE_AFTER_END");
}

/** `ERR_STREAM_DESTROYED` for `method`. */
export function streamDestroyed(method: string): Error {
  return nodeError(new Error(`Cannot call ${method} after a stream was destroyed`), "ERR_STREAM_DESTROYED");
}

/** `ERR_STREAM_ALREADY_FINISHED` for `method`. */
export function alreadyFinished(method: string): Error {
  return nodeError(new Error(`Cannot call ${method} after a stream was finished`), "ERR_STREAM_ALREADY_FINISHED");
}

/** `ERR_STREAM_NULL_VALUES`. */
export function nullValues(): TypeError {
  return nodeError(new TypeError("May not write null values to stream"), "ERR_STREAM_NULL_VALUES");
}

/** `ERR_INVALID_ARG_TYPE` for a body chunk. */
export function invalidChunk(chunk: unknown): TypeError {
  const received = chunk === undefined ? "undefined" : typeof chunk === "object" ? `an instance of ${(chunk as object)?.constructor?.name ?? "Object"}` : `type ${typeof chunk} (${String(chunk)})`;
  return nodeError(new TypeError(`The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${received}`), "ERR_INVALID_ARG_TYPE");
}

/** `ERR_HTTP_HEADERS_SENT` for `action`. */
export function headersSent(action: string): Error {
  return nodeError(new Error(`Cannot ${action} headers after they are sent to the client`), "ERR_HTTP_HEADERS_SENT");
}

/** `ERR_HTTP_CONTENT_LENGTH_MISMATCH`. */
export function contentLengthMismatch(actual: number, expected: number): Error {
  return nodeError(new Error(`Response body's content-length of ${actual} byte(s) does not match the content-length of ${expected} byte(s) set in header`), "ERR_HTTP_CONTENT_LENGTH_MISMATCH");
}

/** `ERR_INVALID_ARG_VALUE`. */
export function invalidArgValue(name: string, value: unknown, reason = "is invalid"): TypeError {
  return nodeError(new TypeError(`The argument '${name}' ${reason}. Received ${String(value)}`), "ERR_INVALID_ARG_VALUE");
}

/** `ERR_SERVER_NOT_RUNNING`. */
export function serverNotRunning(): Error {
  return nodeError(new Error("Server is not running."), "ERR_SERVER_NOT_RUNNING");
}

/** `ERR_SERVER_ALREADY_LISTEN`. */
export function serverAlreadyListening(): Error {
  return nodeError(new Error("Listen method has been called more than once without closing."), "ERR_SERVER_ALREADY_LISTEN");
}

/** node's `ECONNRESET` "aborted" error, given to requests whose client went away. */
export function connectionReset(): Error {
  return nodeError(new Error("aborted"), "ECONNRESET");
}
