/**
 * The part of hpack.js (2.1.x, CommonJS, no types of its own) that `hpack.ts`
 * uses: the RFC 7541 static table, the Huffman code table and the table
 * object (static + dynamic, with eviction). Its stream-based compressor and
 * decompressor are not used (see `hpack.ts`).
 */
declare module "hpack.js" {
  namespace hpack {
    /** A table entry; sizes are in octets, `totalSize` = name + value + 32 (RFC 7541 §4.1). */
    interface TableEntry {
      name: string;
      value: string;
      nameSize: number;
      totalSize: number;
    }

    interface StaticTable {
      /** The 61 entries of RFC 7541 Appendix A; index i + 1 is `table[i]`. */
      table: TableEntry[];
      /** Name → its first index and the index of each value it has in the table. */
      map: Record<string, { index: number; values: Record<string, number> }>;
    }

    interface TableOptions {
      /** The maximum size in octets (the README's `size` is wrong: it is ignored). */
      maxSize: number;
      /** How many dynamic entries `reverseLookup` searches (default 32). */
      lookupDepth?: number;
    }

    /** The header table of RFC 7541 §2.3: static entries, then dynamic ones. */
    interface Table {
      /** Dynamic entries, oldest first (the newest has the lowest index). */
      dynamic: TableEntry[];
      /** Current dynamic table size in octets. */
      size: number;
      /** Current maximum size (changed by `updateSize`). */
      maxSize: number;
      /** The bound for `updateSize` (the `maxSize` option). */
      protocolMaxSize: number;
      /** Static plus dynamic entry count: the highest valid index. */
      length: number;
      /** Throws a plain `Error` for 0 or an index past `length`. */
      lookup(index: number): TableEntry;
      /** > 0: index of the whole field; < 0: minus the index of a name-only match; 0: none. */
      reverseLookup(name: string, value: string): number;
      /** Adds an entry and evicts until the size fits (an entry larger than the table empties it). */
      add(name: string, value: string, nameSize: number, valueSize: number): void;
      evict(): void;
      /** Sets `maxSize` and evicts; throws a plain `Error` above `protocolMaxSize`. */
      updateSize(size: number): void;
    }
  }

  const hpack: {
    "static-table": hpack.StaticTable;
    huffman: {
      /** Code of each symbol 0..256 (256 is EOS) as [bit length, code] (RFC 7541 Appendix B). */
      encode: Array<[bits: number, code: number]>;
    };
    table: { create(options: hpack.TableOptions): hpack.Table };
  };
  export = hpack;
}
