/**
 * One HTTP/2 connection (RFC 9113), server side: the preface and SETTINGS
 * exchange (§3.4, §6.5), frame dispatch, header blocks with CONTINUATION
 * (§6.10), stream states and limits (§5.1), flow control in both directions
 * (§6.9), PING, GOAWAY and graceful shutdown (§6.8), and the hardening
 * against the known floods (rapid reset, CONTINUATION, control frames, empty
 * frames, zero-window stalls). Each request stream is an `Http2Stream`
 * handed to the application.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import {
  type AccessLog,
  connectionInfoOf,
  BadHttpRequestError,
  deadlineAfter,
  elapsedSince,
  type ConnectionContext,
  type ConnectionInfo,
  type FeatureCollection,
  type HeartbeatHandler,
  type Logger,
  type RequestDelegate,
  type ServiceContext,
} from "@x/abstractions";
import { isValidAuthority } from "@x/http1";
import { accessLogStart, pseudoHeadersOf, writeAccessLog } from "./access-log.js";
import { FrameReader } from "./frame-reader.js";
import {
  parseContinuation,
  parseData,
  parseGoAway,
  parseHeaders,
  parsePing,
  parsePriority,
  parseRstStream,
  parseSettings,
  parseWindowUpdate,
  SelfDependentHeadersError,
} from "./frame-parsers.js";
import {
  CONNECTION_PREFACE,
  DEFAULT_WINDOW_SIZE,
  ErrorCode,
  type Frame,
  FrameType,
  Http2ConnectionError,
  Http2StreamError,
  MAX_WINDOW_SIZE,
  SettingId,
} from "./frame-types.js";
import { goAwayFrame, headersFrames, pingFrame, rstStreamFrame, settingsAck, settingsFrame, windowUpdateFrame } from "./frame-writer.js";
import { type HeaderField, HeaderListTooLargeError, HpackDecoder, HpackEncoder } from "./hpack.js";
import { OutputScheduler } from "./output-scheduler.js";
import { readRequestHead, readTrailers } from "./request-headers.js";
import { Http2Stream, type StreamOwner } from "./stream.js";

/** Options of {@link Http2Connection}. */
export interface Http2ConnectionOptions {
  /** `https` when the connection came through TLS. */
  readonly scheme?: "http" | "https";
}

/** A header block being received: HEADERS then CONTINUATION frames until END_HEADERS. */
interface OpenHeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly fragments: Buffer[];
  size: number;
  /** A stream error found in the HEADERS frame; raised once the block is decoded, to keep HPACK in step. */
  readonly streamError: Http2StreamError | null;
}

/** Frames that cost the server work but carry nothing, per heartbeat tick, before the connection is closed. */
const MAX_UNPRODUCTIVE_FRAMES_PER_TICK = 10_000;
/** A WINDOW_UPDATE increment below this is counted as unproductive (see `#onWindowUpdate`). */
const SMALL_WINDOW_INCREMENT = 1_024;
/** ENHANCE_YOUR_CALM stream resets per tick before the whole connection is closed (rapid reset). */
const MAX_CALM_RESETS_PER_TICK = 10;
/**
 * Control frames the client provoked (SETTINGS and PING ACKs, RST_STREAM) queued while the
 * socket waits for `drain`, before the connection is closed: the client is not reading.
 * nghttp2's default (`max_outbound_ack`), which node:http2 and nginx ship.
 */
const MAX_QUEUED_CONTROL_FRAMES = 1_000;
/**
 * Streams refused (REFUSED_STREAM) in a row, with none accepted between, before the
 * connection is closed: the client ignores SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2).
 * node:http2's `maxSessionRejectedStreams` default.
 */
const MAX_REFUSED_STREAMS_IN_A_ROW = 100;
/** What is still checked of a stream we reset with NO_ERROR after an early answer (see `#lingering`). */
interface LingeringStream {
  readonly declared: number | null;
  received: number;
  receiveWindow: number;
  sendWindow: number;
}

/** How many recently closed stream ids are remembered, to ignore frames that crossed our RST_STREAM. */
const RECENTLY_CLOSED = 256;
const NO_HEADER_BLOCK = null;

/** One HTTP/2 connection (RFC 9113): the preface and SETTINGS, frames in and out, streams, flow control, HPACK, and Kestrel's limits and flood protections. */
export class Http2Connection implements HeartbeatHandler, StreamOwner {
  readonly #connection: ConnectionContext;
  readonly #socket: Duplex;
  readonly #service: ServiceContext;
  readonly #accessLog: AccessLog | null;
  readonly #app: RequestDelegate;
  readonly #logger: Logger;
  readonly #reader: FrameReader;
  readonly #decoder: HpackDecoder;
  readonly #encoder = new HpackEncoder();
  readonly #output: OutputScheduler;
  readonly #streams = new Map<number, Http2Stream>();
  /** Recently closed stream ids, and whether we reset them (frames crossing our RST are ignored, §5.4.2). */
  readonly #recentlyClosed = new Map<number, boolean>();
  /** `http` or `https`, the scheme of its requests. */
  readonly scheme: string;
  #connectionInfo: ConnectionInfo | null = null;
  #prefaceBuffer: Buffer | null = Buffer.alloc(0);
  #settingsReceived = false;
  #headerBlock: OpenHeaderBlock | null = NO_HEADER_BLOCK;
  #lastStreamId = 0;
  #peerInitialWindow = DEFAULT_WINDOW_SIZE;
  #receiveWindow: number;
  #unackedConnectionBytes = 0;
  #goAwaySent = false;
  /** A graceful shutdown (ours or the client's GOAWAY) is under way. */
  #graceful = false;
  /** The client half-closed: no new streams, finish what runs, then close. */
  #peerEnded = false;
  #closed = false;
  #resolveDone!: () => void;
  readonly #done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });
  // Timeouts, as deadlines checked on heartbeat ticks.
  #idleSince: number;
  #headersDeadline: number | null;
  #lastFrameAt: number;
  #pingSentAt: number | null = null;
  // Flood accounting, reset every tick.
  #unproductiveFrames = 0;
  #calmResets = 0;
  // Flood accounting across ticks.
  /** Streams refused since the last one accepted. */
  #refusedInARow = 0;
  /** Control frames queued since the socket last had room (see `#writeControl`). */
  #queuedControlFrames = 0;
  // Data rates.
  #stallMs = 0;
  #stallSentAtStart = 0;
  #readWaitMs = 0;
  #readBytesAtStart = 0;
  #receivedBodyBytes = 0;
  #lastTick: number;
  /** The socket is corked until the next `setImmediate`: frames of one turn go out in one write. */
  #corked = false;

