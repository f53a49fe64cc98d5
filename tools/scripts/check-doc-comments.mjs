#!/usr/bin/env node
// Checks that every symbol exported by a package's public entry
// (packages/*/src/index.ts) has a JSDoc comment, so the API reference
// (`pnpm docs`, TypeDoc) has no blank entries.
//
// For each package it loads src/index.ts with the package's tsconfig.json,
// enumerates the module's exports (following `export *` and re-exports to the
// declaration) and checks:
//   - every exported function, class, interface, type alias, variable, enum
//     and namespace (for a name with several declarations, e.g. a const and a
//     type of the same name, each kind needs one documented declaration;
//     overloads and merged interfaces need one);
//   - for classes, their public members declared in the class: methods,
//     properties, accessors (a get/set pair needs one comment) and
//     constructors with parameters.
// Skipped: `private`, `protected` and `#` members, members keyed by a
// module-private symbol (`[kBrand]`; well-known `[Symbol.x]` ones are
// checked), anything tagged `@internal`, and re-exports of symbols declared
// in another package (checked there).
//
// Prints `package: symbol (file:line)` for each missing comment and exits 1
// if there is any.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ts from "typescript";

const root = new URL("../..", import.meta.url).pathname;
const packagesDir = join(root, "packages");

// Source files (lib.*.d.ts, @types/node, shared sources) are parsed once and
// shared by every package's program.
const sourceFileCache = new Map();
function cachingHost(options) {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const key = `${fileName}\0${typeof languageVersion === "object" ? languageVersion.languageVersion : languageVersion}`;
    let file = sourceFileCache.get(key);
    if (file === undefined || shouldCreate) {
      file = getSourceFile(fileName, languageVersion, onError, shouldCreate);
      sourceFileCache.set(key, file);
    }
    return file;
  };
  return host;
}

function loadProgram(pkgDir, entry) {
  const configPath = join(pkgDir, "tsconfig.json");
  let options = ts.getDefaultCompilerOptions();
  if (existsSync(configPath)) {
    const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
    options = ts.parseJsonConfigFileContent(config, ts.sys, pkgDir, undefined, configPath).options;
  }
  options = { ...options, noEmit: true };
  return ts.createProgram({ rootNames: [entry], options, host: cachingHost(options) });
}

function jsDocsOf(node) {
  return ts.getJSDocCommentsAndTags(node).filter((d) => ts.isJSDoc(d));
}

function hasDoc(node) {
  return jsDocsOf(node).length > 0;
}

function isInternal(node) {
  return jsDocsOf(node).some((doc) => (doc.tags ?? []).some((tag) => tag.tagName.text === "internal"));
}

function kindGroup(decl) {
  if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) return "type";
  if (ts.isModuleDeclaration(decl)) return "namespace";
  return "value";
}

function isExportedDeclarationKind(decl) {
  return (
    ts.isFunctionDeclaration(decl) ||
    ts.isClassDeclaration(decl) ||
    ts.isInterfaceDeclaration(decl) ||
    ts.isTypeAliasDeclaration(decl) ||
    ts.isVariableDeclaration(decl) ||
    ts.isEnumDeclaration(decl) ||
    ts.isModuleDeclaration(decl)
  );
}

function location(decl) {
  const sf = decl.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(decl.getStart(sf));
  return `${relative(root, sf.fileName)}:${line + 1}`;
}

function hasModifier(node, kind) {
  return (ts.getCombinedModifierFlags(node) & kind) !== 0;
}

function memberName(member) {
  const name = member.name;
  if (name === undefined) return "constructor";
  if (ts.isComputedPropertyName(name)) return `[${name.expression.getText()}]`;
  return name.getText();
}

/** Members that are part of the class's public API; see the header. */
function isPublicMember(member) {
  if (ts.isConstructorDeclaration(member)) {
    return member.parameters.length > 0 && !hasModifier(member, ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
  }
  if (!(ts.isMethodDeclaration(member) || ts.isPropertyDeclaration(member) || ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member))) {
    return false;
  }
  if (member.name && ts.isPrivateIdentifier(member.name)) return false;
  if (hasModifier(member, ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  if (member.name && ts.isComputedPropertyName(member.name)) {
    // `[Symbol.iterator]` and friends are public protocol; `[kBrand]` is not.
    const expr = member.name.expression;
    return ts.isPropertyAccessExpression(expr) && ts.isIdentifier(expr.expression) && expr.expression.text === "Symbol";
  }
  return true;
}

function checkClassMembers(classDecl, className, report) {
  // Overloads and get/set pairs share one entry: documented if any part is.
  const groups = new Map();
  for (const member of classDecl.members) {
    if (!isPublicMember(member)) continue;
    const isStatic = hasModifier(member, ts.ModifierFlags.Static);
    const name = memberName(member);
    const key = `${isStatic ? "static " : ""}${name}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { name: `${className}${isStatic || name === "constructor" ? "." : "#"}${name}`, decls: [] }));
    group.decls.push(member);
  }
  for (const { name, decls } of groups.values()) {
    if (decls.some(isInternal)) continue;
    report(name, decls, decls.some(hasDoc));
  }
}

function checkPackage(pkgDir) {
  const pkgName = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).name ?? relative(root, pkgDir);
  const entry = join(pkgDir, "src", "index.ts");
  const missing = [];
  let checked = 0;
  if (!existsSync(entry)) return { pkgName, missing, checked };
  const program = loadProgram(pkgDir, entry);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(entry);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  if (!moduleSymbol) return { pkgName, missing, checked };
  const ownSrc = join(pkgDir, "src") + sep;

  const report = (name, decls, documented) => {
    checked++;
    if (!documented) missing.push({ name, where: location(decls[0]) });
  };

  const seenClasses = new Set();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decls = (symbol.declarations ?? []).filter(
      (d) => isExportedDeclarationKind(d) && d.getSourceFile().fileName.startsWith(ownSrc) && !d.getSourceFile().isDeclarationFile,
    );
    if (decls.length === 0) continue; // declared in another package, or unresolved
    const name = exported.getName();
    const byKind = new Map();
    for (const d of decls) {
      const k = kindGroup(d);
      if (!byKind.has(k)) byKind.set(k, []);
      byKind.get(k).push(d);
    }
    for (const [kind, group] of byKind) {
      if (group.some(isInternal)) continue;
      report(byKind.size > 1 ? `${name} (${kind})` : name, group, group.some(hasDoc));
    }
    for (const d of decls) {
      if (ts.isClassDeclaration(d) && !seenClasses.has(d) && !isInternal(d)) {
        seenClasses.add(d);
        checkClassMembers(d, name, report);
      }
    }
  }
  return { pkgName, missing, checked };
}

const started = performance.now();
let total = 0;
let totalChecked = 0;
for (const name of readdirSync(packagesDir).sort()) {
  const pkgDir = join(packagesDir, name);
  if (!existsSync(join(pkgDir, "package.json"))) continue;
  const { pkgName, missing, checked } = checkPackage(pkgDir);
  totalChecked += checked;
  for (const m of missing) console.log(`${pkgName}: ${m.name} (${m.where})`);
  total += missing.length;
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (total > 0) {
  console.error(`doc comments: ${total} of ${totalChecked} exported symbols have none (${seconds}s)`);
  process.exit(1);
}
console.log(`doc comments: all ${totalChecked} exported symbols documented (${seconds}s)`);
