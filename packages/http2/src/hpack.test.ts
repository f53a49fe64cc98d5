import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, Http2ConnectionError } from "./frame-types.js";
import { type HeaderField, HeaderListTooLargeError, HpackDecoder, HpackEncoder } from "./hpack.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const pairs = (fields: HeaderField[]): Array<[string, string]> => fields.map((f) => [f.name, f.value]);
const table = (d: HpackDecoder | HpackEncoder): Array<[string, string, number]> => d.dynamicTable.map((e) => [e.name, e.value, e.size]);
const decoder = (tableSize = 4096, maxHeaderListSize = 65_536, maxFieldSize = 65_536): HpackDecoder =>
  new HpackDecoder({ tableSize, maxHeaderListSize, maxFieldSize });

function expectCompressionError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Http2ConnectionError);
    expect((error as Http2ConnectionError).code).toBe(ErrorCode.COMPRESSION_ERROR);
    return;
  }
  expect.unreachable("expected a COMPRESSION_ERROR");
}

// RFC 7541 Appendix C.3 / C.4: the same three requests, literal then Huffman-coded strings.
const requests: Array<[string, string]> = [
  ["C.3.1", "C.4.1"],
  ["C.3.2", "C.4.2"],
  ["C.3.3", "C.4.3"],
];
const REQUEST_BLOCKS = {
  "C.3.1": "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
  "C.3.2": "8286 84be 5808 6e6f 2d63 6163 6865",
  "C.3.3": "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
  "C.4.1": "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
  "C.4.2": "8286 84be 5886 a8eb 1064 9cbf",
  "C.4.3": "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
} as const;
const REQUEST_FIELDS: Array<Array<[string, string]>> = [
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ],
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ],
  [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ],
];
const REQUEST_TABLES: Array<Array<[string, string, number]>> = [
  [[":authority", "www.example.com", 57]],
  [
    ["cache-control", "no-cache", 53],
    [":authority", "www.example.com", 57],
  ],
  [
    ["custom-key", "custom-value", 54],
    ["cache-control", "no-cache", 53],
    [":authority", "www.example.com", 57],
  ],
];
const REQUEST_SIZES = [57, 110, 164];

