import { OptionsValidationError } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { DEFAULT_HANDSHAKE_TIMEOUT, resolveHttpsOptions, SslProtocols, tlsVersionRange } from "./https-options.js";

const certificate = { cert: "c", key: "k" };

describe("tlsVersionRange", () => {
  it.each([
    [undefined, "TLSv1.2", undefined],
    [SslProtocols.None, "TLSv1.2", undefined],
    [["Tls12"] as const, "TLSv1.2", "TLSv1.2"],
    [["Tls13"] as const, "TLSv1.3", "TLSv1.3"],
    [["Tls12", "Tls13"] as const, "TLSv1.2", undefined],
    [SslProtocols.Tls12 | SslProtocols.Tls13, "TLSv1.2", undefined],
    [SslProtocols.Tls13, "TLSv1.3", "TLSv1.3"],
  ])("maps %j to min %s and max %s, never below TLS 1.2", (input, min, max) => {
    expect(tlsVersionRange(input)).toEqual({ minVersion: min, maxVersion: max });
  });

  it("rejects flags for protocols below TLS 1.2 and unknown names", () => {
    expect(() => tlsVersionRange(0x0300)).toThrow(OptionsValidationError);
    expect(() => tlsVersionRange(["Tls11" as never])).toThrow(OptionsValidationError);
  });
});

describe("resolveHttpsOptions", () => {
  it("applies Kestrel's defaults", () => {
    const resolved = resolveHttpsOptions({ serverCertificate: certificate });
    expect(resolved.clientCertificateMode).toBe("NoCertificate");
    expect(resolved.handshakeTimeout).toBe(DEFAULT_HANDSHAKE_TIMEOUT);
    expect(DEFAULT_HANDSHAKE_TIMEOUT).toBe(10_000);
    expect(resolved.alpnProtocols).toEqual(["http/1.1"]);
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it("needs a certificate or a selector", () => {
    expect(() => resolveHttpsOptions({})).toThrow(OptionsValidationError);
    expect(() => resolveHttpsOptions({ serverCertificateSelector: () => null })).not.toThrow();
  });

  it("rejects an unknown client certificate mode, a bad timeout and an empty ALPN name", () => {
    expect(() => resolveHttpsOptions({ serverCertificate: certificate, clientCertificateMode: "Sometimes" as never })).toThrow(/clientCertificateMode/);
    expect(() => resolveHttpsOptions({ serverCertificate: certificate, handshakeTimeout: 0 })).toThrow(/handshakeTimeout/);
    expect(() => resolveHttpsOptions({ serverCertificate: certificate, handshakeTimeout: Number.NaN })).toThrow(/handshakeTimeout/);
    expect(() => resolveHttpsOptions({ serverCertificate: certificate, alpnProtocols: [""] })).toThrow(/ALPN/);
  });
});
