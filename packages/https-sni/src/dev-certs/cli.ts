/**
 * The `x-dev-certs` command: runs a parsed command line against the
 * development certificate and reports in text. Output goes through the
 * given writers, so it can run in-process (tests) or as the bin.
 *
 * @module
 */
import { checkDevelopmentCertificate } from "./check.js";
import { cleanDevelopmentCertificate } from "./clean.js";
import { type HttpsCommand, parseDevCertsArguments, USAGE } from "./cli-args.js";
import { createDevelopmentCertificate } from "./create.js";
import { exportDevelopmentCertificate } from "./export.js";
import { developmentCertificateDirectory } from "./paths.js";
import { trustInstructions } from "./trust-instructions.js";

/** Exit codes of `x-dev-certs`. */
export const ExitCode = {
  /** Done; with `--check`: a valid certificate is present. */
  Success: 0,
  /** `--check`: no valid certificate (missing, expired or invalid). */
  NoValidCertificate: 1,
  /** Unknown option, missing value, or options that do not go together. */
  UsageError: 2,
  /** Anything else went wrong (files not writable, ...). */
  Failure: 3,
} as const;

/** Where the command writes and what it reads. */
export interface DevCertsIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
}

const processIo: DevCertsIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  platform: process.platform,
};

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim();
}

async function runHttps(command: HttpsCommand, io: DevCertsIo): Promise<number> {
  const out = command.quiet ? () => {} : io.stdout;
  const directory = developmentCertificateDirectory(io.env);

  if (command.clean) {
    const removed = cleanDevelopmentCertificate(directory);
    out(removed ? `HTTPS development certificate removed from ${directory}.\n` : `No HTTPS development certificate in ${directory}; nothing to remove.\n`);
    return ExitCode.Success;
  }

  if (command.check) {
    const check = checkDevelopmentCertificate(directory);
    if (check.status !== "valid") {
      out(`No valid HTTPS development certificate (${check.status}): ${check.reason}\nRun 'x-dev-certs https' to create one.\n`);
      return ExitCode.NoValidCertificate;
    }
    out(
      "A valid HTTPS development certificate is present.\n" +
        `  Certificate: ${check.certificatePath}\n` +
        `  Key:         ${check.keyPath}\n` +
        `  Subject:     ${check.info.subject}\n` +
        `  Expires:     ${check.info.notAfter.toISOString()}\n` +
        `  SHA-256:     ${check.info.fingerprint256}\n`,
    );
    if (command.trust) out(trustInstructions(check.certificatePath, io.platform));
    return ExitCode.Success;
  }

  const result = await createDevelopmentCertificate({ directory });
  if (result.created) {
    if (result.previous !== "missing") out(`Replacing the ${result.previous} HTTPS development certificate: ${result.previousReason}\n`);
    out(`The HTTPS development certificate was generated successfully.\n  Certificate: ${result.certificatePath}\n  Key:         ${result.keyPath}\n`);
  } else {
    out(`A valid HTTPS development certificate is already present.\n  Certificate: ${result.certificatePath}\n  Key:         ${result.keyPath}\n`);
  }

  if (command.exportPath !== undefined) {
    const includePrivateKey = command.password !== undefined || command.noPassword;
    const exported = await exportDevelopmentCertificate(command.exportPath, {
      format: command.format,
      password: command.password,
      includePrivateKey,
      directory,
    });
    if (exported.keyPath !== undefined) {
      const protection = command.password === undefined ? "not encrypted" : "encrypted with the password";
      out(`Exported the certificate to ${exported.path} and its private key to ${exported.keyPath} (${protection}).\n`);
    } else if (includePrivateKey) {
      out(`Exported the certificate and its private key to ${exported.path} (${command.format}, password-protected).\n`);
    } else {
      out(
        `Exported the certificate, without its private key, to ${exported.path} (${command.format}).\n` +
          "Pass --password (or --no-password with --format Pem) to include the private key.\n",
      );
    }
  }

  if (command.trust) out(trustInstructions(result.certificatePath, io.platform));
  return ExitCode.Success;
}

/**
 * Runs `x-dev-certs` with `argv` (without the node and script paths) and
 * returns the exit code. Never throws and never prints a stack trace: a
 * failure is one line on stderr and exit code 3.
 *
 * @example
 * process.exitCode = await runDevCerts(process.argv.slice(2));
 */
export async function runDevCerts(argv: readonly string[], io: DevCertsIo = processIo): Promise<number> {
  try {
    const parsed = parseDevCertsArguments(argv);
    if (parsed.kind === "help") {
      io.stdout(USAGE);
      return ExitCode.Success;
    }
    if (parsed.kind === "usage-error") {
      io.stderr(`x-dev-certs: ${oneLine(parsed.message)}\n\n${USAGE}`);
      return ExitCode.UsageError;
    }
    return await runHttps(parsed, io);
  } catch (error) {
    io.stderr(`x-dev-certs: ${oneLine(error)}\n`);
    return ExitCode.Failure;
  }
}
