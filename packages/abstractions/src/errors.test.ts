import { describe, expect, it } from "vitest";
import {
  BadHttpRequestError,
  ConnectionAbortedError,
  createErrorClass,
  InvalidHeaderError,
  isXError,
  NotSupportedError,
  OptionsValidationError,
  ResponseStartedError,
  UserError,
  XError,
} from "./errors.js";

describe("XError branding", () => {
  it("keeps instanceof working between two copies of the same error class", () => {
    // Two installed copies of a package each run createErrorClass; Symbol.for
    // gives both the same brand, so an error from one copy matches the other.
    const CopyA = createErrorClass("DuplicatedError", "ERR_X_TEST_DUPLICATED", "duplicated");
    const CopyB = createErrorClass("DuplicatedError", "ERR_X_TEST_DUPLICATED", "duplicated");
    expect(CopyA).not.toBe(CopyB);

    const fromA = new CopyA();
    const fromB = new CopyB();
    expect(fromA).toBeInstanceOf(CopyB);
    expect(fromB).toBeInstanceOf(CopyA);
    expect(fromA).toBeInstanceOf(XError);
  });

  it("brands with the global symbol registry so a foreign copy's brand is recognised", () => {
    const Local = createErrorClass("ForeignBrandError", "ERR_X_TEST_FOREIGN", "foreign");
    // What another copy of @x/abstractions would attach to its instances.
    const foreign = new Error("from another copy");
    Object.defineProperty(foreign, Symbol.for("@x/abstractions.error.brands"), {
      value: [Symbol.for("@x/error/XError"), Symbol.for("@x/error/ForeignBrandError")],
    });
    expect(foreign).toBeInstanceOf(Local);
    expect(foreign).toBeInstanceOf(XError);
    expect(isXError(foreign)).toBe(true);
  });

  it("does not confuse classes that have different names", () => {
    const First = createErrorClass("FirstTestError", "ERR_X_TEST_FIRST", "first");
    const Second = createErrorClass("SecondTestError", "ERR_X_TEST_SECOND", "second");
    expect(new First()).not.toBeInstanceOf(Second);
    expect(new NotSupportedError()).not.toBeInstanceOf(InvalidHeaderError);
  });

  it("makes every subclass an instance of its base and of Error, but not the other way round", () => {
    const error = new ResponseStartedError();
    expect(error).toBeInstanceOf(ResponseStartedError);
    expect(error).toBeInstanceOf(XError);
    expect(error).toBeInstanceOf(Error);
    expect(new XError("plain")).not.toBeInstanceOf(ResponseStartedError);
    expect(new UserError("misuse")).toBeInstanceOf(XError);
    expect(new UserError("misuse")).not.toBeInstanceOf(OptionsValidationError);
  });

  it("does not match base instances against a subclass declared without its own brand", () => {
    class PlainSubclass extends XError {}
    class PlainCodedSubclass extends NotSupportedError {}
    expect(new XError("base")).not.toBeInstanceOf(PlainSubclass);
    expect(new NotSupportedError()).not.toBeInstanceOf(PlainCodedSubclass);
    expect(new PlainSubclass("sub")).toBeInstanceOf(PlainSubclass);
    expect(new PlainSubclass("sub")).toBeInstanceOf(XError);
    expect(new PlainCodedSubclass()).toBeInstanceOf(NotSupportedError);
  });

  it("rejects primitives, null and plain errors", () => {
    expect(isXError(null)).toBe(false);
    expect(isXError("ERR_X")).toBe(false);
    expect(isXError(new Error("plain"))).toBe(false);
    expect(isXError({ code: "ERR_X" })).toBe(false);
  });
});

describe("XError fields", () => {
  it("keeps the code and the cause, and names the instance after its class", () => {
    const cause = new Error("root");
    const error = new XError("failed", { code: "ERR_X_TEST", cause });
    expect(error.code).toBe("ERR_X_TEST");
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("failed");
    expect(error.name).toBe("XError");
  });

  it("defaults the code to ERR_X and leaves cause unset when none is given", () => {
    const error = new XError("failed");
    expect(error.code).toBe("ERR_X");
    expect("cause" in error).toBe(false);
  });

  it("gives classes from createErrorClass a fixed code, a default message and their own name", () => {
    const cause = new Error("socket gone");
    const error = new ConnectionAbortedError(undefined, { cause });
    expect(error.code).toBe("ERR_X_CONNECTION_ABORTED");
    expect(ConnectionAbortedError.code).toBe("ERR_X_CONNECTION_ABORTED");
    expect(error.message).toBe("The connection was aborted");
    expect(error.name).toBe("ConnectionAbortedError");
    expect(ConnectionAbortedError.name).toBe("ConnectionAbortedError");
    expect(error.cause).toBe(cause);
    expect(new ConnectionAbortedError("custom").message).toBe("custom");
  });

  it("gives UserError, OptionsValidationError and BadHttpRequestError their codes and extra fields", () => {
    expect(new UserError("misuse").code).toBe("ERR_X_USER");
    expect(new UserError("misuse", "ERR_X_USER_CUSTOM").code).toBe("ERR_X_USER_CUSTOM");

    const invalid = new OptionsValidationError("bad", "Limits:MaxRequestLineSize");
    expect(invalid.code).toBe("ERR_X_OPTIONS_INVALID");
    expect(invalid.key).toBe("Limits:MaxRequestLineSize");

    const bad = new BadHttpRequestError("line too long", 414, "RequestLineTooLong");
    expect(bad.code).toBe("ERR_X_HTTP_BAD_REQUEST");
    expect(bad.statusCode).toBe(414);
    expect(bad.reason).toBe("RequestLineTooLong");
    expect(bad).toBeInstanceOf(BadHttpRequestError);
    expect(bad.name).toBe("BadHttpRequestError");
  });
});
