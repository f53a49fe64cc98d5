/**
 * HPACK (RFC 7541) for one connection: a decoder for request header blocks
 * and an encoder for response ones.
 *
 * From hpack.js we take the static table (Appendix A), the Huffman code
 * (Appendix B) and its header table object (dynamic entries, sizes,
 * eviction). Its stream-based `Decompressor` is not used: it materialises
 * every field of a block before anyone can look at them (an "HPACK bomb" of
 * indexed references to one large entry would allocate without bound), it
 * accepts a table size update anywhere in a block, and it reports every
 * error as a plain `Error`. The decoding loop (§6), integers (§5.1), strings
 * and Huffman (§5.2) are therefore implemented here, with every limit applied
 * field by field, before a string is materialised. Its `Compressor` is not
 * used either: it signals a table size update only when the size grows (a
 * smaller size is applied silently, desynchronising the peer), and always
 * Huffman-codes even when that is longer.
 *
 * Strings are latin1: one char per octet, as received (RFC 9113 §8.2.1 leaves
 * field validation to the layer above).
 *
 * @module
 */
import hpack from "hpack.js";
import { ErrorCode, Http2ConnectionError } from "./frame-types.js";

/** One header field as decoded or to encode; names are lower-case on the wire (RFC 9113 §8.2). */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** The per-entry overhead counted in table and header list sizes (RFC 7541 §4.1, RFC 9113 §6.5.2). */
export const ENTRY_OVERHEAD = 32;
/** Our encoder never uses a dynamic table above this size, whatever the peer allows. */
export const ENCODER_MAX_TABLE_SIZE = 4096;

const STATIC_TABLE = hpack["static-table"].table;
const HUFFMAN_CODES = hpack.huffman.encode;
const STATIC_NAMES = hpack["static-table"].map;
const EOS = 256;
const EMPTY = Buffer.alloc(0);
const MAX_SCRATCH = 4096;
/** Integers above this are refused (no index, length or size of ours comes close). */
const MAX_INTEGER = 2 ** 31 - 1;

/**
 * Thrown by `HpackDecoder.decode` when the decoded header list exceeds
 * `maxHeaderListSize` or one field exceeds `maxFieldSize`. The whole block
 * was still processed, so the dynamic table is consistent and the connection
 * can go on (answer 431 or reset only that stream).
 */
export class HeaderListTooLargeError extends Error {
  /** Which bound was crossed first. */
  readonly reason: "list" | "field";
  /** The whole list's size (name + value + 32 per field), counted without materialising it. */
  readonly size: number;
  /** The limit crossed, in octets. */
  readonly limit: number;
  /** Fields materialised before the bound was crossed (the rest were only measured). */
  readonly fieldsDecoded: number;
  /** Those fields (pseudo-headers come first, so a rejected request can still be logged by method and path). */
  readonly decodedFields: readonly HeaderField[];

  /** `reason` says whether the whole list or one field crossed `limit`; `size` is the size reached. */
  constructor(reason: "list" | "field", size: number, limit: number, fieldsDecoded: number, decodedFields: readonly HeaderField[] = []) {
    super(reason === "list" ? `header list of ${size} octets exceeds ${limit}` : `a header field exceeds ${limit} octets`);
    this.name = "HeaderListTooLargeError";
    this.reason = reason;
    this.size = size;
    this.limit = limit;
    this.fieldsDecoded = fieldsDecoded;
    this.decodedFields = decodedFields;
  }
}

function compressionError(message: string): Http2ConnectionError {
  return new Http2ConnectionError(ErrorCode.COMPRESSION_ERROR, message);
}

// ---- Huffman (RFC 7541 §5.2, Appendix B) ---------------------------------------------------

/**
 * The decoding tree built from hpack.js's code table: node n's children are
 * `HUFFMAN_TREE[2n]` (bit 0) and `[2n + 1]` (bit 1); a child >= 0 is a node,
 * a negative one is the leaf of symbol `-child - 1`. The code is complete, so
 * every node has both children.
 */
const HUFFMAN_TREE = buildHuffmanTree();

