/**
 * Sending a snapshot file the way Qdrant's `NamedFile` does: `application/octet-stream`, an attachment
 * disposition, `Accept-Ranges: bytes`, and one `Range: bytes=…` honoured with 206 and `Content-Range`
 * (416 when it cannot be satisfied). Errors are plain text, not JSON.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { sendText } from "./http.ts";

/** Streams `file` (named `name` for the client) as the answer to `req`, honouring a single byte range. */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, name: string): Promise<void> {
  const { size } = await stat(file);
  const headers: Record<string, string | number> = {
    "content-type": "application/octet-stream",
    "content-disposition": `attachment; filename="${name.replace(/["\\]/g, "_")}"`,
    "accept-ranges": "bytes",
  };
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    res.setHeader("content-range", `bytes */${size}`);
    sendText(res, 416, "Requested Range Not Satisfiable");
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  headers["content-length"] = Math.max(0, end - start + 1);
  if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(file, { start, end }), res);
}

// --- internal ---

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (several ranges, other units) sends the whole file. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
