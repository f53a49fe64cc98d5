import { describe, expect, it } from "vitest";
import { splitArguments } from "../../src/settings/index.js";

describe("splitArguments (CommandLineToArgvW rules)", () => {
  const table: [string, string[]][] = [
    ["", []],
    ["   \t ", []],
    [".\\MyApp.dll", [".\\MyApp.dll"]],
    ["a b c", ["a", "b", "c"]],
    ["  a \t b  ", ["a", "b"]],
    ['"a b" c', ["a b", "c"]],
    ['pre"a b"post', ["prea bpost"]],
    ['""', [""]],
    ['a "" b', ["a", "", "b"]],
    ['a\\"b', ['a"b']],
    ['"a\\"b c"', ['a"b c']],
    ['a\\\\"b c"', ["a\\b c"]],
    ['a\\\\\\"b', ['a\\"b']],
    ["a\\\\b", ["a\\\\b"]],
    ["C:\\dir\\app.js --x", ["C:\\dir\\app.js", "--x"]],
    ['"C:\\Program Files\\app\\\\" next', ["C:\\Program Files\\app\\", "next"]],
    ['"C:\\path\\" next', ['C:\\path" next']],
    ['"a""b"', ['a"b']],
    ['"a"""b"', ['a"b']],
    ['"unterminated arg', ["unterminated arg"]],
    ["--port=%PORT% x", ["--port=%PORT%", "x"]],
  ];
  it.each(table)("%j → %j", (input, expected) => {
    expect(splitArguments(input)).toEqual(expected);
  });
});
