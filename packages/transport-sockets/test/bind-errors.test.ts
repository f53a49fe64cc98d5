import { ipEndPoint, isXError, OptionsValidationError } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { AddressInUseError, AddressNotAvailableError, SocketTransportFactory } from "../src/index.js";
import { Harness } from "./helpers.js";

describe("bind errors", () => {
  let harness: Harness;
  afterEach(async () => {
    await harness.cleanup();
  });

  it("fails with AddressInUseError, its code and the original error as cause when the port is taken", async () => {
    harness = new Harness();
    const first = await harness.bind(ipEndPoint("127.0.0.1", 0));
    const port = first.endPoint.kind === "ip" ? first.endPoint.port : 0;

    const error = await harness.bind(ipEndPoint("127.0.0.1", port)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AddressInUseError);
    expect(isXError(error)).toBe(true);
    expect(error).toMatchObject({ code: "ERR_X_TRANSPORT_ADDRESS_IN_USE" });
    expect((error as Error).message).toBe(`Failed to bind to address 127.0.0.1:${port}: address already in use.`);
    expect((error as Error).cause).toMatchObject({ code: "EADDRINUSE" });
  });

  it("fails with AddressNotAvailableError for an address this host does not own", async () => {
    harness = new Harness();
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737); binding it fails locally, no packet is sent.
    const error = await harness.bind(ipEndPoint("192.0.2.1", 0)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AddressNotAvailableError);
    expect(error).toMatchObject({ code: "ERR_X_TRANSPORT_ADDRESS_NOT_AVAILABLE" });
    expect((error as Error).cause).toMatchObject({ code: "EADDRNOTAVAIL" });
  });

  it("rejects an invalid backlog when the factory is constructed", () => {
    harness = new Harness();
    expect(() => new SocketTransportFactory({ backlog: -1 })).toThrow(OptionsValidationError);
    expect(() => new SocketTransportFactory({ backlog: 1.5 })).toThrow(OptionsValidationError);
  });
});
