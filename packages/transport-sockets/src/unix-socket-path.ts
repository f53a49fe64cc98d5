/**
 * The file that backs a Unix domain socket: clearing a stale one before bind
 * and removing ours after unbind.
 *
 * @module
 */
import { lstat, unlink } from "node:fs/promises";
import { connect } from "node:net";
import type { UnixEndPoint } from "@x/abstractions";
import { addressInUse } from "./errors.js";

/**
 * Makes `endPoint.path` free to bind.
 *
 * A process that crashed leaves its socket file behind, and `listen()` would
 * then fail with `EADDRINUSE` forever. So an existing socket that refuses a
 * connection is unlinked. A socket that accepts belongs to a live server, and
 * anything that is not a socket may be user data: both fail with
 * `AddressInUseError` and are left alone.
 */
export async function prepareUnixSocketPath(endPoint: UnixEndPoint): Promise<void> {
  const { path } = endPoint;
  // Linux abstract sockets have no file to clean up.
  if (isAbstract(path)) return;
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!stats.isSocket()) {
    const cause = Object.assign(new Error(`${path} exists and is not a socket`), { code: "EADDRINUSE" });
    throw addressInUse(endPoint, cause);
  }
  const probe = await probeSocket(path);
  if (probe === "refused") {
    await unlinkIfPresent(path);
  } else if (probe !== "gone") {
    throw addressInUse(endPoint, probe);
  }
}

/**
 * Removes the socket file at `path` on unbind. Only a socket is removed, so a
 * file someone put there after we closed is never deleted.
 */
export async function removeUnixSocketFile(path: string): Promise<void> {
  if (isAbstract(path)) return;
  try {
    if (!(await lstat(path)).isSocket()) return;
  } catch {
    // Already gone: libuv unlinks the path when the listening handle closes.
    return;
  }
  await unlinkIfPresent(path);
}

function isAbstract(path: string): boolean {
  return path.startsWith("\0");
}

/**
 * Connects once to find out whether anyone listens. Resolves `"refused"` for
 * a stale file, `"gone"` if the file vanished meanwhile, and otherwise the
 * reason to treat the path as taken (the accepting listener or the error).
 */
function probeSocket(path: string): Promise<"refused" | "gone" | Error> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once("connect", () => {
      socket.destroy();
      resolve(Object.assign(new Error(`A server is listening on ${path}`), { code: "EADDRINUSE" }));
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === "ECONNREFUSED") resolve("refused");
      else if (error.code === "ENOENT") resolve("gone");
      else resolve(error);
    });
  });
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