function buildHuffmanTree(): Int32Array {
  const tree = new Int32Array(2 * HUFFMAN_CODES.length).fill(0);
  let nodes = 1;
  for (let symbol = 0; symbol < HUFFMAN_CODES.length; symbol++) {
    const [bits, code] = HUFFMAN_CODES[symbol]!;
    let node = 0;
    for (let i = bits - 1; i > 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (tree[slot] === 0) tree[slot] = nodes++;
      node = tree[slot]!;
    }
    tree[2 * node + (code & 1)] = -symbol - 1;
  }
  return tree;
}

/**
 * Decodes `src[start, end)`, writing up to `limit` octets to `out` (none when
 * null) and counting all of them. Throws COMPRESSION_ERROR for EOS in the data
 * and for padding longer than 7 bits or not all ones (§5.2).
 * @returns the decoded length.
 */
function huffmanDecode(src: Buffer, start: number, end: number, out: Buffer | null, limit: number): number {
  let node = 0;
  let depth = 0;
  let ones = true;
  let count = 0;
  for (let i = start; i < end; i++) {
    const octet = src[i]!;
    for (let shift = 7; shift >= 0; shift--) {
      const bit = (octet >>> shift) & 1;
      const next = HUFFMAN_TREE[2 * node + bit]!;
      depth++;
      if (bit === 0) ones = false;
      if (next >= 0) {
        node = next;
        continue;
      }
      const symbol = -next - 1;
      if (symbol === EOS) throw compressionError("Huffman string contains EOS");
      if (out !== null && count < limit) out[count] = symbol;
      count++;
      node = 0;
      depth = 0;
      ones = true;
    }
  }
  if (depth > 7) throw compressionError("Huffman padding longer than 7 bits");
  if (!ones) throw compressionError("Huffman padding is not the EOS prefix");
  return count;
}

/** Octets `s` takes Huffman-coded. */
function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += HUFFMAN_CODES[s.charCodeAt(i) & 0xff]![0];
  return (bits + 7) >>> 3;
}

// ---- the decoder (RFC 7541 §3, §6) ---------------------------------------------------------

/** Options of {@link HpackDecoder}. */
export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE: the largest table size update the peer may send. */
  readonly tableSize: number;
  /** Largest decoded list: the sum of name + value + 32 per field (RFC 9113 §6.5.2). */
  readonly maxHeaderListSize: number;
  /** Largest single field: name + value octets, decoded. */
  readonly maxFieldSize: number;
}

/** A dynamic table entry, for inspection: its field and its size (name + value + 32). */
export interface TableEntryInfo extends HeaderField {
  readonly size: number;
}

function entriesOf(table: hpack.Table): TableEntryInfo[] {
  const entries: TableEntryInfo[] = [];
  for (let i = table.dynamic.length - 1; i >= 0; i--) {
    const e = table.dynamic[i]!;
    entries.push({ name: e.name, value: e.value, size: e.totalSize });
  }
  return entries;
}

/** Empties the dynamic table (§4.4: an entry larger than the table). */
function emptyTable(table: hpack.Table): void {
  table.dynamic.length = 0;
  table.size = 0;
  table.length = STATIC_TABLE.length;
}

/** HPACK decoder (RFC 7541) with its dynamic table, bounded by the header list and field size limits. */
export class HpackDecoder {
  readonly #table: hpack.Table;
  readonly #maxHeaderListSize: number;
  readonly #maxFieldSize: number;
  /** Huffman output, kept up to `MAX_SCRATCH` octets. */
  #scratch = Buffer.alloc(256);
  // The block being decoded.
  #block: Buffer = Buffer.alloc(0);
  #pos = 0;
  /** The last string read, or null when it was only measured. */
  #string: string | null = null;

  /** A decoder with the given table size and limits. */
  constructor(options: HpackDecoderOptions) {
    this.#table = hpack.table.create({ maxSize: options.tableSize });
    this.#maxHeaderListSize = options.maxHeaderListSize;
    this.#maxFieldSize = options.maxFieldSize;
  }

