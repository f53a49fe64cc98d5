/**
 * A view of one path in a {@link ConfigurationRoot} (.NET `ConfigurationSection`).
 * It holds no data: every read goes to the root, so a section obtained
 * before a reload sees the new values.
 *
 * @module
 */
import type { ConfigurationSection } from "./configuration.js";
import { collectEntries, getChildSections } from "./configuration-children.js";
import { combinePath, getSectionKey } from "./configuration-path.js";
import type { ConfigurationRoot } from "./configuration-root.js";

export class RootConfigurationSection implements ConfigurationSection {
  readonly #root: ConfigurationRoot;
  readonly path: string;
  readonly key: string;

  constructor(root: ConfigurationRoot, path: string) {
    this.#root = root;
    this.path = path;
    this.key = getSectionKey(path);
  }

  get value(): string | undefined {
    return this.#root.get(this.path);
  }

  set value(value: string | undefined) {
    this.#root.set(this.path, value);
  }

  get(key: string): string | undefined {
    return this.#root.get(combinePath(this.path, key));
  }

  set(key: string, value: string | undefined): void {
    this.#root.set(combinePath(this.path, key), value);
  }

  getSection(key: string): ConfigurationSection {
    return this.#root.getSection(combinePath(this.path, key));
  }

  getChildren(): ConfigurationSection[] {
    return getChildSections(this.#root, this.path);
  }

  exists(): boolean {
    return this.value !== undefined || this.getChildren().length > 0;
  }

  asEntries(): Array<[string, string]> {
    return collectEntries([this]);
  }

  /** Changes are tracked for the whole root, as .NET sections share the root's reload token. */
  onChange(callback: () => void): () => void {
    return this.#root.onChange(callback);
  }
}
