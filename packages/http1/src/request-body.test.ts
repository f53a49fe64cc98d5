import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Http1RequestBody } from "./request-body.js";

const owner = { onBodyReadStart: () => {}, onBodyConsumed: () => {} };

type Op = { push: number } | { read: true };

describe("Http1RequestBody", () => {
  it("hands out every byte in order, small chunks coalesced or not, however pushes and reads interleave", async () => {
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ push: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 5000 })) }) },
      { weight: 1, arbitrary: fc.constant({ read: true as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 300 }), async (ops) => {
        const body = new Http1RequestBody(owner);
        const sent: Buffer[] = [];
        const received: Buffer[] = [];
        let next = 0;
        let pending: Promise<Buffer | null> | null = null;
        for (const op of ops) {
          if ("push" in op) {
            // Each pushed view is a slice of a larger read buffer, as the decoders hand out.
            const backing = Buffer.alloc(op.push + 8, 0xee);
            for (let i = 0; i < op.push; i++) backing[4 + i] = next++ & 0xff;
            const view = backing.subarray(4, 4 + op.push);
            sent.push(Buffer.from(view));
            body.push(view);
          } else if (pending === null) {
            pending = body.read();
          }
          if (pending !== null) {
            const chunk = await Promise.race([pending, Promise.resolve(undefined)]);
            if (chunk !== undefined) {
              received.push(Buffer.from(chunk!));
              pending = null;
            }
          }
        }
        body.end();
        if (pending !== null) {
          const chunk = await pending;
          if (chunk !== null) received.push(Buffer.from(chunk));
        }
        for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) received.push(Buffer.from(chunk));
        expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
        expect(body.queuedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("copies 1-byte chunks into shared 4 KiB blocks instead of queueing a view of the read buffer each", async () => {
    const body = new Http1RequestBody(owner);
    const read = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 10_000; i++) body.push(read.subarray(i, i + 1));
    body.end();
    expect(body.queuedBytes).toBe(10_000);
    const chunks: Buffer[] = [];
    for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 1808]);
    expect(chunks.every((c) => c.buffer !== read.buffer)).toBe(true);
  });
});
