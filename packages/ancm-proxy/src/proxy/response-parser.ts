/**
 * An incremental parser for the HTTP/1.1 responses of the app (RFC 9112):
 * the status line and header fields, then a body framed by Content-Length,
 * chunked transfer coding, or the end of the connection. Interim 1xx
 * responses are skipped. It trusts its peer no further than it must: the
 * head is bounded and every framing error is an error, never a guess.
 *
 * @module
 */

/** The largest response head accepted from the app (Kestrel's request limit, applied the other way). */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** Response header fields as a flat `[name, value, ...]` list: names lower-case, repeated fields kept apart, in order. */
export type HeaderList = readonly string[];

export interface ResponseEvents {
  onHead(status: number, headers: HeaderList): void;
  /** `final`: the chunk completes a body whose length was announced (the response completes right after). */
  onBody(chunk: Buffer, final: boolean): void;
  /** The response is complete; `reusable` tells whether the connection may carry another request. */
  onComplete(reusable: boolean): void;
}

enum State {
  Head,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

export class ResponseParseError extends Error {
  readonly code = "ERR_X_ANCM_BAD_RESPONSE";
}

export class ResponseParser {
  readonly #events: ResponseEvents;
  #noBody: boolean;
  #state = State.Head;
  #head = "";
  #remaining = 0;
  #line = "";
  #keepAlive = true;

  /** `noBody`: the request was HEAD, so no response has a body. */
  constructor(events: ResponseEvents, noBody: boolean) {
    this.#events = events;
    this.#noBody = noBody;
  }

  /** Readies the parser for the next response on the same connection. */
  reset(noBody: boolean): void {
    this.#noBody = noBody;
    this.#state = State.Head;
    this.#head = "";
    this.#remaining = 0;
    this.#line = "";
    this.#keepAlive = true;
  }

