/**
 * The watchdog between the front and each app process: a few lines of
 * JavaScript run with `node -e`, so they need no file of their own. It starts
 * the app with its stdout and stderr going to the front, reports the app's
 * pid over IPC, forwards SIGTERM and SIGINT, and kills the app when the IPC
 * channel closes — which the OS does when the front dies, even by SIGKILL.
 * That is how no app process outlives the front (Node has no
 * `PR_SET_PDEATHSIG`).
 *
 * @module
 */

/** The watchdog's source; run as `node -e WATCHDOG_SOURCE -- processPath ...arguments` with an IPC channel. */
export const WATCHDOG_SOURCE = `
"use strict";
const { spawn } = require("node:child_process");
const [command, ...args] = process.argv.slice(1);
let child;
try {
  child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], windowsHide: true });
} catch (error) {
  process.stderr.write("Failed to start '" + command + "': " + error.message + "\\n");
  process.exit(127);
}
child.on("error", (error) => {
  process.stderr.write("Failed to start '" + command + "': " + error.message + "\\n");
  process.exit(127);
});
if (child.pid !== undefined && process.send) process.send({ pid: child.pid });
const kill = () => { try { child.kill("SIGKILL"); } catch {} };
process.on("disconnect", () => { kill(); process.exit(1); });
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => { try { child.kill(signal); } catch {} });
child.on("exit", (code, signal) => {
  if (process.connected) process.send({ exit: { code, signal } });
  process.exitCode = code ?? 1;
  process.disconnect?.();
});
`;