// RFC 7541 Appendix C.5 / C.6: three responses through a 256-octet table, with eviction.
const RESPONSE_BLOCKS = {
  "C.5": [
    `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
     2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
     6c65 2e63 6f6d`,
    "4803 3330 37c1 c0bf",
    `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
     54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
     5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
  ],
  "C.6": [
    `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
     2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    "4883 640e ffc1 c0bf",
    `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
     77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
     9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
  ],
} as const;
const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSE_FIELDS: Array<Array<[string, string]>> = [
  [
    [":status", "302"],
    ["cache-control", "private"],
    ["date", DATE1],
    ["location", "https://www.example.com"],
  ],
  [
    [":status", "307"],
    ["cache-control", "private"],
    ["date", DATE1],
    ["location", "https://www.example.com"],
  ],
  [
    [":status", "200"],
    ["cache-control", "private"],
    ["date", DATE2],
    ["location", "https://www.example.com"],
    ["content-encoding", "gzip"],
    ["set-cookie", COOKIE],
  ],
];
const RESPONSE_TABLES: Array<Array<[string, string, number]>> = [
  [
    ["location", "https://www.example.com", 63],
    ["date", DATE1, 65],
    ["cache-control", "private", 52],
    [":status", "302", 42],
  ],
  [
    [":status", "307", 42],
    ["location", "https://www.example.com", 63],
    ["date", DATE1, 65],
    ["cache-control", "private", 52],
  ],
  [
    ["set-cookie", COOKIE, 98],
    ["content-encoding", "gzip", 52],
    ["date", DATE2, 65],
  ],
];
const RESPONSE_SIZES = [222, 222, 215];

describe("HpackDecoder: RFC 7541 Appendix C", () => {
  for (const huffman of [false, true]) {
    it(`decodes the request sequence ${huffman ? "C.4 (Huffman)" : "C.3"} with its table state`, () => {
      const d = decoder();
      requests.forEach(([plain, coded], i) => {
        const id = huffman ? coded : plain;
        expect(pairs(d.decode(hex(REQUEST_BLOCKS[id as keyof typeof REQUEST_BLOCKS]))), id).toEqual(REQUEST_FIELDS[i]);
        expect(table(d), id).toEqual(REQUEST_TABLES[i]);
        expect(d.dynamicTableSize, id).toBe(REQUEST_SIZES[i]);
      });
    });
  }

  for (const id of ["C.5", "C.6"] as const) {
    it(`decodes the response sequence ${id} through a 256-octet table, evicting`, () => {
      const d = decoder(256);
      RESPONSE_BLOCKS[id].forEach((block, i) => {
        expect(pairs(d.decode(hex(block))), `${id}.${i + 1}`).toEqual(RESPONSE_FIELDS[i]);
        expect(table(d), `${id}.${i + 1}`).toEqual(RESPONSE_TABLES[i]);
        expect(d.dynamicTableSize, `${id}.${i + 1}`).toBe(RESPONSE_SIZES[i]);
      });
    });
  }

  it("decodes the C.6 responses from blocks the encoder produced after a table size change", () => {
    const e = new HpackEncoder();
    const d = decoder(4096);
    e.setMaxTableSize(256);
    for (const fields of RESPONSE_FIELDS) {
      const block = e.encode(fields.map(([name, value]) => ({ name, value })));
      expect(pairs(d.decode(block))).toEqual(fields);
      expect(table(d)).toEqual(table(e));
      expect(d.maxDynamicTableSize).toBe(256);
    }
  });
});

describe("HpackDecoder: malformed blocks are COMPRESSION_ERROR", () => {
  const cases: Array<[string, string]> = [
    ["index 0", "80"],
    ["static index out of range (62 with an empty table)", "be"],
    ["name index out of range", "7f00 00"],
    ["truncated integer", "ff"],
    ["truncated multi-octet integer", "ff 80"],
    ["integer overflow", "ff ff ff ff ff 0f"],
    ["integer with too many continuation octets", "ff 80 80 80 80 80 80 00"],
    ["truncated string", "40 05 61"],
    ["string length past the block", "00 01 61 05 61"],
    ["Huffman EOS in a string", "00 84 ff ff ff ff 00"],
    ["Huffman padding longer than 7 bits", "00 82 1f ff 00"],
    ["Huffman padding not all ones", "00 81 18 00"],
    ["table size update above SETTINGS_HEADER_TABLE_SIZE", "3f e2 1f"],
    ["table size update after a field", "82 20"],
    ["table size update after a field, later in the block", "82 86 3f e1 1f"],
    ["missing value", "40 01 61"],
  ];
  for (const [name, block] of cases) {
    it(name, () => expectCompressionError(() => decoder().decode(hex(block))));
  }

  it("accepts valid Huffman padding and a name-only index", () => {
    // "a" is 00011 then 3 padding bits; name :path (index 4) with a literal value.
    expect(pairs(decoder().decode(hex("00 81 1f 00")))).toEqual([["a", ""]]);
    expect(pairs(decoder().decode(hex("04 81 1f")))).toEqual([[":path", "a"]]);
  });

  it("accepts table size updates at the start of a block, up to the setting", () => {
    const d = decoder(4096);
    d.decode(hex(REQUEST_BLOCKS["C.3.1"]));
    expect(d.dynamicTableSize).toBe(57);
    // 0 (evicts everything), then 4096 (31 + 0x61 + 0x1f * 128), then a field.
    expect(pairs(d.decode(hex("20 3f e1 1f 82")))).toEqual([[":method", "GET"]]);
    expect(d.dynamicTable).toEqual([]);
    expect(d.maxDynamicTableSize).toBe(4096);
  });
});

describe("HpackDecoder: size limits", () => {
  /** A literal with incremental indexing and a new name: `name: value`, strings not Huffman-coded. */
  function literalIndexed(name: string, value: string): Buffer {
    const e = (n: number, prefix: number, flags: number): number[] => {
      const max = (1 << prefix) - 1;
      if (n < max) return [flags | n];
      const out = [flags | max];
      n -= max;
      while (n >= 128) {
        out.push((n % 128) | 0x80);
        n = Math.floor(n / 128);
      }
      out.push(n);
      return out;
    };
    return Buffer.concat([
      Buffer.from([0x40]),
      Buffer.from(e(name.length, 7, 0)),
      Buffer.from(name, "latin1"),
      Buffer.from(e(value.length, 7, 0)),
      Buffer.from(value, "latin1"),
    ]);
  }

  it("stops an HPACK bomb field by field: 16 K references to a 4 KB entry", () => {
    const d = decoder(4096, 32_768, 32_768);
    const big = "v".repeat(4096 - 32 - 1);
    // The entry (4096 octets with its overhead) fills the table; then ~16 KB of index 62.
    const refs = 16_384;
    const block = Buffer.concat([literalIndexed("x", big), Buffer.alloc(refs, 0xbe)]);
    let caught: unknown;
    try {
      d.decode(block);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HeaderListTooLargeError);
    const error = caught as HeaderListTooLargeError;
    expect(error.reason).toBe("list");
    expect(error.limit).toBe(32_768);
    // Only the fields under the bound were materialised: 8 × 4096 = 32768 fits, the 9th does not.
    expect(error.fieldsDecoded).toBe(8);
    expect(error.fieldsDecoded).toBeLessThan(10);
    // The rest was measured, not built.
    expect(error.size).toBe((refs + 1) * 4096);
    // The table is intact: the connection can go on with the next block.
    expect(table(d)).toEqual([["x", big, 4096]]);
    expect(pairs(d.decode(hex("be 82")))).toEqual([
      ["x", big],
      [":method", "GET"],
    ]);
  });

  it("rejects one field above maxFieldSize, keeping later table insertions", () => {
    const d = decoder(4096, 65_536, 100);
    const block = Buffer.concat([
      literalIndexed("small", "1"),
      // Without indexing, new name, 200-octet value: over the field limit, never materialised.
      Buffer.from([0x00, 0x01, 0x61, 0x7f, 200 - 127]),
      Buffer.alloc(200, 0x62),
      literalIndexed("after", "2"),
    ]);
    let caught: unknown;
    try {
      d.decode(block);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HeaderListTooLargeError);
    expect((caught as HeaderListTooLargeError).reason).toBe("field");
    expect((caught as HeaderListTooLargeError).fieldsDecoded).toBe(1);
    expect(table(d)).toEqual([
      ["after", "2", 38],
      ["small", "1", 38],
    ]);
  });

  it("an oversized literal with indexing empties the table (§4.4) without being built", () => {
    const d = decoder(256, 65_536, 1000);
    d.decode(literalIndexed("a", "b"));
    expect(d.dynamicTableSize).toBe(34);
    expect(() => d.decode(literalIndexed("big", "z".repeat(5000)))).toThrow(HeaderListTooLargeError);
    expect(d.dynamicTable).toEqual([]);
  });

  it("counts 32 octets per field against maxHeaderListSize", () => {
    // Two `:method: GET` fields: 2 × (7 + 3 + 32) = 84.
    expect(pairs(decoder(4096, 84).decode(hex("82 82")))).toHaveLength(2);
    expect(() => decoder(4096, 83).decode(hex("82 82"))).toThrow(HeaderListTooLargeError);
  });
});

describe("HpackEncoder", () => {
  it("Huffman-codes a string when shorter (C.4.1's authority)", () => {
    const block = new HpackEncoder().encode([{ name: ":authority", value: "www.example.com" }]);
    // Literal with incremental indexing, name index 1, Huffman value (RFC 7541 C.4.1).
    expect(block.toString("hex")).toBe("418cf1e3c2e5f23a6ba0ab90f4ff");
  });

  it("uses indexes for static and dynamic matches", () => {
    const e = new HpackEncoder();
    expect(e.encode([{ name: ":status", value: "200" }]).toString("hex")).toBe("88");
    e.encode([{ name: "x-custom", value: "one" }]);
    expect(e.encode([{ name: "x-custom", value: "one" }]).toString("hex")).toBe("be");
  });

  it("round-trips awkward fields: sensitive, unindexed, prototype names, binary, oversized", () => {
    const e = new HpackEncoder();
    const d = decoder();
    const fields: HeaderField[] = [
      { name: ":status", value: "200" },
      { name: "set-cookie", value: "id=1" },
      { name: "content-length", value: "12" },
      { name: "constructor", value: "x" },
      { name: "__proto__", value: "y" },
      { name: "tostring", value: "" },
      { name: "x-binary", value: "\xff\xfe\x00\x80" },
      { name: "x-large", value: "L".repeat(10_000) },
      { name: "date", value: DATE1 },
    ];
    for (let i = 0; i < 3; i++) {
      expect(d.decode(e.encode(fields))).toEqual(fields);
      expect(table(d)).toEqual(table(e));
    }
    // set-cookie is never indexed (0001xxxx).
    const block = new HpackEncoder().encode([{ name: "set-cookie", value: "a" }]);
    expect(block[0]! & 0xf0).toBe(0x10);
  });

  it("signals a smaller table at the start of the next block, then evicts", () => {
    const e = new HpackEncoder();
    const d = decoder(4096);
    const fields = [
      { name: "x-a", value: "a".repeat(50) },
      { name: "x-b", value: "b".repeat(50) },
    ];
    d.decode(e.encode(fields));
    expect(d.dynamicTableSize).toBe(2 * (3 + 50 + 32));
    e.setMaxTableSize(100);
    const block = e.encode(fields);
    // 001 prefix, 100 = 31 + 69.
    expect(block.subarray(0, 2).toString("hex")).toBe("3f45");
    expect(d.decode(block)).toEqual(fields);
    expect(d.maxDynamicTableSize).toBe(100);
    expect(table(d)).toEqual(table(e));
    expect(d.dynamicTableSize).toBe(85);
  });

  it("signals the smallest size, then the final one, when the size drops and rises between blocks", () => {
    const e = new HpackEncoder();
    const d = decoder(4096);
    d.decode(e.encode([{ name: "x-a", value: "1" }]));
    e.setMaxTableSize(0);
    e.setMaxTableSize(4096);
    const block = e.encode([{ name: "x-b", value: "2" }]);
    expect(block.subarray(0, 4).toString("hex")).toBe("203fe11f");
    expect(pairs(d.decode(block))).toEqual([["x-b", "2"]]);
    expect(table(d)).toEqual([["x-b", "2", 36]]);
    expect(table(e)).toEqual(table(d));
  });

  it("sends no update when the peer allows more than it uses, and keeps the table within 4096", () => {
    const e = new HpackEncoder();
    e.setMaxTableSize(65_536);
    const block = e.encode([{ name: ":status", value: "200" }]);
    expect(block.toString("hex")).toBe("88");
  });

  it("round-trips random header lists across table size changes (property)", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
    const value = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 80 });
    const block = fc.array(fc.record({ name: fc.oneof(name, fc.constantFrom(":status", "date", "set-cookie", "cache-control")), value }), {
      maxLength: 12,
    });
    const step = fc.record({ fields: block, resize: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 10 }), (steps) => {
        const e = new HpackEncoder();
        const d = decoder(4096);
        for (const { fields, resize } of steps) {
          if (resize !== undefined) e.setMaxTableSize(resize);
          expect(d.decode(e.encode(fields))).toEqual(fields);
          expect(table(d)).toEqual(table(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
