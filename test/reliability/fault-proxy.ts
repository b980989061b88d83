/**
 * A fault-injecting HTTP proxy for tests, in front of a real S3 server: it forwards each request unchanged
 * (the Host header included, so SigV4 signatures still match) and, for a seeded random share of them, answers
 * with a fault instead: 500 InternalError, 503 SlowDown, a connection reset (before or after the request
 * body), a stall before forwarding, or a response cut off part-way. Every fault is counted and logged. A test
 * can also queue exact faults for the next requests (`next`), among them one never drawn at random: `corrupt`,
 * which forwards the request with one byte of its body changed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Transform } from "node:stream";
import { Rng } from "../fixtures/random.ts";

export const FAULT_KINDS = ["500", "503 SlowDown", "reset", "stall", "truncate"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number] | "corrupt";

export interface FaultProxy {
  url: string;
  /** Faults injected so far, in order: what, on which request. */
  readonly injected: { kind: FaultKind; request: string }[];
  /** Share of requests that get a fault (0 turns faults off). */
  rate: number;
  /** Faults for the next requests, one each, in order, before any random one (a test's exact scenario). */
  next: FaultKind[];
  /** A fault for every request it names (method and URL with its query), checked before `next`. */
  rule?: (method: string, url: string) => FaultKind | undefined;
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port. `stallMs` is how long a stalled request waits. */
export async function startFaultProxy(upstream: string, seed: number, options: { rate?: number; stallMs?: number } = {}): Promise<FaultProxy> {
  const rng = new Rng(seed);
  const target = new URL(upstream);
  const injected: { kind: FaultKind; request: string }[] = [];
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = { url: "", injected, rate: options.rate ?? 0.1, next: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const fault = proxy.rule?.(req.method ?? "", req.url ?? "") ?? proxy.next.shift() ?? (rng.float() < proxy.rate ? FAULT_KINDS[rng.int(0, FAULT_KINDS.length - 1)] : undefined);
    const what = `${req.method ?? "?"} ${(req.url ?? "").split("?")[0] ?? ""}${/[?&]uploadId=/.test(req.url ?? "") ? " (multipart)" : ""}`;
    if (fault) injected.push({ kind: fault, request: what });
    const cutAt = rng.float();
    void handle(req, res, fault, cutAt);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, fault: FaultKind | undefined, cutAt: number): Promise<void> => {
    if (fault === "reset" && cutAt < 0.5) return void req.socket.destroy();
    if (fault === "500" || fault === "503 SlowDown" || fault === "reset") {
      await drain(req);
      if (fault === "reset") return void req.socket.destroy();
      const [status, code] = fault === "500" ? [500, "InternalError"] : [503, "SlowDown"];
      const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected fault</Message><RequestId>fault</RequestId></Error>`;
      res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
      return void res.end(body);
    }
    if (fault === "stall") {
      // A client that gives up (its timeout) ends the stall: nothing is forwarded for it.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, options.stallMs ?? 1500);
        req.socket.once("close", () => resolve(clearTimeout(timer)));
      });
      if (req.socket.destroyed) return;
    }
    const upstreamReq = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      const length = Number(up.headers["content-length"] ?? -1);
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (fault !== "truncate" || length <= 1) return void up.pipe(res);
      // Send part of the announced body, then drop the connection.
      let left = Math.max(1, Math.floor(length * cutAt * 0.9));
      up.on("data", (chunk: Buffer) => {
        if (left <= 0) return;
        const part = chunk.subarray(0, left);
        left -= part.length;
        if (left > 0) return void res.write(part);
        up.destroy();
        // Closed after the part is flushed (a destroy would drop it): the client gets the headers and part of
        // the body, then the end of the connection.
        res.write(part);
        req.socket.end();
      });
      up.on("end", () => req.socket.destroy());
    });
    upstreamReq.on("error", () => req.socket.destroy());
    if (fault === "corrupt") return void req.pipe(flipOneByte(Math.floor(Number(req.headers["content-length"] ?? 1) * cutAt))).pipe(upstreamReq);
    req.pipe(upstreamReq);
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

// --- internal ---

/** A pass-through that inverts the bits of the byte at `offset` (of the whole stream), same length. */
function flipOneByte(offset: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (offset >= seen && offset < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - seen] = ~(copy[offset - seen] ?? 0) & 0xff;
        chunk = copy;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on("data", () => undefined);
    req.on("end", resolve);
    req.on("error", () => resolve());
    req.on("close", resolve);
  });
}
