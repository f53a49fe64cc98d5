/**
 * Hands an upgraded connection (WebSocket and other opaque protocols after
 * `101 Switching Protocols`) over to the application: the HTTP/1.1 handler
 * stops reading, and bytes it had already read for the new protocol are put
 * back in front of the stream.
 *
 * @module
 */
import type { Duplex } from "node:stream";

/**
 * Detaches `listeners` from `socket` and returns it ready for a new reader:
 * `leftover` first, then whatever arrives. The stream is left in no flowing
 * mode, so it starts flowing when the new owner adds a 'data' listener or pipes it.
 */
export function handOverSocket(socket: Duplex, listeners: ReadonlyArray<[event: string, listener: (...args: any[]) => void]>, leftover: Buffer | null): Duplex {
  for (const [event, listener] of listeners) socket.off(event, listener);
  socket.pause();
  if (leftover !== null && leftover.length > 0) socket.unshift(leftover);
  // As node:http does for 'upgrade': neither paused nor flowing until the new owner reads.
  (socket as unknown as { readableFlowing: boolean | null }).readableFlowing = null;
  return socket;
}