  /** Feeds bytes; returns bytes left over after a complete response (which a well-behaved app never sends). */
  push(data: Buffer): Buffer | null {
    let offset = 0;
    while (offset < data.length) {
      switch (this.#state) {
        case State.Head: {
          const end = this.#scanHead(data, offset);
          if (end === -1) return null;
          offset = end;
          break;
        }
        case State.Fixed: {
          const n = Math.min(this.#remaining, data.length - offset);
          this.#remaining -= n;
          this.#events.onBody(data.subarray(offset, offset + n), this.#remaining === 0);
          offset += n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case State.ChunkSize:
        case State.ChunkDataEnd:
        case State.Trailers: {
          const lineEnd = data.indexOf(0x0a, offset);
          if (lineEnd === -1) {
            this.#line += data.toString("latin1", offset);
            if (this.#line.length > 4096) throw new ResponseParseError("chunk line too long");
            return null;
          }
          const line = (this.#line + data.toString("latin1", offset, lineEnd)).replace(/\r$/, "");
          this.#line = "";
          offset = lineEnd + 1;
          this.#onLine(line);
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.#remaining, data.length - offset);
          this.#events.onBody(data.subarray(offset, offset + n), false);
          offset += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = State.ChunkDataEnd;
          break;
        }
        case State.UntilClose:
          this.#events.onBody(offset === 0 ? data : data.subarray(offset), false);
          return null;
        case State.Done:
          return data.subarray(offset);
      }
    }
    return null;
  }

  /** The connection closed: completes a close-delimited body, else it is an error. */
  end(): void {
    if (this.#state === State.UntilClose) {
      this.#state = State.Done;
      this.#events.onComplete(false);
      return;
    }
    if (this.#state !== State.Done) throw new ResponseParseError("the app closed the connection before the response was complete");
  }

  #scanHead(data: Buffer, offset: number): number {
    if (this.#head === "") {
      // The common case: the whole head is in this read; only the head becomes a string.
      const end = data.indexOf(CRLFCRLF, offset);
      if (end !== -1) {
        if (end - offset > MAX_RESPONSE_HEAD) throw new ResponseParseError("response head too large");
        this.#onHead(data.toString("latin1", offset, end));
        return end + 4;
      }
    }
    const before = this.#head.length;
    this.#head += data.toString("latin1", offset);
    const end = this.#head.indexOf("\r\n\r\n", Math.max(0, before - 3));
    if (end === -1) {
      if (this.#head.length > MAX_RESPONSE_HEAD) throw new ResponseParseError("response head too large");
      return -1;
    }
    if (end > MAX_RESPONSE_HEAD) throw new ResponseParseError("response head too large");
    const head = this.#head.slice(0, end);
    this.#head = "";
    this.#onHead(head);
    return offset + (end + 4 - before);
  }

  #onHead(head: string): void {
    // The status line, RFC 9112 §4: HTTP/1.x, a space, three digits, then a space and a reason or nothing.
    const lineEnd = head.indexOf("\r\n");
    const statusEnd = lineEnd === -1 ? head.length : lineEnd;
    const minor = head.charCodeAt(7);
    if (
      statusEnd < 12 ||
      !head.startsWith("HTTP/1.") ||
      (minor !== 0x30 && minor !== 0x31) ||
      head.charCodeAt(8) !== 0x20 ||
      (statusEnd > 12 && head.charCodeAt(12) !== 0x20) ||
      !isDigit(head.charCodeAt(9)) ||
      !isDigit(head.charCodeAt(10)) ||
      !isDigit(head.charCodeAt(11)) ||
      head.lastIndexOf("\n", statusEnd - 1) !== -1
    ) {
      throw new ResponseParseError(`bad status line: ${head.slice(0, Math.min(statusEnd, 100))}`);
    }
    const http10 = minor === 0x30;
    const status = (head.charCodeAt(9) - 0x30) * 100 + (head.charCodeAt(10) - 0x30) * 10 + (head.charCodeAt(11) - 0x30);
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let connection = "";
    let pos = statusEnd + 2;
    while (pos < head.length) {
      let end = head.indexOf("\r\n", pos);
      if (end === -1) end = head.length;
      const colon = head.indexOf(":", pos);
      if (colon <= pos || colon >= end) throw new ResponseParseError("bad header line");
      const name = head.slice(pos, colon).trim().toLowerCase();
      const value = head.slice(colon + 1, end).trim();
      pos = end + 2;
      headers.push(name, value);
      if (name === "content-length") {
        if (!/^\d+$/.test(value) || (contentLength !== -1 && contentLength !== Number(value))) throw new ResponseParseError("bad content-length");
        contentLength = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").pop()!.trim() === "chunked";
        if (!chunked) throw new ResponseParseError("unsupported transfer-encoding");
      } else if (name === "connection") {
        connection += `${value.toLowerCase()},`;
      }
    }
    // RFC 9112 §9.3: HTTP/1.0 closes unless keep-alive; HTTP/1.1 keeps unless close.
    this.#keepAlive = http10 ? connection.includes("keep-alive") : !connection.includes("close");
    if (status >= 100 && status < 200) {
      // Interim responses (100 Continue, 103 Early Hints) precede the final one (RFC 9110 §15.2).
      return;
    }
    this.#events.onHead(status, headers);
    if (this.#noBody || status === 204 || status === 304) {
      this.#finish();
      return;
    }
    if (chunked) {
      this.#state = State.ChunkSize;
      return;
    }
    if (contentLength >= 0) {
      this.#remaining = contentLength;
      if (contentLength === 0) {
        this.#finish();
        return;
      }
      this.#state = State.Fixed;
      return;
    }
    this.#keepAlive = false;
    this.#state = State.UntilClose;
  }

  #onLine(line: string): void {
    switch (this.#state) {
      case State.ChunkSize: {
        const size = line.split(";")[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new ResponseParseError("bad chunk size");
        this.#remaining = Number.parseInt(size, 16);
        this.#state = this.#remaining === 0 ? State.Trailers : State.ChunkData;
        return;
      }
      case State.ChunkDataEnd:
        if (line !== "") throw new ResponseParseError("missing CRLF after chunk data");
        this.#state = State.ChunkSize;
        return;
      case State.Trailers:
        // Trailer fields are dropped (the front does not forward trailers); an empty line ends the message.
        if (line === "") this.#finish();
        return;
    }
  }

  #finish(): void {
    this.#state = State.Done;
    this.#events.onComplete(this.#keepAlive);
  }
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
