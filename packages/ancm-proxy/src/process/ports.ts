/**
 * The port the app listens on (`ASPNETCORE_PORT`): the one configured in
 * `environmentVariables` when it is 1025 to 48000, as ANCM allows, otherwise
 * a free random port in 10000 to 48000.
 *
 * @module
 */
import { createServer } from "node:net";

const MIN_CONFIGURED = 1025;
const MAX_PORT = 48_000;
const MIN_RANDOM = 10_000;

/** The configured port, when ANCM would use it. */
export function configuredPort(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const port = Number(value);
  return port >= MIN_CONFIGURED && port <= MAX_PORT ? port : null;
}

/** True when nothing listens on 127.0.0.1:`port` and we may bind it. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free port from ANCM's random range, avoiding `taken` (ports of the other processes). */
export async function randomFreePort(taken: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = MIN_RANDOM + Math.floor(Math.random() * (MAX_PORT - MIN_RANDOM + 1));
    if (!taken.has(port) && (await isPortFree(port))) return port;
  }
  throw new Error(`No free port found in ${MIN_RANDOM} to ${MAX_PORT}`);
}
