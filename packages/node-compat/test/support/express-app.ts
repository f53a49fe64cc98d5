/**
 * One Express 5 app with the middleware people run in production (body
 * parsers, signed cookies, compression, multer, static files, streaming,
 * redirects, error handlers), shared by the HTTP/1.1 comparison and the
 * HTTPS/HTTP/2 tests. Its static root is a temp dir made by
 * {@link makeFixtures}.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream";
import compression from "compression";
import cookieParser from "cookie-parser";
import express, { type ErrorRequestHandler, type Express } from "express";
import multer from "multer";

export const COOKIE_SECRET = "compare-secret";
/** A fixed expiry: cookies must not carry the time of each request. */
const EXPIRES = new Date("2030-01-01T00:00:00Z");

/** The files behind `/static`, `/file` and `/pipe`. */
export interface Fixtures {
  readonly dir: string;
  readonly text: string;
  readonly binary: Buffer;
  remove(): void;
}

/** A deterministic byte pattern of `size` bytes (every byte value occurs). */
export function pattern(size: number, seed = 7): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    buf[i] = x >>> 16;
  }
  return buf;
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), "node-compat-express-"));
  const text = `${"The quick brown fox jumps over the lazy dog.\n".repeat(40)}end\n`;
  const binary = pattern(300_000);
  writeFileSync(join(dir, "hello.txt"), text);
  writeFileSync(join(dir, "data.bin"), binary);
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>index</title>\n");
  return { dir, text, binary, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A large, compressible text: compression gzips it. */
export const BIG_TEXT = Array.from({ length: 4000 }, (_, i) => `line ${i}: lorem ipsum dolor sit amet\n`).join("");

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 10 * 1024 * 1024 } });

export function expressApp(fixtures: Fixtures): Express {
  const app = express();
  app.use(cookieParser(COOKIE_SECRET));

  app.post("/json", express.json(), (req, res) => {
    res.json({ received: req.body, type: req.get("content-type") });
  });
  app.post("/form", express.urlencoded({ extended: true }), (req, res) => {
    res.json(req.body);
  });
  app.post("/raw", express.raw({ limit: "100mb", type: "*/*" }), (req, res) => {
    res.json({ length: (req.body as Buffer).length, sha256: sha256(req.body as Buffer) });
  });

  app.get("/cookies/set", (_req, res) => {
    res.cookie("plain", "one", { expires: EXPIRES, path: "/" });
    res.cookie("signed", "two", { signed: true, httpOnly: true, expires: EXPIRES });
    res.cookie("json", { a: 1 }, { sameSite: "lax" });
    res.clearCookie("gone");
    res.send("cookies set");
  });
  app.get("/cookies/read", (req, res) => {
    res.json({ cookies: req.cookies, signed: req.signedCookies });
  });

  app.get("/big", compression(), (_req, res) => {
    res.type("text/plain").send(BIG_TEXT);
  });
  app.get("/big-stream", compression(), (_req, res) => {
    res.type("text/plain");
    const half = BIG_TEXT.length / 2;
    res.write(BIG_TEXT.slice(0, half));
    setTimeout(() => res.end(BIG_TEXT.slice(half)), 10);
  });

  app.post("/upload", upload.fields([{ name: "doc" }, { name: "big" }]), (req, res) => {
    const files = Object.values((req.files ?? {}) as Record<string, Express.Multer.File[]>)
      .flat()
      .map((f) => ({ field: f.fieldname, name: f.originalname, type: f.mimetype, size: f.size, sha256: sha256(f.buffer) }));
    res.json({ fields: req.body, files });
  });

  app.use("/static", express.static(fixtures.dir));
  app.get("/file", (_req, res, next) => {
    res.sendFile("hello.txt", { root: fixtures.dir }, (error) => {
      if (error) next(error);
    });
  });
  app.get("/pipe", (_req, res) => {
    res.setHeader("content-type", "application/octet-stream");
    // node's fs.createReadStream through stream.pipeline into res.
    pipeline(fsStream(fixtures), res, () => {});
  });

  app.get("/stream", (_req, res) => {
    res.type("text/plain");
    let n = 0;
    const tick = () => {
      if (n === 5) {
        res.end("done\n");
        return;
      }
      res.write(`chunk ${n++}\n`);
      setTimeout(tick, 5);
    };
    tick();
  });

  app.get("/redirect", (_req, res) => res.redirect("/target?x=1"));
  app.get("/redirect-301", (_req, res) => res.redirect(301, "https://elsewhere.test/"));
  app.get("/back", (req, res) => res.redirect(req.get("referer") ?? "/"));

  app.get("/whoami", (req, res) => {
    res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure, hostname: req.hostname, host: req.host, path: req.path, query: req.query, xhr: req.xhr, fresh: req.fresh });
  });

  app.get("/headers", (_req, res) => {
    res.set("X-Multi", ["a", "b", "c"]);
    res.set({ "X-One": "1", "Cache-Control": "no-store" });
    res.append("X-Multi", "d");
    res.append("Set-Cookie", "a=1");
    res.append("Set-Cookie", ["b=2", "c=3"]);
    res.vary("Accept").vary("Origin");
    res.links({ next: "/page/2" });
    res.location("/there");
    res.status(201).type("json").send(JSON.stringify({ ok: true }));
  });

  app.get("/status/:code", (req, res) => {
    res.sendStatus(Number(req.params.code));
  });

  app.get("/fail", (_req, _res, next) => next(Object.assign(new Error("nope"), { status: 418 })));
  app.get("/throw", () => {
    throw new Error("thrown");
  });
  app.get("/async-fail", async () => {
    await new Promise((r) => setTimeout(r, 1));
    throw Object.assign(new Error("later"), { status: 409 });
  });
  const onError: ErrorRequestHandler = (err: Error & { status?: number }, _req, res, _next) => {
    res.status(err.status ?? 500).json({ error: err.message });
  };
  app.use(onError);
  return app;
}

function fsStream(fixtures: Fixtures) {
  // A small highWaterMark: the file goes out in many writes.
  return require_fs().createReadStream(join(fixtures.dir, "data.bin"), { highWaterMark: 16 * 1024 });
}

import * as fs from "node:fs";
function require_fs(): typeof fs {
  return fs;
}

/** An app on Express's default error handler (finalhandler), in production mode so the page holds no stack trace. */
export function defaultErrorApp(): Express {
  const app = express();
  app.set("env", "production");
  app.get("/fail", (_req, _res, next) => next(new Error("boom")));
  app.get("/forbidden", (_req, _res, next) => next(Object.assign(new Error("no"), { status: 403 })));
  return app;
}
