/**
 * Walking the configuration tree: merging child keys across providers and
 * listing entries (.NET `InternalConfigurationRootExtensions.GetChildrenImplementation`
 * and `ConfigurationExtensions.AsEnumerable`).
 *
 * @module
 */
import type { ConfigurationSection } from "./configuration.js";
import { combinePath, normalizeKey } from "./configuration-path.js";
import type { ConfigurationRoot } from "./configuration-root.js";

/**
 * The sections directly under `path` (`undefined` for the top level). Each
 * provider adds its keys after the previous ones and sorts; duplicates are
 * then dropped ignoring case, keeping the first, so the earliest provider's
 * spelling of a key wins (.NET leaves that choice to an unstable sort).
 */
export function getChildSections(root: ConfigurationRoot, path: string | undefined): ConfigurationSection[] {
  let keys: string[] = [];
  for (const provider of root.providers) keys = provider.getChildKeys(keys, path);
  const seen = new Set<string>();
  const sections: ConfigurationSection[] = [];
  for (const key of keys) {
    const normalized = normalizeKey(key);
    if (seen.has(normalized)) continue;
    seen.add(normalized);
    sections.push(root.getSection(path === undefined ? key : combinePath(path, key)));
  }
  return sections;
}

/** `[path, value]` for every section with a value in the given subtrees, depth first. */
export function collectEntries(sections: readonly ConfigurationSection[]): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const visit = (section: ConfigurationSection): void => {
    const value = section.value;
    if (value !== undefined) entries.push([section.path, value]);
    for (const child of section.getChildren()) visit(child);
  };
  for (const section of sections) visit(section);
  return entries;
}