  /** Handles `connection` for `app` with the server's shared services; {@link processHttp2Connection} creates and runs one. */
  constructor(connection: ConnectionContext, service: ServiceContext, app: RequestDelegate, options: Http2ConnectionOptions = {}) {
    this.#connection = connection;
    this.#socket = connection.transport;
    this.#service = service;
    this.#accessLog = service.accessLog ?? null;
    this.#app = app;
    this.#logger = service.loggerFactory.createLogger("X.Server.Http2");
    this.scheme = options.scheme ?? "http";
    const h2 = service.limits.http2;
    this.#reader = new FrameReader(h2.maxFrameSize);
    this.#decoder = new HpackDecoder({
      tableSize: h2.headerTableSize,
      maxHeaderListSize: service.limits.maxRequestHeadersTotalSize,
      maxFieldSize: h2.maxRequestHeaderFieldSize,
    });
    this.#receiveWindow = h2.initialConnectionWindowSize;
    this.#output = new OutputScheduler(this.#socket, DEFAULT_WINDOW_SIZE, service.limits.maxResponseBufferSize);
    this.#output.onStreamEnded = (stream) => this.#onServerEnd(stream as Http2Stream);
    const now = service.heartbeat.now;
    this.#idleSince = now;
    this.#lastFrameAt = now;
    this.#lastTick = now;
    // The preface and the client's first SETTINGS must arrive within the request headers timeout.
    this.#headersDeadline = deadlineAfter(service.heartbeat, service.limits.requestHeadersTimeout);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Runs the connection; resolves once it is closed. */
  process(): Promise<void> {
    const socket = this.#socket;
    if (socket.destroyed) return Promise.resolve();
    this.#service.heartbeat.add(this);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.#onPeerEnd());
    socket.on("error", (error) => {
      this.#logger.debug({ connectionId: this.#connection.id, err: error }, "HTTP/2 connection error");
    });
    socket.on("close", () => this.#onClosed());
    this.#connection.onCloseRequested(() => this.#startGracefulClose());
    this.#sendInitialSettings();
    return this.#done;
  }

  #sendInitialSettings(): void {
    const limits = this.#service.limits;
    const h2 = limits.http2;
    const settings: Array<[number, number]> = [
      [SettingId.HEADER_TABLE_SIZE, h2.headerTableSize],
      [SettingId.MAX_CONCURRENT_STREAMS, h2.maxStreamsPerConnection],
      [SettingId.INITIAL_WINDOW_SIZE, h2.initialStreamWindowSize],
      [SettingId.MAX_FRAME_SIZE, h2.maxFrameSize],
      [SettingId.MAX_HEADER_LIST_SIZE, limits.maxRequestHeadersTotalSize],
    ];
    this.#batchWrites();
    this.#socket.write(settingsFrame(settings));
    const increment = h2.initialConnectionWindowSize - DEFAULT_WINDOW_SIZE;
    if (increment > 0) this.#socket.write(windowUpdateFrame(0, increment));
  }

  /** GOAWAY with the last stream we will process; in-flight streams finish, then the connection closes (§6.8). */
  #startGracefulClose(): void {
    if (this.#closed) return;
    this.#graceful = true;
    this.#sendGoAway(ErrorCode.NO_ERROR);
    this.#closeIfDrained();
  }

  #sendGoAway(code: number, debug?: string): void {
    if (this.#goAwaySent || this.#socket.destroyed) return;
    this.#goAwaySent = true;
    this.#socket.write(goAwayFrame(this.#lastStreamId, code, debug === undefined ? undefined : Buffer.from(debug)));
  }

  /** A connection error (§5.4.1): GOAWAY with the code, then close. */
  #connectionError(error: Http2ConnectionError): void {
    this.#logger.debug({ connectionId: this.#connection.id, code: error.code, reason: error.message }, "HTTP/2 connection error; sending GOAWAY");
    this.#sendGoAway(error.code);
    this.#close();
  }

  #closeIfDrained(): void {
    if (!((this.#goAwaySent || this.#peerEnded) && this.#streams.size === 0 && this.#headerBlock === null)) return;
    // §6.8: the final GOAWAY of a graceful shutdown names the last stream actually processed.
    if (this.#graceful && !this.#socket.destroyed && this.#socket.writable) {
      this.#socket.write(goAwayFrame(this.#lastStreamId, ErrorCode.NO_ERROR));
    }
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#service.heartbeat.remove(this);
    for (const stream of this.#streams.values()) stream.markAborted();
    const socket = this.#socket;
    // Half-close after the GOAWAY so the client reads it, then let the socket finish.
    if (!socket.destroyed) socket.end(() => this.#connection.abort());
    setTimeout(() => this.#connection.abort(), 1_000).unref();
  }

  #onPeerEnd(): void {
    // The client will send nothing more: streams waiting for input can never complete.
    for (const stream of this.#streams.values()) {
      if (!stream.clientDone) stream.markAborted();
    }
    this.#peerEnded = true;
    this.#headerBlock = null;
    this.#closeIfDrained();
  }

  #onClosed(): void {
    this.#closed = true;
    this.#service.heartbeat.remove(this);
    for (const stream of this.#streams.values()) stream.markAborted();
    this.#resolveDone();
  }

  /**
   * Corks the socket until the end of this event-loop turn. Responses are
   * written from promise continuations, after the 'data' handler returned;
   * this gathers every frame written in the turn (many streams' HEADERS and
   * DATA, ACKs, WINDOW_UPDATEs) into one writev instead of one syscall each.
   */
  #batchWrites(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    setImmediate(() => {
      this.#corked = false;
      this.#socket.uncork();
    });
  }

  // ---- input -------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#lastFrameAt = this.#service.heartbeat.now;
    this.#pingSentAt = null;
    this.#batchWrites();
    try {
      if (this.#prefaceBuffer !== null) {
        const rest = this.#readPreface(chunk);
        if (rest === null) return;
        chunk = rest;
      }
      this.#reader.push(chunk);
      for (let frame = this.#reader.next(); frame !== null && !this.#closed; frame = this.#reader.next()) {
        this.#onFrame(frame);
      }
    } catch (error) {
      if (error instanceof Http2ConnectionError) this.#connectionError(error);
      else {
        this.#logger.error({ connectionId: this.#connection.id, err: error }, "Unexpected error in the HTTP/2 connection");
        this.#connectionError(new Http2ConnectionError(ErrorCode.INTERNAL_ERROR, "internal error"));
      }
    }
  }

  /** §3.4: the 24-byte client preface. @returns the bytes after it, or null while incomplete. */
  #readPreface(chunk: Buffer): Buffer | null {
    const buffered = Buffer.concat([this.#prefaceBuffer!, chunk]);
    const n = Math.min(buffered.length, CONNECTION_PREFACE.length);
    if (!buffered.subarray(0, n).equals(CONNECTION_PREFACE.subarray(0, n))) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "invalid connection preface");
    }
    if (buffered.length < CONNECTION_PREFACE.length) {
      this.#prefaceBuffer = buffered;
      return null;
    }
    this.#prefaceBuffer = null;
    return buffered.subarray(CONNECTION_PREFACE.length);
  }

  #onFrame(frame: Frame): void {
    // §3.4: the first frame after the preface is SETTINGS.
    if (!this.#settingsReceived && frame.type !== FrameType.SETTINGS) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "the first frame must be SETTINGS");
    }
    // §6.10: inside a header block only CONTINUATION for the same stream may arrive.
    if (this.#headerBlock !== null && (frame.type !== FrameType.CONTINUATION || frame.streamId !== this.#headerBlock.streamId)) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "expected CONTINUATION");
    }
    try {
      switch (frame.type) {
        case FrameType.DATA:
          this.#onDataFrame(frame);
          return;
        case FrameType.HEADERS:
          this.#onHeadersFrame(frame);
          return;
        case FrameType.CONTINUATION:
          this.#onContinuation(frame);
          return;
        case FrameType.PRIORITY:
          // Prioritisation is deprecated (RFC 9113 §5.3.2); the frame is only validated.
          parsePriority(frame);
          this.#countUnproductive();
          return;
        case FrameType.RST_STREAM:
          this.#onRstStream(frame);
          return;
        case FrameType.SETTINGS:
          this.#onSettings(frame);
          return;
        case FrameType.PUSH_PROMISE:
          // §8.4: a client cannot push.
          throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
        case FrameType.PING:
          this.#onPing(frame);
          return;
        case FrameType.GOAWAY:
          this.#onGoAway(frame);
          return;
        case FrameType.WINDOW_UPDATE:
          this.#onWindowUpdate(frame);
          return;
        default:
          // §4.1: unknown frame types are ignored.
          this.#countUnproductive();
          return;
      }
    } catch (error) {
      if (error instanceof Http2StreamError) this.#streamError(error);
      else throw error;
    }
  }

  /** Frames that do nothing useful; a flood of them closes the connection. */
  #countUnproductive(): void {
    if (++this.#unproductiveFrames > MAX_UNPRODUCTIVE_FRAMES_PER_TICK) {
      throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many frames without content");
    }
  }

  /**
   * Writes frames the client's own frames called for (ACKs, RST_STREAM, answers sent without
   * the app), which no stream's flow control holds back. While the socket has room the count
   * starts over; once it waits for `drain` (the client does not read what we send) only
   * MAX_QUEUED_CONTROL_FRAMES more are queued, then the connection is closed instead.
   * @returns whether the frames were written.
   */
  #writeControl(...frames: Buffer[]): boolean {
    if (this.#closed || this.#socket.destroyed) return false;
    if (!this.#socket.writableNeedDrain) this.#queuedControlFrames = 0;
    else if (++this.#queuedControlFrames > MAX_QUEUED_CONTROL_FRAMES) {
      this.#connectionError(new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "control frames flood: the client does not read what it is sent"));
      return false;
    }
    this.#batchWrites();
    for (const frame of frames) this.#socket.write(frame);
    return true;
  }

  #onSettings(frame: Frame): void {
    const { ack, settings } = parseSettings(frame);
    if (ack) return;
    if (!this.#settingsReceived) {
      // The preface is complete: its deadline ends here.
      this.#settingsReceived = true;
      this.#headersDeadline = null;
    }
    this.#countUnproductive();
    for (const [id, value] of settings) {
      switch (id) {
        case SettingId.HEADER_TABLE_SIZE:
          this.#encoder.setMaxTableSize(Math.min(value, 4096));
          break;
        case SettingId.INITIAL_WINDOW_SIZE: {
          // §6.9.2: the change applies to every open stream's window, which may go negative.
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const stream of this.#streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW_SIZE) throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
          }
          break;
        }
        case SettingId.MAX_FRAME_SIZE:
          this.#output.maxFrameSize = value;
          break;
        default:
          // ENABLE_PUSH (we never push), MAX_CONCURRENT_STREAMS (we open none), others: nothing to do.
          break;
      }
    }
    if (this.#writeControl(settingsAck())) this.#output.flush();
  }

  #onPing(frame: Frame): void {
    const { ack, opaque } = parsePing(frame);
    if (ack) {
      this.#pingSentAt = null;
      return;
    }
    this.#countUnproductive();
    this.#writeControl(pingFrame(opaque, true));
  }

  #onGoAway(frame: Frame): void {
    const { errorCode } = parseGoAway(frame);
    this.#logger.debug({ connectionId: this.#connection.id, errorCode }, "GOAWAY received");
    // The client opens no more streams; finish those in flight.
    this.#startGracefulClose();
  }

  #onWindowUpdate(frame: Frame): void {
    const increment = parseWindowUpdate(frame);
    // Clients credit what they consumed, in batches (nghttp2 and Go at half a window, browsers in
    // megabytes): a tiny increment does nothing a batch would not, and a flood of them (+1 on
    // stream 0) only burns CPU. Counted with the other frames that do no work.
    if (increment < SMALL_WINDOW_INCREMENT) this.#countUnproductive();
    if (frame.streamId === 0) {
      if (this.#output.connectionWindow + increment > MAX_WINDOW_SIZE) throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
      this.#output.connectionWindow += increment;
    } else {
      this.#checkNotIdle(frame.streamId, "WINDOW_UPDATE");
      const stream = this.#streams.get(frame.streamId);
      if (stream === undefined) {
        // A closed stream: the credit goes nowhere.
        if (increment >= SMALL_WINDOW_INCREMENT) this.#countUnproductive();
        const lingering = this.#lingering.get(frame.streamId);
        if (lingering === undefined) return;
        if (lingering.sendWindow + increment > MAX_WINDOW_SIZE) this.#lingeringError(frame.streamId, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
        lingering.sendWindow += increment;
        return;
      }
      if (stream.sendWindow + increment > MAX_WINDOW_SIZE) throw new Http2StreamError(frame.streamId, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
      stream.sendWindow += increment;
    }
    this.#output.flush();
  }

  #onRstStream(frame: Frame): void {
    const code = parseRstStream(frame);
    this.#checkNotIdle(frame.streamId, "RST_STREAM");
    // The client stops a stream we had answered early: nothing more of it to check.
    this.#lingering.delete(frame.streamId);
    const stream = this.#streams.get(frame.streamId);
    if (stream === undefined) return;
    this.#logger.debug({ connectionId: this.#connection.id, streamId: stream.id, code }, "Stream reset by the client");
    // Unless ours crossed it: then frames the client sent before seeing ours must still be ignored.
    stream.resetByPeer = this.#closedState(stream.id) !== true;
    stream.clientDone = true;
    stream.serverDone = true;
    this.#output.discard(stream);
    stream.markAborted();
    this.#retire(stream);
  }

  /** §5.1: frames other than HEADERS and PRIORITY on an idle stream are a connection error. */
  #checkNotIdle(streamId: number, what: string): void {
    if (streamId > this.#lastStreamId) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on an idle stream`);
  }

  /** True: we reset it; false: it closed normally; undefined: not remembered. */
  /**
   * Streams we reset with NO_ERROR because the app answered before the request was complete
   * (§8.1): the client may still be sending, and what it sends is checked as if the stream were
   * open (flow control, content-length, trailers), so the outcome does not depend on whether
   * those frames came in the same read as the HEADERS or after the answer. Bounded, oldest out.
   */
  readonly #lingering = new Map<number, LingeringStream>();

  #linger(stream: Http2Stream): void {
    this.#lingering.set(stream.id, { declared: stream.request.contentLength, received: stream.receivedBodyBytes, receiveWindow: stream.receiveWindow, sendWindow: stream.sendWindow });
    if (this.#lingering.size > RECENTLY_CLOSED) this.#lingering.delete(this.#lingering.keys().next().value!);
  }

  /** A stream error on a lingering stream: RST_STREAM with the code, and no more checks for it. */
  #lingeringError(id: number, code: ErrorCode, reason: string): never {
    this.#lingering.delete(id);
    throw new Http2StreamError(id, code, reason);
  }

  /** DATA on a lingering stream: the checks an open stream's DATA gets (§6.9.1, §8.1.1). */
  #checkLingeringData(id: number, lingering: LingeringStream, length: number, flowControlledLength: number, endStream: boolean): void {
    if (flowControlledLength > lingering.receiveWindow) this.#lingeringError(id, ErrorCode.FLOW_CONTROL_ERROR, "stream window exceeded");
    lingering.receiveWindow -= flowControlledLength;
    lingering.received += length;
    const declared = lingering.declared;
    if (declared !== null && lingering.received > declared) this.#lingeringError(id, ErrorCode.PROTOCOL_ERROR, "more DATA than content-length");
    if (endStream) {
      if (declared !== null && lingering.received !== declared) this.#lingeringError(id, ErrorCode.PROTOCOL_ERROR, "content-length does not match the DATA received");
      this.#lingering.delete(id);
    }
  }

  /** HEADERS on a lingering stream: a trailer block, with the checks trailers get (§8.1, §8.1.1, §8.1.2.1). */
  #checkLingeringTrailers(id: number, lingering: LingeringStream, endStream: boolean, fields: HeaderField[]): void {
    if (!endStream) this.#lingeringError(id, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
    try {
      readTrailers(id, fields);
    } catch (error) {
      this.#lingering.delete(id);
      throw error;
    }
    if (lingering.declared !== null && lingering.received !== lingering.declared) this.#lingeringError(id, ErrorCode.PROTOCOL_ERROR, "content-length does not match the DATA received");
    this.#lingering.delete(id);
  }

  #closedState(streamId: number): boolean | undefined {
    return this.#recentlyClosed.get(streamId);
  }

  // ---- headers -----------------------------------------------------------------------------

  #onHeadersFrame(frame: Frame): void {
    let info: ReturnType<typeof parseHeaders>;
    let streamError: Http2StreamError | null = null;
    try {
      info = parseHeaders(frame);
    } catch (error) {
      if (!(error instanceof SelfDependentHeadersError)) throw error;
      // §5.3.1: a stream depending on itself is a stream error, but its block still has to be decoded.
      info = error.headers;
      streamError = error;
    }
    const { fragment, endStream, endHeaders } = info;
    const block: OpenHeaderBlock = { streamId: frame.streamId, endStream, fragments: [Buffer.from(fragment)], size: fragment.length, streamError };
    this.#checkBlockSize(block);
    if (!endHeaders) {
      if (fragment.length === 0) this.#countUnproductive();
      this.#headerBlock = block;
      this.#headersDeadline ??= deadlineAfter(this.#service.heartbeat, this.#service.limits.requestHeadersTimeout);
      return;
    }
    this.#onHeaderBlock(block);
  }

  #onContinuation(frame: Frame): void {
    if (this.#headerBlock === null) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    const { fragment, endHeaders } = parseContinuation(frame);
    const block = this.#headerBlock;
    block.fragments.push(Buffer.from(fragment));
    block.size += fragment.length;
    this.#checkBlockSize(block);
    if (!endHeaders) {
      if (fragment.length === 0) this.#countUnproductive();
      return;
    }
    this.#headerBlock = null;
    this.#onHeaderBlock(block);
  }

  /** CONTINUATION flood: a compressed block over twice the header limit closes the connection. */
  #checkBlockSize(block: OpenHeaderBlock): void {
    if (block.size > 2 * this.#service.limits.maxRequestHeadersTotalSize) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "header block too large");
    }
  }

  #onHeaderBlock(block: OpenHeaderBlock): void {
    this.#headersDeadline = null;
    const data = block.fragments.length === 1 ? block.fragments[0]! : Buffer.concat(block.fragments);
    const id = block.streamId;
    const existing = this.#streams.get(id);
    // Every block is decoded, even one for a stream we ignore: HPACK state is per connection.
    let fields: HeaderField[];
    let tooLarge = false;
    try {
      fields = this.#decoder.decode(data);
    } catch (error) {
      if (!(error instanceof HeaderListTooLargeError)) throw error;
      fields = error.decodedFields as HeaderField[];
      tooLarge = true;
    }
    if (block.streamError !== null) {
      if (existing === undefined && id > this.#lastStreamId) this.#lastStreamId = id;
      throw block.streamError;
    }
    if (existing !== undefined) {
      this.#onTrailers(existing, block, fields, tooLarge);
      return;
    }
    if (id <= this.#lastStreamId) {
      const lingering = this.#lingering.get(id);
      if (lingering !== undefined) {
        this.#checkLingeringTrailers(id, lingering, block.endStream, fields);
        return;
      }
      const state = this.#closedState(id);
      if (state === true) return;
      // §5.1: HEADERS after the stream closed; §5.1.1: a new stream id not above every earlier one.
      if (state === false) throw new Http2ConnectionError(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream");
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "stream id not greater than the previous ones");
    }
    // §5.1.1: client streams are odd and increasing.
    if (id % 2 === 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "even stream id from the client");
    this.#lastStreamId = id;
    if (this.#goAwaySent) {
      // §6.8: streams after our GOAWAY are not processed.
      this.#rememberClosed(id, true);
      return;
    }
    this.#openStream(id, block.endStream, fields, tooLarge);
  }

  #openStream(id: number, endStream: boolean, fields: HeaderField[], tooLarge: boolean): void {
    const limits = this.#service.limits;
    const max = limits.http2.maxStreamsPerConnection;
    // §5.1.2: open and half-closed streams count toward the limit; closed ones do not.
    let active = 0;
    let appActive = 0;
    for (const s of this.#streams.values()) {
      if (!(s.clientDone && s.serverDone)) active++;
      if (!s.appDone) appActive++;
    }
    // Rapid reset (CVE-2023-44487): streams the client reset still count while their app
    // runs; past twice the limit the new stream is refused with ENHANCE_YOUR_CALM.
    if (appActive >= 2 * max) {
      this.#sendRst(id, ErrorCode.ENHANCE_YOUR_CALM);
      if (++this.#calmResets > MAX_CALM_RESETS_PER_TICK) {
        throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many streams reset by the client while their requests still run");
      }
      return;
    }
    if (active >= max) {
      // A client that keeps opening streams over the limit it was told is flooding: each
      // refusal costs a header block decoded and a frame sent, and carries nothing.
      this.#countUnproductive();
      if (++this.#refusedInARow > MAX_REFUSED_STREAMS_IN_A_ROW) {
        throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many streams refused in a row: the client ignores SETTINGS_MAX_CONCURRENT_STREAMS");
      }
      this.#sendRst(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    this.#refusedInARow = 0;
    if (tooLarge || fields.length > limits.maxRequestHeaderCount) {
      this.#rejectWithStatus(id, endStream, 431, fields);
      return;
    }
    const head = readRequestHead(id, fields);
    // Kestrel validates the host of HTTP/2 requests as of HTTP/1.1 ones (RFC 9110 §7.2), answering 400.
    if (!isValidAuthority(head.authority, true)) {
      this.#rejectWithStatus(id, endStream, 400, fields);
      return;
    }
    if (head.contentLength !== null && endStream && head.contentLength !== 0) {
      throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, "content-length without content");
    }
    const maxBody = limits.maxRequestBodySize;
    if (maxBody !== null && head.contentLength !== null && head.contentLength > maxBody) {
      this.#rejectWithStatus(id, endStream, 413, fields);
      return;
    }
    const stream = new Http2Stream(this, id, head, endStream, { send: this.#peerInitialWindow, receive: limits.http2.initialStreamWindowSize }, maxBody);
    stream.accessLogStartedAt = accessLogStart(this.#accessLog);
    this.#streams.set(id, stream);
    this.#idleSince = Number.POSITIVE_INFINITY;
    void this.#runApp(stream);
  }

  /** Answers a request that is not passed to the app (431, 413) and ends the stream. */
  #rejectWithStatus(id: number, endStream: boolean, status: number, fields: readonly HeaderField[]): void {
    const block = this.#encoder.encode([
      { name: ":status", value: String(status) },
      { name: "content-length", value: "0" },
      { name: "date", value: this.dateHeader },
    ]);
    const frames = headersFrames(id, block, true, this.#output.maxFrameSize);
    // §8.1: a response before the request is complete is followed by RST_STREAM NO_ERROR.
    if (!endStream) frames.push(rstStreamFrame(id, ErrorCode.NO_ERROR));
    if (!this.#writeControl(...frames)) return;
    this.#rememberClosed(id, !endStream);
    const log = this.#accessLog;
    if (log !== null && log.sink !== null) {
      writeAccessLog(log, pseudoHeadersOf(fields), -1, this.connectionInfo, { status, bytes: 0, rejected: true, aborted: false });
    }
  }

  #onTrailers(stream: Http2Stream, block: OpenHeaderBlock, fields: HeaderField[], tooLarge: boolean): void {
    // §5.1: the client reset this stream; HEADERS on it now is as on any closed stream.
    if (stream.resetByPeer) throw new Http2ConnectionError(ErrorCode.STREAM_CLOSED, "HEADERS after RST_STREAM");
    if (stream.clientDone) throw new Http2StreamError(stream.id, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM");
    // §8.1: trailers end the stream.
    if (!block.endStream) throw new Http2StreamError(stream.id, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
    if (tooLarge) throw new Http2StreamError(stream.id, ErrorCode.PROTOCOL_ERROR, "trailers too large");
    const trailers = readTrailers(stream.id, fields);
    this.#endClientSide(stream, trailers);
  }

  /** The client finished sending: checks content-length (§8.1.1) and ends the body. */
  #endClientSide(stream: Http2Stream, trailers: import("@x/abstractions").HeaderMap | null): void {
    const declared = stream.request.contentLength;
    if (declared !== null && declared !== stream.receivedBodyBytes) {
      throw new Http2StreamError(stream.id, ErrorCode.PROTOCOL_ERROR, "content-length does not match the DATA received");
    }
    stream.endBody(trailers);
    this.#maybeRetire(stream);
  }

  // ---- data --------------------------------------------------------------------------------

  #onDataFrame(frame: Frame): void {
    const { data, endStream, flowControlledLength } = parseData(frame);
    const id = frame.streamId;
    // §6.9.1: the connection window counts every DATA frame, whatever its stream's state.
    if (flowControlledLength > this.#receiveWindow) throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window exceeded");
    this.#receiveWindow -= flowControlledLength;
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.clientDone) {
      this.#checkNotIdle(id, "DATA");
      // No app reads it: DATA on a stream that is closed (or answered early) does no work, and a
      // flood of it must meet the same guard as one on open streams.
      this.#countUnproductive();
      // Not for an app: give the bytes back to the connection window at once.
      this.#creditConnection(flowControlledLength, true);
      // Frames that crossed our RST_STREAM are expected (§5.4.2); others are a stream error (§5.1).
      // After the client's own RST_STREAM nothing can cross: the stream is closed (§5.1).
      if (stream?.resetByPeer === true) throw new Http2ConnectionError(ErrorCode.STREAM_CLOSED, "DATA after RST_STREAM");
      const lingering = this.#lingering.get(id);
      if (lingering !== undefined) {
        this.#checkLingeringData(id, lingering, data.length, flowControlledLength, endStream);
        return;
      }
      if (stream === undefined ? this.#closedState(id) === true : stream.serverDone) return;
      // §5.1: after END_STREAM, half-closed (remote) is a stream error and closed a connection error.
      if (stream !== undefined) throw new Http2StreamError(id, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM");
      throw new Http2ConnectionError(ErrorCode.STREAM_CLOSED, "DATA on a closed stream");
    }
    if (flowControlledLength > stream.receiveWindow) throw new Http2StreamError(id, ErrorCode.FLOW_CONTROL_ERROR, "stream window exceeded");
    stream.receiveWindow -= flowControlledLength;
    // Padding is never read by the app: credit it now.
    const padding = flowControlledLength - data.length;
    if (padding > 0) {
      this.#creditConnection(padding, false);
      this.#creditStream(stream, padding);
    }
    if (data.length === 0 && !endStream) this.#countUnproductive();
    this.#receivedBodyBytes += data.length;
    if (!stream.pushBody(data)) {
      // Over maxRequestBodySize: the app's read failed with 413 (Kestrel). The bytes are
      // discarded and given back to the connection window, so other streams go on; the
      // stream's own window is not, and once the response is out the stream is reset
      // (NO_ERROR, §8.1) as for any body the app did not read.
      this.#creditConnection(data.length, false);
    }
    const declared = stream.request.contentLength;
    if (declared !== null && stream.receivedBodyBytes > declared) {
      throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, "more DATA than content-length");
    }
    if (endStream) this.#endClientSide(stream, null);
  }

  /** Returns `bytes` to the connection window, with WINDOW_UPDATE once half of it is used (or `now`). */
  #creditConnection(bytes: number, now: boolean): void {
    this.#receiveWindow += bytes;
    this.#unackedConnectionBytes += bytes;
    const threshold = this.#service.limits.http2.initialConnectionWindowSize / 2;
    if (this.#unackedConnectionBytes >= threshold || (now && this.#unackedConnectionBytes > 0 && this.#receiveWindow < threshold)) {
      this.#socket.write(windowUpdateFrame(0, this.#unackedConnectionBytes));
      this.#unackedConnectionBytes = 0;
    }
  }

  #creditStream(stream: Http2Stream, bytes: number): void {
    stream.receiveWindow += bytes;
    stream.unackedConsumed += bytes;
    if (stream.clientDone) return;
    if (stream.unackedConsumed >= this.#service.limits.http2.initialStreamWindowSize / 2) {
      this.#socket.write(windowUpdateFrame(stream.id, stream.unackedConsumed));
      stream.unackedConsumed = 0;
    }
  }

  // ---- StreamOwner -------------------------------------------------------------------------

  /** The connection's id and addresses, for requests. */
  get connectionInfo(): ConnectionInfo {
    this.#connectionInfo ??= connectionInfoOf(this.#connection);
    return this.#connectionInfo;
  }

  /** The connection's features, defaults of each stream's features. */
  get connectionFeatures(): FeatureCollection {
    return this.#connection.features;
  }

  /** The current `Date` header value. */
  get dateHeader(): string {
    return this.#service.dateHeader.value;
  }

  /** Whether responses carry a `Server` header. */
  get addServerHeader(): boolean {
    return this.#service.addServerHeader;
  }

  /** Sends a HEADERS block (with CONTINUATION as needed) for `stream`. */
  sendHeaders(stream: Http2Stream, fields: HeaderField[], endStream: boolean): void {
    if (this.#closed || this.#socket.destroyed) return;
    this.#batchWrites();
    const block = this.#encoder.encode(fields);
    for (const buffer of headersFrames(stream.id, block, endStream, this.#output.maxFrameSize)) this.#socket.write(buffer);
    if (endStream) this.#onServerEnd(stream);
  }

  /** Queues DATA for `stream`, within the flow-control windows; resolves once it is sent. */
  sendData(stream: Http2Stream, chunk: Buffer, endStream: boolean): Promise<void> {
    if (this.#closed || this.#socket.destroyed) return Promise.reject(new Error("The HTTP/2 connection is closed"));
    this.#batchWrites();
    return this.#output.enqueue(stream, chunk, endStream);
  }

  /** Sends trailers (HEADERS with END_STREAM) after the queued DATA. */
  sendTrailers(stream: Http2Stream, fields: HeaderField[]): void {
    // Trailers follow the queued DATA: wait until it is out.
    const send = () => this.sendHeaders(stream, fields, true);
    if (!this.#output.hasPending(stream)) send();
    else void this.#output.enqueue(stream, Buffer.alloc(0), false).then(() => this.#whenFlushed(stream, send));
  }

  #whenFlushed(stream: Http2Stream, then: () => void): void {
    if (!this.#output.hasPending(stream) || stream.serverDone) {
      if (!stream.serverDone) then();
      return;
    }
    setImmediate(() => this.#whenFlushed(stream, then));
  }

  /** Resets `stream` with RST_STREAM and `errorCode` (RFC 9113 §6.4). */
  resetStream(stream: Http2Stream, errorCode: number): void {
    if (stream.serverDone) return;
    this.#sendRst(stream.id, errorCode);
    stream.serverDone = true;
    stream.clientDone = true;
    this.#output.discard(stream);
    stream.markAborted();
    this.#maybeRetire(stream);
  }

  /** The app read `bytes` of `stream`'s body: replenishes the stream and connection windows (WINDOW_UPDATE). */
  onBodyConsumed(stream: Http2Stream, bytes: number): void {
    // Windows are replenished as the app reads, not as bytes arrive: a slow app pushes back.
    if (this.#closed) return;
    this.#batchWrites();
    this.#creditConnection(bytes, false);
    this.#creditStream(stream, bytes);
  }

  // ---- streams -----------------------------------------------------------------------------

  #sendRst(id: number, code: number): void {
    this.#writeControl(rstStreamFrame(id, code));
    this.#rememberClosed(id, true);
  }

  #rememberClosed(id: number, resetByUs: boolean): void {
    // A reset is remembered as such even if the stream retires normally afterwards.
    if (this.#recentlyClosed.get(id) === true) return;
    this.#recentlyClosed.delete(id);
    this.#recentlyClosed.set(id, resetByUs);
    if (this.#recentlyClosed.size > RECENTLY_CLOSED) this.#recentlyClosed.delete(this.#recentlyClosed.keys().next().value!);
  }

  #streamError(error: Http2StreamError): void {
    const stream = this.#streams.get(error.streamId);
    this.#logger.debug({ connectionId: this.#connection.id, streamId: error.streamId, code: error.code, reason: error.message }, "HTTP/2 stream error");
    if (stream === undefined) {
      this.#sendRst(error.streamId, error.code);
      return;
    }
    this.resetStream(stream, error.code);
  }

  #onServerEnd(stream: Http2Stream): void {
    stream.serverDone = true;
    // §8.1: the response is complete but the request is not: tell the client to stop sending.
    if (!stream.clientDone && stream.appDone) {
      this.#sendRst(stream.id, ErrorCode.NO_ERROR);
      this.#linger(stream);
      stream.clientDone = true;
    }
    this.#maybeRetire(stream);
  }

  #maybeRetire(stream: Http2Stream): void {
    if (stream.clientDone && stream.serverDone && stream.appDone) this.#retire(stream);
  }

  #retire(stream: Http2Stream): void {
    if (!stream.appDone) return;
    if (!this.#streams.delete(stream.id)) return;
    this.#rememberClosed(stream.id, false);
    if (this.#streams.size === 0) this.#idleSince = this.#service.heartbeat.now;
    this.#closeIfDrained();
  }

  async #runApp(stream: Http2Stream): Promise<void> {
    try {
      await this.#app(stream);
      if (!stream.isAborted) await stream.response.complete();
    } catch (error) {
      this.#onAppError(stream, error);
    }
    stream.appDone = true;
    const log = this.#accessLog;
    if (log !== null && log.sink !== null) {
      const response = stream.response;
      writeAccessLog(log, { method: stream.request.method, path: stream.request.rawTarget }, stream.accessLogStartedAt, this.connectionInfo, {
        status: response.statusCode,
        bytes: response.bodyBytesWritten,
        rejected: false,
        aborted: stream.isAborted,
      });
    }
    await stream.response.runOnCompleted((error) =>
      this.#logger.error({ connectionId: this.#connection.id, streamId: stream.id, err: error }, "An OnCompleted callback failed"),
    );
    if (stream.serverDone) this.#onServerEnd(stream);
    if (stream.isAborted) {
      stream.serverDone = true;
      stream.clientDone = true;
      this.#retire(stream);
    }
  }

  #onAppError(stream: Http2Stream, error: unknown): void {
    if (stream.isAborted) return;
    const response = stream.response;
    if (!response.hasStarted) {
      const status = error instanceof BadHttpRequestError ? error.statusCode : 500;
      if (status >= 500) this.#logger.error({ connectionId: this.#connection.id, streamId: stream.id, err: error }, "Unhandled exception in the application");
      response.headers.clear();
      response.statusCode = status;
      void response.end().catch(() => {});
      return;
    }
    this.#logger.error({ connectionId: this.#connection.id, streamId: stream.id, err: error }, "The application failed after the response started; resetting the stream");
    this.resetStream(stream, ErrorCode.INTERNAL_ERROR);
  }

  // ---- timeouts and rates ------------------------------------------------------------------

  /** Per-second checks: keep-alive and header timeouts, minimum data rates, flood counters. */
  onHeartbeat(now: number): void {
    if (this.#closed) return;
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    this.#unproductiveFrames = 0;
    this.#calmResets = 0;
    const limits = this.#service.limits;
    if (this.#headersDeadline !== null && now >= this.#headersDeadline) {
      this.#logger.debug({ connectionId: this.#connection.id }, "HTTP/2 request headers timeout");
      this.#connectionError(new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "request headers timeout"));
      return;
    }
    if (this.#streams.size === 0 && this.#headerBlock === null && elapsedSince(this.#idleSince, now, limits.keepAliveTimeout)) {
      this.#sendGoAway(ErrorCode.NO_ERROR);
      this.#close();
      return;
    }
    this.#checkKeepAlivePing(now);
    this.#checkResponseRate(elapsed);
    this.#checkRequestRate(elapsed);
  }

  #checkKeepAlivePing(now: number): void {
    const { keepAlivePingDelay, keepAlivePingTimeout } = this.#service.limits.http2;
    if (keepAlivePingDelay === null) return;
    if (this.#pingSentAt !== null) {
      if (now - this.#pingSentAt >= keepAlivePingTimeout) {
        this.#logger.debug({ connectionId: this.#connection.id }, "Keep-alive ping timed out");
        this.#close();
      }
      return;
    }
    // The ping timeout counts from our tick (exact); the delay from a frame's arrival, stamped with the last tick.
    if (elapsedSince(this.#lastFrameAt, now, keepAlivePingDelay)) {
      this.#pingSentAt = now;
      this.#socket.write(pingFrame(Buffer.alloc(8), false));
    }
  }

  /** MinResponseDataRate per connection: a client that stops reading or never opens its window is cut off. */
  #checkResponseRate(elapsed: number): void {
    const rate = this.#service.limits.minResponseDataRate;
    if (rate === null || this.#output.pendingBytes === 0) {
      this.#stallMs = 0;
      return;
    }
    // The rate is measured from the first tick that found output waiting: bytes sent before
    // (a whole first window, say) must not buy a client that then stops reading minutes of grace.
    if (this.#stallMs === 0) this.#stallSentAtStart = this.#output.sentBytes;
    this.#stallMs += elapsed;
    if (this.#stallMs <= rate.gracePeriod) return;
    const sent = this.#output.sentBytes - this.#stallSentAtStart;
    if (sent / (this.#stallMs / 1000) < rate.bytesPerSecond) {
      this.#logger.debug({ connectionId: this.#connection.id }, "The client is reading the response too slowly; closing the connection");
      this.#connectionError(new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "response data rate too low"));
    }
  }

  /** MinRequestBodyDataRate per connection, timed while an app waits on a body read. */
  #checkRequestRate(elapsed: number): void {
    const rate = this.#service.limits.minRequestBodyDataRate;
    let waiting = false;
    for (const s of this.#streams.values()) if (!s.clientDone && s.isReadPending) waiting = true;
    if (rate === null || !waiting) {
      this.#readWaitMs = 0;
      this.#readBytesAtStart = this.#receivedBodyBytes;
      return;
    }
    this.#readWaitMs += elapsed;
    if (this.#readWaitMs <= rate.gracePeriod) return;
    const received = this.#receivedBodyBytes - this.#readBytesAtStart;
    if (received / (this.#readWaitMs / 1000) < rate.bytesPerSecond) {
      this.#logger.debug({ connectionId: this.#connection.id }, "The request body arrives too slowly; closing the connection");
      this.#connectionError(new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "request body data rate too low"));
    }
  }
}

/** Runs HTTP/2 on a connection whose protocol was selected as h2 (ALPN or prior knowledge). */
export function processHttp2Connection(connection: ConnectionContext, service: ServiceContext, app: RequestDelegate, options?: Http2ConnectionOptions): Promise<void> {
  return new Http2Connection(connection, service, app, options).process();
}
