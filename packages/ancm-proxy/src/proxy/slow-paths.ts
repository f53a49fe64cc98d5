/**
 * Which request paths the app has recently been slow to answer, so that the
 * pool stops pipelining them: a request pipelined behind a slow one waits
 * for it (head-of-line blocking, RFC 9112 §9.3.2), and the patience that
 * moves such requests elsewhere only bounds that wait. A path is marked
 * when a response to it outlasted the patience while others waited behind
 * it; for a while after, requests to it go on connections of their own and
 * other paths keep batching. Only that event marks a path, not a latency
 * threshold: under load every response slows down, and turning batching
 * off then would cost the most CPU exactly when there is none to spare.
 * Paths are compared without their query, which is how routes usually
 * differ in cost.
 *
 * @module
 */

/**
 * How long a mark keeps a path out of batches; then one batch tries it
 * again. Short, so that a mark that load alone caused costs little.
 */
export const SLOW_PATH_MEMORY_MS = 2_000;
/** The most paths remembered; the oldest mark goes first when a new path is full. */
export const MAX_SLOW_PATHS = 1_024;

export class SlowPaths {
  /** Path → until when it stays out of batches. */
  readonly #until = new Map<string, number>();

  /** Whether requests to `target` (origin-form, query allowed) should have a connection of their own at `now`. */
  isSlow(target: string, now: number): boolean {
    if (this.#until.size === 0) return false;
    const path = pathOf(target);
    const until = this.#until.get(path);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#until.delete(path);
    return false;
  }

  /** Marks `target`'s path slow from `now` on (a batch had to be moved off it). */
  mark(target: string, now: number): void {
    const path = pathOf(target);
    // Re-inserted, so the map's order stays oldest mark first.
    this.#until.delete(path);
    if (this.#until.size >= MAX_SLOW_PATHS) this.#until.delete(this.#until.keys().next().value as string);
    this.#until.set(path, now + SLOW_PATH_MEMORY_MS);
  }

  /** The number of paths remembered. */
  get size(): number {
    return this.#until.size;
  }
}

function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}
