import { describe, expect, it } from "vitest";
import { reasonPhrase } from "./status-codes.js";

describe("reasonPhrase", () => {
  it.each([
    [100, "Continue"],
    [101, "Switching Protocols"],
    [200, "OK"],
    [204, "No Content"],
    [304, "Not Modified"],
    [400, "Bad Request"],
    [404, "Not Found"],
    [408, "Request Timeout"],
    [413, "Content Too Large"],
    [414, "URI Too Long"],
    [422, "Unprocessable Content"],
    [431, "Request Header Fields Too Large"],
    [500, "Internal Server Error"],
    [505, "HTTP Version Not Supported"],
  ])("gives %i the RFC 9110 / IANA phrase %s", (status, phrase) => {
    expect(reasonPhrase(status)).toBe(phrase);
  });

  it("returns an empty phrase for an unregistered code (RFC 9112 §4 allows an empty reason)", () => {
    expect(reasonPhrase(299)).toBe("");
    expect(reasonPhrase(599)).toBe("");
    expect(reasonPhrase(0)).toBe("");
  });
});
