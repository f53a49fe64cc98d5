/**
 * `arguments` split into argv the way Windows' `CommandLineToArgvW` splits a
 * command line after the program name.
 *
 * @module
 */
import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * Splits a command line into arguments with `CommandLineToArgvW`'s rules:
 *
 * - spaces and tabs outside double quotes separate arguments;
 * - a double quote starts or ends a quoted run (and is dropped), so `"a b"` is one argument and `""` an empty one;
 * - `2n` backslashes before a quote become `n` backslashes and the quote still toggles;
 *   `2n+1` backslashes before a quote become `n` backslashes and a literal `"` (so `\"` is a quote);
 * - backslashes not followed by a quote are kept as they are (`C:\dir\app.dll`);
 * - inside a quoted run, a doubled quote (`""`) gives a literal `"` and ends the run
 *   (three quotes in a row give one literal quote and keep the run open).
 */
export function splitArguments(args: string): string[] {
  const argv: string[] = [];
  let current = "";
  let started = false; // an argument (possibly empty) is being built
  let quoteCount = 0; // 0: outside quotes, 1: inside a quoted run
  let backslashes = 0;
  let i = 0;
  const n = args.length;
  const isBlank = (c: string | undefined) => c === " " || c === "\t";

  while (i < n && isBlank(args[i])) i++;
  while (i < n) {
    const c = args[i]!;
    if (isBlank(c) && quoteCount === 0) {
      argv.push(current);
      current = "";
      started = false;
      backslashes = 0;
      while (i < n && isBlank(args[i])) i++;
      continue;
    }
    started = true;
    if (c === "\\") {
      current += c;
      backslashes++;
      i++;
      continue;
    }
    if (c === '"') {
      if (backslashes % 2 === 0) {
        // Even: half the backslashes stay, the quote toggles (and is dropped).
        current = current.slice(0, current.length - backslashes / 2);
        quoteCount++;
      } else {
        // Odd: half the backslashes stay, followed by a literal quote.
        current = current.slice(0, current.length - (backslashes + 1) / 2) + '"';
      }
      backslashes = 0;
      i++;
      // Consecutive quotes: every third one is a literal quote.
      while (i < n && args[i] === '"') {
        if (++quoteCount === 3) {
          current += '"';
          quoteCount = 0;
        }
        i++;
      }
      if (quoteCount === 2) quoteCount = 0;
      continue;
    }
    current += c;
    backslashes = 0;
    i++;
  }
  if (started || quoteCount !== 0) argv.push(current);
  return argv;
}

/**
 * A `web.config` brought from Windows names files with backslashes
 * (`arguments=".\app.js"`, `dist\server.js`, `--config=.\app.json`). On
 * POSIX, an argument (or the value of a `--name=value` argument) is read as
 * a site path when it has a backslash and, with `\` read as `/`, names a file
 * or folder that exists inside the site: it becomes that path with `/`
 * (`./app.js`, `dist/server.js`). Anything else is left as it is: options,
 * URLs, absolute Windows paths (`C:\...`), backslashes that name nothing in
 * the site. On Windows nothing changes.
 */
export function translateWindowsPathArguments(argv: readonly string[], siteRoot: string, exists: (absolutePath: string) => boolean, separator = sep): string[] {
  if (separator !== "/") return [...argv];
  return argv.map((arg) => {
    const eq = arg.startsWith("-") ? arg.indexOf("=") : -1;
    if (eq >= 0) return arg.slice(0, eq + 1) + translateOne(arg.slice(eq + 1), siteRoot, exists);
    return translateOne(arg, siteRoot, exists);
  });
}

function translateOne(value: string, siteRoot: string, exists: (absolutePath: string) => boolean): string {
  if (!value.includes("\\") || /^[a-zA-Z]:/.test(value) || value.startsWith("\\\\") || value.includes("://")) return value;
  const posix = value.replace(/\\/g, "/");
  const absolute = resolve(siteRoot, posix);
  // Only inside the site: a path that climbs out of it is not ours to rewrite.
  const inside = relative(siteRoot, absolute);
  if (inside.startsWith("..") || isAbsolute(inside)) return value;
  return exists(absolute) ? posix : value;
}
