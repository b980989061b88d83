/**
 * A counting HTTP proxy in front of the S3 server: every request is forwarded unchanged (method, path, query,
 * headers — `Host` included, so SigV4 signatures still match), streamed both ways, and counted by kind
 * (PutObject, UploadPart, GetObject, ListObjectsV2 …), so that the benchmark reports how many S3 requests one
 * backup or restore makes. Loopback only; plain HTTP.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A running proxy. */
export interface S3Counter {
  /** The endpoint to give the client instead of the real one. */
  endpoint: string;
  /** Requests per kind since the last `reset()`. */
  counts(): Record<string, number>;
  /** Total requests since the last `reset()`. */
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Starts a proxy forwarding to `upstream` (an `http://host:port` S3 endpoint) on a free loopback port. */
export async function startS3Counter(upstream: string): Promise<S3Counter> {
  const target = new URL(upstream);
  if (target.protocol !== "http:") throw new Error(`the counting proxy forwards plain HTTP only, not ${target.protocol}`);
  let counts: Record<string, number> = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const kind = requestKind(req.method ?? "GET", req.url ?? "/", req.headers);
    counts[kind] = (counts[kind] ?? 0) + 1;
    const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    });
    forward.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err.message));
    });
    req.pipe(forward);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => (counts = {}),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

// --- internal ---

/** The S3 operation a request is, from its method and query (path-style or virtual-host addressing alike). */
function requestKind(method: string, url: string, headers: http.IncomingHttpHeaders): string {
  const parsed = new URL(url, "http://proxy");
  const q = parsed.searchParams;
  const hasKey = parsed.pathname.split("/").filter(Boolean).length > 1;
  switch (method) {
    case "PUT":
      if (q.has("partNumber")) return headers["x-amz-copy-source"] ? "UploadPartCopy" : "UploadPart";
      if (headers["x-amz-copy-source"]) return "CopyObject";
      return hasKey ? "PutObject" : "PutBucket*";
    case "POST":
      if (q.has("uploads")) return "CreateMultipartUpload";
      if (q.has("uploadId")) return "CompleteMultipartUpload";
      if (q.has("delete")) return "DeleteObjects";
      return "POST";
    case "GET":
      if (q.has("uploadId")) return "ListParts";
      if (!hasKey) return q.get("list-type") === "2" ? "ListObjectsV2" : q.has("versions") ? "ListObjectVersions" : "ListObjects";
      return "GetObject";
    case "HEAD":
      return hasKey ? "HeadObject" : "HeadBucket";
    case "DELETE":
      return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    default:
      return method;
  }
}
