/**
 * The `x-dev-certs` command line, parsed with node:util `parseArgs`: the
 * options of `dotnet dev-certs https`, including its two-letter short forms
 * (`-ep`, `-np`), which are mapped to their long names first.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type DevelopmentCertificateFormat, pemKeyPath } from "./export.js";

/** What `x-dev-certs https ...` was asked to do. */
export interface HttpsCommand {
  readonly kind: "https";
  readonly check: boolean;
  readonly clean: boolean;
  readonly trust: boolean;
  readonly quiet: boolean;
  readonly exportPath?: string;
  readonly format: DevelopmentCertificateFormat;
  readonly password?: string;
  readonly noPassword: boolean;
}

/** The parsed command line: a command, a request for help, or a usage error. */
export type DevCertsArguments = HttpsCommand | { readonly kind: "help" } | { readonly kind: "usage-error"; readonly message: string };

/** The usage text printed by `--help` and after a usage error. */
export const USAGE = `Usage: x-dev-certs https [options]

Creates, checks, exports or removes the HTTPS development certificate
(CN=localhost; SANs DNS:localhost, IP:127.0.0.1, IP:::1), kept in
$X_DEV_CERTS_HOME or ~/.x/dev-certs/https as localhost.pem and localhost.key.
Without options: creates it unless a valid one is already present.

Options:
  -c,  --check               Check for a valid certificate; do not create one.
                             Exit code 0 when valid, 1 otherwise.
       --clean               Remove the certificate and its key.
  -ep, --export-path <path>  Export the certificate (created first if needed).
       --format <Pem|Pfx>    Export format (default Pfx). Pem writes the key
                             next to <path> with the .key extension.
  -p,  --password <password> Protect the exported private key (Pfx bundle or
                             encrypted PEM key). Without --password only the
                             certificate is exported.
  -np, --no-password         Export the PEM private key unencrypted (Pem only).
  -t,  --trust               Explain how to trust the certificate here.
  -q,  --quiet               Print errors only.
  -h,  --help                Show this help.

Exit codes: 0 success, 1 no valid certificate (--check), 2 usage error,
3 other failure.
`;

const TWO_LETTER_SHORTS: Readonly<Record<string, string>> = { "-ep": "--export-path", "-np": "--no-password" };

const OPTIONS = {
  check: { type: "boolean", short: "c" },
  clean: { type: "boolean" },
  "export-path": { type: "string" },
  format: { type: "string" },
  password: { type: "string", short: "p" },
  "no-password": { type: "boolean" },
  trust: { type: "boolean", short: "t" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

function parseFormat(value: string | undefined): DevelopmentCertificateFormat | undefined {
  if (value === undefined) return "Pfx";
  const lower = value.toLowerCase();
  return lower === "pem" ? "Pem" : lower === "pfx" ? "Pfx" : undefined;
}

function usageError(message: string): DevCertsArguments {
  return { kind: "usage-error", message };
}

/**
 * Parses `argv` (without the node and script paths). Never throws: a bad
 * command line comes back as `usage-error` with a one-line message.
 *
 * @example
 * parseDevCertsArguments(["https", "-ep", "out/cert.pfx", "-p", "secret"]);
 */
export function parseDevCertsArguments(argv: readonly string[]): DevCertsArguments {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    const args = argv.map((arg) => TWO_LETTER_SHORTS[arg] ?? arg);
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (positionals.length === 0) return usageError("Missing command: https");
  if (positionals[0] !== "https") return usageError(`Unknown command '${positionals[0]}'`);
  if (positionals.length > 1) return usageError(`Unexpected argument '${positionals[1]}'`);

  const format = parseFormat(values.format);
  if (format === undefined) return usageError(`Unknown format '${values.format}' (expected Pem or Pfx)`);
  const exportPath = values["export-path"];
  const check = values.check === true;
  const clean = values.clean === true;
  const trust = values.trust === true;
  const noPassword = values["no-password"] === true;
  if (exportPath === "") return usageError("--export-path needs a file path");
  if (clean && (check || trust || exportPath !== undefined)) return usageError("--clean cannot be combined with --check, --trust or --export-path");
  if (check && exportPath !== undefined) return usageError("--check cannot be combined with --export-path");
  if (exportPath === undefined) {
    const stray = ["format", "password", "no-password"].find((name) => values[name as keyof typeof values] !== undefined);
    if (stray !== undefined) return usageError(`--${stray} applies to --export-path only`);
  }
  if (noPassword && values.password !== undefined) return usageError("--no-password cannot be combined with --password");
  if (noPassword && format !== "Pem") return usageError("--no-password applies to --format Pem only");
  const withKey = noPassword || values.password !== undefined;
  if (exportPath !== undefined && format === "Pem" && withKey && pemKeyPath(exportPath) === exportPath) {
    return usageError(`--export-path '${exportPath}' would be overwritten by the key file; use a .pem or .crt extension`);
  }
  return { kind: "https", check, clean, trust, quiet: values.quiet === true, exportPath, format, password: values.password, noPassword };
}
