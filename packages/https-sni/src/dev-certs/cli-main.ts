/**
 * Entry point of the `x-dev-certs` bin (built to `dist/dev-certs-cli.js`,
 * with the `#!/usr/bin/env node` line added by the build).
 *
 * @module
 */
import { ExitCode, runDevCerts } from "./cli.js";

// A reader that goes away (`x-dev-certs https --check | head -1`) is not a failure worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    process.exit(error.code === "EPIPE" ? (process.exitCode ?? ExitCode.Success) : ExitCode.Failure);
  });
}

process.exitCode = await runDevCerts(process.argv.slice(2));
