/**
 * Bind failures the server layer reacts to by code: an address in use fails
 * startup, an unavailable address (`::1` with IPv6 off) lets `localhost`
 * fall back to the other loopback with a warning, as Kestrel does.
 *
 * @module
 */
import { createErrorClass, type EndPoint, formatEndPoint } from "@x/abstractions";

/**
 * Something already listens on the endpoint (`EADDRINUSE`), or a Unix socket
 * path is taken by a live listener or by a file that is not a socket.
 */
export const AddressInUseError = createErrorClass(
  "AddressInUseError",
  "ERR_X_TRANSPORT_ADDRESS_IN_USE",
  "Failed to bind: address already in use.",
);

/**
 * The host cannot bind the address at all (`EADDRNOTAVAIL`, `EAFNOSUPPORT`),
 * e.g. an IP the machine does not own or `::1` where IPv6 is disabled.
 */
export const AddressNotAvailableError = createErrorClass(
  "AddressNotAvailableError",
  "ERR_X_TRANSPORT_ADDRESS_NOT_AVAILABLE",
  "Failed to bind: address not available.",
);

/** Builds the `AddressInUseError` for `endPoint`, keeping `cause` for diagnosis. */
export function addressInUse(endPoint: EndPoint, cause: unknown): Error {
  return new AddressInUseError(`Failed to bind to address ${formatEndPoint(endPoint)}: address already in use.`, { cause });
}

/**
 * Maps a `listen()` failure to a typed error. Codes other than the ones the
 * server layer branches on are returned unchanged (`EACCES` for a privileged
 * port already says what is wrong).
 */
export function toBindError(endPoint: EndPoint, error: unknown): unknown {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case "EADDRINUSE":
      return addressInUse(endPoint, error);
    case "EADDRNOTAVAIL":
    case "EAFNOSUPPORT":
      return new AddressNotAvailableError(`Failed to bind to address ${formatEndPoint(endPoint)}: address not available.`, {
        cause: error,
      });
    default:
      return error;
  }
}
