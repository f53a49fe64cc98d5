/**
 * Request body decoders (hyper's `decode.rs`): Content-Length and chunked
 * (RFC 9112 §6.3, §7.1). They hand out views of the read buffer, never
 * copies, and stop at the end of the body so pipelined bytes stay put.
 *
 * @module
 */
import { HeaderMap, type ReadonlyServerLimits } from "@x/abstractions";
import { CR, HEX, HTAB, LF, SP } from "./char-tables.js";
import { reject } from "./errors.js";
import type { InputBuffer } from "./input-buffer.js";
import { type FieldLine, readFieldLine } from "./parser.js";

/** Receives decoded body bytes. */
export interface BodySink {
  onBodyData(view: Buffer): void;
}

export interface BodyDecoder {
  /** Decodes what `input` holds; returns true once the body is complete. */
  decode(input: InputBuffer, sink: BodySink): boolean;
  readonly isComplete: boolean;
  /** Request trailers, when the body carried any (chunked only). */
  readonly trailers: HeaderMap | null;
}

export class ContentLengthDecoder implements BodyDecoder {
  #remaining: number;
  readonly trailers = null;

  constructor(length: number) {
    this.#remaining = length;
  }

  get isComplete(): boolean {
    return this.#remaining === 0;
  }

  decode(input: InputBuffer, sink: BodySink): boolean {
    const available = input.length;
    if (available === 0 || this.#remaining === 0) return this.#remaining === 0;
    const n = available < this.#remaining ? available : this.#remaining;
    const view = input.buf.subarray(input.start, input.start + n);
    this.#remaining -= n;
    input.consume(n);
    sink.onBodyData(view);
    return this.#remaining === 0;
  }
}

const State = {
  Size: 0,
  SizeBws: 1,
  Extension: 2,
  SizeLf: 3,
  Data: 4,
  DataCr: 5,
  DataLf: 6,
  Trailers: 7,
  Done: 8,
} as const;
type State = (typeof State)[keyof typeof State];

// Chunk sizes beyond 2^53 cannot be counted exactly; 13 hex digits is ample (RFC 9112 §7.1:
// "recipients MUST anticipate potentially large hexadecimal numerals and prevent
// parsing errors due to integer conversion overflows").
const MAX_SIZE_DIGITS = 13;
// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token / quoted-string.
const CHUNK_EXT =
  /^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t !#-[\]-~\x80-\xff]|\\[\t !-~\x80-\xff])*"))?)*$/;
// One chunk header's extensions may not run on forever (a slow memory drip otherwise).
const MAX_EXTENSION_BYTES = 4096;

export class ChunkedDecoder implements BodyDecoder {
  #state: State = State.Size;
  #size = 0;
  #digits = 0;
  #trailerBytes = 0;
  #trailerCount = 0;
  #trailers: HeaderMap | null = null;
  readonly #limits: ReadonlyServerLimits;
  readonly #field: FieldLine = { name: "", value: "" };

  constructor(limits: ReadonlyServerLimits) {
    this.#limits = limits;
  }

  get isComplete(): boolean {
    return this.#state === State.Done;
  }

  get trailers(): HeaderMap | null {
    return this.#trailers;
  }

  decode(input: InputBuffer, sink: BodySink): boolean {
    while (input.length > 0 && this.#state !== State.Done) {
      const buf = input.buf;
      let i = input.start;
      const end = input.end;
      switch (this.#state) {
        case State.Size: {
          while (i < end) {
            const c = buf[i]!;
            const v = HEX[c]!;
            if (v !== 0xff) {
              if (++this.#digits > MAX_SIZE_DIGITS) reject("BadChunkSizeData", "chunk size overflow");
              this.#size = this.#size * 16 + v;
              i++;
              continue;
            }
            if (this.#digits === 0) reject("BadChunkSizeData");
            if (c === CR) this.#state = State.SizeLf;
            else if (c === 0x3b /* ; */ || c === SP || c === HTAB) {
              this.#state = State.Extension;
              break;
            } else reject("BadChunkSizeData");
            i++;
            break;
          }
          input.consumeTo(i);
          break;
        }
        case State.Extension: {
          // Extensions carry no meaning for us; keep the bytes in the buffer until the
          // CR arrives, then validate the whole extension list and skip it.
          let cr = buf.indexOf(CR, i);
          if (cr >= end) cr = -1;
          const stop = cr === -1 ? end : cr;
          if (stop - i > MAX_EXTENSION_BYTES) reject("BadChunkExtension", "too long");
          const lf = buf.indexOf(LF, i);
          if (lf !== -1 && lf < stop) reject("BadChunkExtension", "bare LF");
          if (cr === -1) return false;
          if (!CHUNK_EXT.test(buf.toString("latin1", i, cr))) reject("BadChunkExtension");
          this.#state = State.SizeLf;
          input.consumeTo(cr + 1);
          break;
        }
        case State.SizeLf:
          if (buf[i] !== LF) reject("BadChunkSizeData", "expected LF");
          input.consume(1);
          this.#state = this.#size === 0 ? State.Trailers : State.Data;
          break;
        case State.Data: {
          const available = end - i;
          const n = available < this.#size ? available : this.#size;
          const view = buf.subarray(i, i + n);
          this.#size -= n;
          input.consume(n);
          if (this.#size === 0) this.#state = State.DataCr;
          sink.onBodyData(view);
          break;
        }
        case State.DataCr:
          if (buf[i] !== CR) reject("BadChunkSuffix");
          input.consume(1);
          this.#state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== LF) reject("BadChunkSuffix");
          input.consume(1);
          this.#state = State.Size;
          this.#digits = 0;
          this.#size = 0;
          break;
        case State.Trailers:
          if (!this.#readTrailerLine(input)) return false;
          break;
      }
    }
    return this.#state === State.Done;
  }

  /** One trailer line (RFC 9112 §7.1.2); the empty line ends the body. */
  #readTrailerLine(input: InputBuffer): boolean {
    const buf = input.buf;
    const start = input.start;
    let lf = buf.indexOf(LF, start);
    if (lf >= input.end) lf = -1;
    if (lf === -1) {
      if (this.#trailerBytes + input.length > this.#limits.maxRequestHeadersTotalSize) reject("HeadersTooLarge");
      return false;
    }
    if (lf === start || buf[lf - 1] !== CR) reject("BareLineFeed");
    this.#trailerBytes += lf + 1 - start;
    if (this.#trailerBytes > this.#limits.maxRequestHeadersTotalSize) reject("HeadersTooLarge");
    if (lf - 1 === start) {
      this.#state = State.Done;
      input.consumeTo(lf + 1);
      return true;
    }
    if (++this.#trailerCount > this.#limits.maxRequestHeaderCount) reject("TooManyHeaders");
    readFieldLine(buf, start, lf - 1, this.#field);
    input.consumeTo(lf + 1);
    const name = this.#field.name;
    // RFC 9110 §6.5.1: framing, routing and control fields are not allowed in trailers; drop them.
    if (!FORBIDDEN_TRAILERS.has(name)) (this.#trailers ??= new HeaderMap(undefined, false)).appendTrusted(name, this.#field.value);
    return true;
  }
}

const FORBIDDEN_TRAILERS = new Set([
  "content-length",
  "transfer-encoding",
  "host",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "content-type",
  "content-encoding",
  "content-range",
  "authorization",
  "set-cookie",
  "cookie",
  "expect",
]);
