import { describe, expect, it } from "vitest";
import { splitArguments } from "../../src/settings/index.js";
import { translateWindowsPathArguments } from "../../src/settings/arguments.js";

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

describe("translateWindowsPathArguments (a web.config brought from Windows, on POSIX)", () => {
  const site = "/srv/site";
  const files = new Set(["/srv/site/app.js", "/srv/site/dist/server.js", "/srv/site/config/app.json", "/srv/site/public"]);
  const exists = (p: string) => files.has(p);
  it.each<[string[], string[]]>([
    [[".\\app.js"], ["./app.js"]],
    [["dist\\server.js", "--port", "80"], ["dist/server.js", "--port", "80"]],
    [["--config=.\\config\\app.json"], ["--config=./config/app.json"]],
    [[".\\public\\"], ["./public/"]],
    // Left alone: nothing of that name in the site, absolute Windows paths, UNC, climbing out, URLs, no backslash.
    [[".\\missing.js"], [".\\missing.js"]],
    [["C:\\sites\\app.js"], ["C:\\sites\\app.js"]],
    [["\\\\server\\share\\app.js"], ["\\\\server\\share\\app.js"]],
    [["..\\..\\etc\\passwd"], ["..\\..\\etc\\passwd"]],
    [["--pattern=a\\d+"], ["--pattern=a\\d+"]],
    [["app.js"], ["app.js"]],
  ])("%j → %j", (argv, expected) => {
    expect(translateWindowsPathArguments(argv, site, exists, "/")).toEqual(expected);
  });

  it("changes nothing on Windows", () => {
    expect(translateWindowsPathArguments([".\\app.js"], site, exists, "\\")).toEqual([".\\app.js"]);
  });
});
