/**
 * The watchdog between the front and each app process: a few lines of
 * JavaScript run with `node -e`, so they need no file of their own. It starts
 * the app with its stdout and stderr going to the front, reports the app's
 * pid over IPC, forwards SIGTERM and SIGINT, and kills the app when the IPC
 * channel closes — which the OS does when the front dies, even by SIGKILL
 * (Node has no `PR_SET_PDEATHSIG`).
 *
 * On POSIX the front starts the watchdog as the leader of its own process
 * group, which the app and anything the app starts join; the watchdog kills
 * that whole group when the front goes, and the front kills it when the
 * watchdog goes (however it died). So no app process, nor its children,
 * outlives either — as the job object ANCM puts its app in on Windows.
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
// The front started this process as its group's leader (POSIX): the group is the app and all it started.
const kill = () => {
  if (process.platform !== "win32") { try { process.kill(-process.pid, "SIGKILL"); } catch {} }
  try { child.kill("SIGKILL"); } catch {}
};
process.on("disconnect", () => { kill(); process.exit(1); });
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => { try { child.kill(signal); } catch {} });
child.on("exit", (code, signal) => {
  if (process.connected) process.send({ exit: { code, signal } });
  process.exitCode = code ?? 1;
  process.disconnect?.();
});
`;