  /** The dynamic table, newest entry (index 62) first. */
  get dynamicTable(): TableEntryInfo[] {
    return entriesOf(this.#table);
  }

  /** The dynamic table's size in octets (§4.1). */
  get dynamicTableSize(): number {
    return this.#table.size;
  }

  /** The dynamic table's current maximum size (the last size update, initially `tableSize`). */
  get maxDynamicTableSize(): number {
    return this.#table.maxSize;
  }

  /**
   * Decodes one complete header block.
   *
   * Throws `Http2ConnectionError(COMPRESSION_ERROR)` for malformed input:
   * truncated or overflowing integers and strings, an index out of range, bad
   * Huffman, a table size update above our SETTINGS_HEADER_TABLE_SIZE or after
   * a field (§4.2, §6.3).
   *
   * Throws `HeaderListTooLargeError` when the list exceeds `maxHeaderListSize`
   * or a field exceeds `maxFieldSize`. Sizes are checked field by field before
   * strings are materialised; past the bound, fields are only measured, and
   * only strings that enter the dynamic table (bounded by its size) are built.
   * The rest of the block is still processed, so the table stays in step with
   * the peer's and the error is a stream matter (431), not a connection one.
   */
  decode(block: Buffer): HeaderField[] {
    this.#block = block;
    this.#pos = 0;
    const fields: HeaderField[] = [];
    let listSize = 0;
    let exceeded: "list" | "field" | null = null;
    let sawField = false;
    try {
      while (this.#pos < block.length) {
        const first = block[this.#pos]!;
        if ((first & 0xe0) === 0x20) {
          // §6.3: dynamic table size update, only at the start of a block (§4.2).
          if (sawField) throw compressionError("dynamic table size update after a header field");
          const size = this.#readInteger(5);
          if (size > this.#table.protocolMaxSize) throw compressionError("dynamic table size update above SETTINGS_HEADER_TABLE_SIZE");
          this.#table.updateSize(size);
          continue;
        }
        sawField = true;
        // Budget for materialising this field: what the list may still take.
        const budget = exceeded !== null ? 0 : Math.min(this.#maxFieldSize, this.#maxHeaderListSize - listSize - ENTRY_OVERHEAD);
        let name: string | null;
        let value: string | null;
        let nameLength: number;
        let valueLength: number;
        if ((first & 0x80) !== 0) {
          // §6.1: indexed field.
          const entry = this.#lookup(this.#readInteger(7));
          name = entry.name;
          value = entry.value;
          nameLength = entry.nameSize;
          valueLength = entry.totalSize - ENTRY_OVERHEAD - entry.nameSize;
        } else {
          // §6.2.1 with incremental indexing (01xxxxxx, 6-bit index); §6.2.2/§6.2.3 without
          // indexing or never indexed (0000xxxx / 0001xxxx, 4-bit index).
          const indexing = (first & 0x40) !== 0;
          const index = this.#readInteger(indexing ? 6 : 4);
          // A string that may enter the table is built if it fits the table (bounded).
          const limit = indexing ? Math.max(budget, this.#table.maxSize - ENTRY_OVERHEAD) : budget;
          if (index === 0) {
            nameLength = this.#readString(limit);
            name = this.#string;
          } else {
            const entry = this.#lookup(index);
            name = entry.name;
            nameLength = entry.nameSize;
          }
          valueLength = this.#readString(limit - nameLength);
          value = this.#string;
          if (indexing) {
            // §4.4: an entry larger than the table empties it and is not added.
            if (nameLength + valueLength + ENTRY_OVERHEAD > this.#table.maxSize) emptyTable(this.#table);
            else this.#table.add(name!, value!, nameLength, valueLength);
          }
        }
        listSize += nameLength + valueLength + ENTRY_OVERHEAD;
        if (exceeded !== null) continue;
        if (nameLength + valueLength > this.#maxFieldSize) exceeded = "field";
        else if (listSize > this.#maxHeaderListSize) exceeded = "list";
        else fields.push({ name: name!, value: value! });
      }
    } finally {
      this.#block = EMPTY;
      this.#string = null;
    }
    if (exceeded !== null) {
      const limit = exceeded === "field" ? this.#maxFieldSize : this.#maxHeaderListSize;
      throw new HeaderListTooLargeError(exceeded, listSize, limit, fields.length, fields);
    }
    return fields;
  }

  #lookup(index: number): hpack.TableEntry {
    if (index === 0) throw compressionError("header table index 0");
    if (index > this.#table.length) throw compressionError(`header table index ${index} out of range`);
    return this.#table.lookup(index);
  }

  /** §5.1: an integer with an N-bit prefix, starting at the current octet. */
  #readInteger(prefixBits: number): number {
    const block = this.#block;
    if (this.#pos >= block.length) throw compressionError("truncated integer");
    const max = (1 << prefixBits) - 1;
    let value = block[this.#pos++]! & max;
    if (value < max) return value;
    let factor = 1;
    for (let octets = 0; ; octets++) {
      if (this.#pos >= block.length) throw compressionError("truncated integer");
      // Five continuation octets carry 35 bits: anything longer is an overflow (or padding abuse).
      if (octets === 5) throw compressionError("integer overflow");
      const octet = block[this.#pos++]!;
      value += (octet & 0x7f) * factor;
      if (value > MAX_INTEGER) throw compressionError("integer overflow");
      if ((octet & 0x80) === 0) return value;
      factor *= 128;
    }
  }

  /**
   * §5.2: a string literal. Sets `#string` to it when its decoded length is at
   * most `limit`, to null otherwise (it is then only measured and validated).
   * @returns its decoded length in octets.
   */
  #readString(limit: number): number {
    const block = this.#block;
    if (this.#pos >= block.length) throw compressionError("truncated string");
    const huffman = (block[this.#pos]! & 0x80) !== 0;
    const length = this.#readInteger(7);
    const start = this.#pos;
    const end = start + length;
    if (end > block.length) throw compressionError("truncated string");
    this.#pos = end;
    if (!huffman) {
      this.#string = length <= limit ? block.toString("latin1", start, end) : null;
      return length;
    }
    // A Huffman code is at least 5 bits: the output is at most 8/5 of the input.
    const want = Math.max(0, Math.min(limit, Math.ceil((length * 8) / 5)));
    // The kept scratch grows to 4 KB at most; a rare larger string gets a buffer of its own.
    let out = this.#scratch;
    if (out.length < want) {
      out = Buffer.allocUnsafe(want);
      if (want <= MAX_SCRATCH) this.#scratch = out;
    }
    const decoded = huffmanDecode(block, start, end, out, want);
    this.#string = decoded <= limit ? out.toString("latin1", 0, decoded) : null;
    return decoded;
  }
}

// ---- the encoder (RFC 7541 §6) -------------------------------------------------------------

/** Fields whose values change per response: indexing them would only churn the table. */
const NOT_INDEXED = new Set(["content-length", "etag", "last-modified", "content-range", "location", "age", ":path"]);
/** Sensitive fields: never indexed, here or by an intermediary (§6.2.3, §7.1.3). */
const NEVER_INDEXED = new Set(["set-cookie", "cookie", "authorization", "proxy-authorization"]);

/** A growable output buffer for one header block. */
class BlockWriter {
  buf = Buffer.allocUnsafe(256);
  length = 0;

  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < this.length + n) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** §5.1: `value` with an N-bit prefix; `flags` are the octet's bits above the prefix. */
  integer(flags: number, prefixBits: number, value: number): void {
    this.ensure(6);
    const max = (1 << prefixBits) - 1;
    if (value < max) {
      this.buf[this.length++] = flags | value;
      return;
    }
    this.buf[this.length++] = flags | max;
    value -= max;
    while (value >= 128) {
      this.buf[this.length++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.length++] = value;
  }

  /** §5.2: a string literal, Huffman-coded when that is shorter. */
  string(s: string): void {
    const coded = huffmanLength(s);
    if (coded < s.length) {
      this.integer(0x80, 7, coded);
      this.ensure(coded);
      this.#huffman(s);
    } else {
      this.integer(0, 7, s.length);
      this.ensure(s.length);
      this.length += this.buf.write(s, this.length, "latin1");
    }
  }

  #huffman(s: string): void {
    const buf = this.buf;
    let at = this.length;
    let pending = 0;
    let pendingBits = 0;
    for (let i = 0; i < s.length; i++) {
      const [bits, code] = HUFFMAN_CODES[s.charCodeAt(i) & 0xff]!;
      let left = bits;
      while (left > 0) {
        const take = Math.min(8 - pendingBits, left);
        pending = (pending << take) | ((code >>> (left - take)) & ((1 << take) - 1));
        pendingBits += take;
        left -= take;
        if (pendingBits === 8) {
          buf[at++] = pending;
          pending = 0;
          pendingBits = 0;
        }
      }
    }
    // §5.2: pad with the most significant bits of EOS (all ones).
    if (pendingBits > 0) buf[at++] = (pending << (8 - pendingBits)) | ((1 << (8 - pendingBits)) - 1);
    this.length = at;
  }
}

/** HPACK encoder (RFC 7541) for response headers, with its dynamic table. */
export class HpackEncoder {
  readonly #table = hpack.table.create({ maxSize: ENCODER_MAX_TABLE_SIZE });
  /** Table size changes to signal at the start of the next block: the smallest, then the last (§4.2). */
  #pendingMin: number | null = null;
  #pendingFinal: number | null = null;

  /** The dynamic table, newest entry first (for tests and diagnostics). */
  get dynamicTable(): TableEntryInfo[] {
    return entriesOf(this.#table);
  }

  /** The dynamic table's size, in octets (entries' name + value + 32). */
  get dynamicTableSize(): number {
    return this.#table.size;
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE changed: the table is limited to it
   * (and to `ENCODER_MAX_TABLE_SIZE`) from the next block, which starts with
   * a dynamic table size update (RFC 7541 §4.2, §6.3; RFC 9113 §4.3.1).
   */
  setMaxTableSize(size: number): void {
    const effective = Math.min(size, ENCODER_MAX_TABLE_SIZE);
    const current = this.#pendingFinal ?? this.#table.maxSize;
    if (effective === current && this.#pendingMin === null) return;
    this.#pendingMin = Math.min(this.#pendingMin ?? effective, effective);
    this.#pendingFinal = effective;
  }

  /** Encodes one header block (response headers or trailers; names already lower-case). */
  encode(fields: ReadonlyArray<HeaderField>): Buffer {
    const out = new BlockWriter();
    const table = this.#table;
    if (this.#pendingFinal !== null) {
      const min = this.#pendingMin!;
      const final = this.#pendingFinal;
      if (min < final) {
        out.integer(0x20, 5, min);
        table.updateSize(min);
      }
      out.integer(0x20, 5, final);
      table.updateSize(final);
      this.#pendingMin = null;
      this.#pendingFinal = null;
    }
    for (const { name, value } of fields) {
      const never = NEVER_INDEXED.has(name);
      const match = this.#find(name, value, never);
      if (match > 0) {
        // §6.1: the whole field is in the table.
        out.integer(0x80, 7, match);
        continue;
      }
      const nameIndex = -match;
      const size = name.length + value.length + ENTRY_OVERHEAD;
      if (never) out.integer(0x10, 4, nameIndex);
      else if (!NOT_INDEXED.has(name) && size <= table.maxSize) {
        out.integer(0x40, 6, nameIndex);
        table.add(name, value, name.length, value.length);
      } else out.integer(0x00, 4, nameIndex);
      if (nameIndex === 0) out.string(name);
      out.string(value);
    }
    return out.buf.subarray(0, out.length);
  }

  /**
   * The index of `name: value` (> 0), else minus the index of `name` (< 0), else 0.
   * Not hpack.js's `reverseLookup`: it reads its static map without an own-property
   * check, so a field named `constructor` or `__proto__` would throw.
   */
  #find(name: string, value: string, nameOnly: boolean): number {
    const staticEntry = Object.hasOwn(STATIC_NAMES, name) ? STATIC_NAMES[name]! : undefined;
    if (!nameOnly && staticEntry !== undefined && Object.hasOwn(staticEntry.values, value)) return staticEntry.values[value]!;
    // Newest dynamic entries first: they have the lowest indexes.
    const dynamic = this.#table.dynamic;
    let nameMatch = staticEntry === undefined ? 0 : -staticEntry.index;
    for (let i = dynamic.length - 1, index = STATIC_TABLE.length + 1; i >= 0; i--, index++) {
      const entry = dynamic[i]!;
      if (entry.name !== name) continue;
      if (!nameOnly && entry.value === value) return index;
      if (nameMatch === 0) nameMatch = -index;
    }
    return nameMatch;
  }
}
