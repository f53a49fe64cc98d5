/**
 * Test-only plumbing for the packages' README-example tests, which keep each
 * README's usage example and the code from drifting apart: a test holds the
 * example as a constant, checks it equals the README's block
 * ({@link readmeBlock}), rewrites what must differ in a test (imports of the
 * package under test, fixed ports, probes) with replacements that fail loudly
 * when the example no longer contains what they replace ({@link substitute},
 * {@link substituteOnce}, {@link sourceImport}), and runs it for real
 * ({@link runModule}). Private to the workspace, never published.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The line that marks a README's tested example: the code block right after it. */
export const README_EXAMPLE_MARKER = "<!-- readme-example -->";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The code block right after the `marker` line in the README at `readmeUrl`:
 * the lines between its opening "```" + `lang` fence and its closing "```"
 * fence, each ending with "\n" (CRLF line ends are read as LF). Throws when
 * the README has no such block.
 *
 * @param readmeUrl the README, e.g. `new URL("../README.md", import.meta.url)`
 * @param lang the block's language tag, exactly: "ts", "js", ...
 * @param marker the line that stands right before the block
 */
export function readmeBlock(readmeUrl: URL, lang = "ts", marker = README_EXAMPLE_MARKER): string {
  const readme = readFileSync(readmeUrl, "utf8").replace(/\r\n/g, "\n");
  const block = new RegExp(`${escapeRegExp(marker)}\\n\`\`\`${escapeRegExp(lang)}\\n([\\s\\S]*?\\n)\`\`\`(?:\\n|$)`).exec(readme);
  if (block === null) throw new Error(`${fileURLToPath(readmeUrl)} has no \`\`\`${lang} block right after ${marker}`);
  return block[1]!;
}

/**
 * Writes `code` to a file named `readme-example.tmp-<uuid>.ts` in the folder
 * of `besideUrl` (pass the test's `import.meta.url`, so the code's relative
 * imports and package imports resolve as they do from the test), imports it
 * (vitest compiles the TypeScript) and always deletes the file, whether the
 * import succeeds or throws. Resolves with the module's exports once its
 * top-level code (including top-level `await`) has finished.
 */
export async function runModule<T = Record<string, unknown>>(code: string, besideUrl: string | URL): Promise<T> {
  const file = fileURLToPath(new URL(`./readme-example.tmp-${randomUUID()}.ts`, besideUrl));
  writeFileSync(file, code);
  try {
    return (await import(/* @vite-ignore */ file)) as T;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * `code` with every occurrence of `search` replaced by `replacement`; throws
 * when `code` does not contain `search` at all, so a replacement cannot
 * silently stop applying when the example changes.
 */
export function substitute(code: string, search: string, replacement: string): string {
  if (!code.includes(search)) throw new Error(`the README example no longer contains ${JSON.stringify(search)}`);
  return code.replaceAll(search, replacement);
}

/**
 * `code` with `search` replaced by `replacement`; throws unless `code`
 * contains `search` exactly once, so the replacement can neither silently
 * stop applying nor hit a second place it was not meant for.
 */
export function substituteOnce(code: string, search: string, replacement: string): string {
  const at = code.indexOf(search);
  if (at < 0 || code.indexOf(search, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(search)} in the README example`);
  return code.slice(0, at) + replacement + code.slice(at + search.length);
}

/**
 * `code` with its import of `packageName` (`from "<packageName>"`, exactly
 * once) turned into an import of the source file at `sourceUrl` by absolute
 * path, so the example runs against the sources rather than the build, e.g.
 * `sourceImport(EXAMPLE, "@x/http1", new URL("../src/index.ts", import.meta.url))`.
 */
export function sourceImport(code: string, packageName: string, sourceUrl: URL): string {
  return substituteOnce(code, `from ${JSON.stringify(packageName)}`, `from ${JSON.stringify(fileURLToPath(sourceUrl))}`);
}
