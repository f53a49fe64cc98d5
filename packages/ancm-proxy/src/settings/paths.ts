/**
 * `%NAME%` expansion and the path rules of `processPath`, `stdoutLogFile`
 * and `debugFile`.
 *
 * @module
 */
import path from "node:path";

/**
 * Expands `%NAME%` references the way IIS expands `expanded="true"`
 * attributes (`ExpandEnvironmentStrings`): the name is looked up exactly
 * first, then case-insensitively (Windows names are case-insensitive, so
 * Azure's `%home%` finds `HOME`); unknown names, `%%` and a lone `%` are left
 * as they are.
 */
export function expandEnvironmentVariables(value: string, env: NodeJS.ProcessEnv): string {
  if (!value.includes("%")) return value;
  return value.replace(/%([^%]+)%/g, (whole, name: string) => {
    const found = lookupEnvironment(env, name);
    return found === undefined ? whole : found;
  });
}

/** `env[name]`, else the first entry whose name matches ignoring case. */
export function lookupEnvironment(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (Object.hasOwn(env, name) && env[name] !== undefined) return env[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(env)) {
    if (key.toLowerCase() === lower && env[key] !== undefined) return env[key];
  }
  return undefined;
}

/** Drops a Win32 long-path prefix: `\\?\C:\x` → `C:\x`, `\\?\UNC\server\share` → `\\server\share` (either slash). */
export function stripLongPathPrefix(value: string): string {
  const unc = /^[\\/]{2}\?[\\/]UNC[\\/]/i.exec(value);
  if (unc !== null) return `\\\\${value.slice(unc[0].length)}`;
  const plain = /^[\\/]{2}\?[\\/]/.exec(value);
  if (plain !== null) return value.slice(plain[0].length);
  return value;
}

/**
 * A path from the settings made absolute: the long-path prefix stripped,
 * backslashes turned into `/` on POSIX (both work on Windows), then resolved
 * against the site root unless already absolute (`.\logs\stdout` →
 * `{siteRoot}/logs/stdout`). A trailing separator is kept, since
 * `stdoutLogFile` is a prefix (`.\logs\` names a folder).
 */
export function resolveSitePath(value: string, siteRoot: string): string {
  let p = stripLongPathPrefix(value);
  if (path.sep === "/") p = p.replace(/\\/g, "/");
  const trailing = /[\\/]$/.test(p);
  const resolved = path.resolve(siteRoot, p);
  return trailing && !resolved.endsWith(path.sep) ? resolved + path.sep : resolved;
}

/**
 * `processPath` after expansion: a value with `/` or `\`, or starting with
 * `.`, is a path (resolved by {@link resolveSitePath}); anything else is a bare
 * command (`node`, `dotnet`) left for PATH lookup.
 */
export function resolveProcessPath(value: string, siteRoot: string): string {
  const p = stripLongPathPrefix(value);
  if (p.includes("/") || p.includes("\\") || p.startsWith(".")) return resolveSitePath(p, siteRoot);
  return p;
}
