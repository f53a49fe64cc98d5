/**
 * Per-connection string reuse (Kestrel's, which its `DisableStringReuse`
 * option turns off). A keep-alive client sends the same request line and
 * mostly the same header lines on every request; when a line's bytes equal
 * the previous request's line at the same position, its strings are reused:
 * no allocation, and no second validation of bytes already validated.
 *
 * Reuse never crosses connections, so one client cannot observe another's strings.
 *
 * @module
 */

/** Lines beyond this position or length are not cached: they rarely repeat and would cost memory. */
const MAX_LINES = 24;
const MAX_LINE_BYTES = 512;

export class LineCache {
  readonly #bytes: Array<Buffer | undefined> = [];
  readonly #first: string[] = [];
  readonly #second: string[] = [];

  /** True when `buf[start, end)` equals the line cached at `index`. */
  matches(index: number, buf: Buffer, start: number, end: number): boolean {
    const cached = this.#bytes[index];
    const length = end - start;
    if (cached === undefined || cached.length !== length) return false;
    for (let i = 0; i < length; i++) if (cached[i] !== buf[start + i]) return false;
    return true;
  }

  /** The first string parsed from the cached line (method, or header name). */
  first(index: number): string {
    return this.#first[index]!;
  }

  /** The second string parsed from the cached line (target, or header value). */
  second(index: number): string {
    return this.#second[index]!;
  }

  store(index: number, buf: Buffer, start: number, end: number, first: string, second: string): void {
    if (index >= MAX_LINES || end - start > MAX_LINE_BYTES) return;
    this.#bytes[index] = Buffer.from(buf.subarray(start, end));
    this.#first[index] = first;
    this.#second[index] = second;
  }
}
