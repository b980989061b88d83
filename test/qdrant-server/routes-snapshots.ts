/**
 * Collection snapshot endpoints of the Qdrant test server, behaving like Qdrant 1.19 on one node: create
 * (`wait` defaults to true, `wait=false` answers 202), list, download (raw file, byte ranges, plain-text
 * errors), delete, recover from an upload (multipart field `snapshot`, optional sha256 `checksum` checked
 * before anything changes; the uploaded file stays in the collection's snapshot folder under its multipart
 * file name until the client deletes it) and recover from a `file://` or `http(s)://` location.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sendFile } from "./download.ts";
import { QdrantHttpError, accepted, ok, qdrantErrors, sendText, waitParam } from "./http.ts";
import type { Reply, RouteContext, RouteHandler } from "./http.ts";
import { recoverCollection } from "./recover.ts";
import { name } from "./routes-collections.ts";
import type { ServerState } from "./routes-collections.ts";
import { creationTime, sha256File, snapshotName, writeSnapshot } from "./snapshot.ts";
import type { SnapshotInfo } from "./snapshot.ts";
import { downloadSnapshot, receiveSnapshotUpload } from "./upload.ts";

/** Handlers of the collection snapshot operations, by `operationId`. */
export function snapshotRoutes(state: ServerState): Record<string, RouteHandler> {
  const { store } = state;

  /** Answers after `work` (wait=true) or at once with 202 while it runs on (wait=false). */
  const maybeWait = async (ctx: RouteContext, what: string, work: () => Promise<unknown>): Promise<Reply> => {
    if (waitParam(ctx.query)) return ok(ctx, await work());
    state.background(what, work);
    return accepted(ctx);
  };

  return {
    create_snapshot: async (ctx) => {
      const collection = store.get(name(ctx));
      return maybeWait(ctx, `snapshot of ${collection.name}`, () =>
        collection.exclusive(async (): Promise<SnapshotInfo> => {
          const dir = store.snapshotDir(collection.name);
          await mkdir(dir, { recursive: true });
          const at = new Date();
          const snapshot = snapshotName(collection.name, store.peerId, at);
          const file = path.join(dir, snapshot);
          const { size, checksum } = await writeSnapshot(collection, state.version, file);
          // Like Qdrant, the reported time is the file's, so create and list agree.
          return { name: snapshot, creation_time: creationTime((await stat(file)).mtime), size, checksum };
        }),
      );
    },

    list_snapshots: async (ctx) => {
      const collection = store.get(name(ctx));
      const dir = store.snapshotDir(collection.name);
      const files = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile() && e.name.endsWith(".snapshot"));
      const list = [];
      for (const file of files.map((e) => e.name).sort()) {
        const full = path.join(dir, file);
        const info = await stat(full).catch(() => undefined);
        if (!info) continue;
        const checksum = (await readFile(`${full}.checksum`, "utf8").catch(() => undefined))?.trim();
        list.push({ name: file, creation_time: creationTime(info.mtime), size: info.size, ...(checksum ? { checksum } : {}) });
      }
      return ok(ctx, list);
    },

    get_snapshot: async (ctx) => {
      try {
        const collection = store.get(name(ctx));
        const snapshot = ctx.op.params.snapshot_name ?? "";
        const file = await existingSnapshot(store.snapshotDir(collection.name), snapshot);
        await sendFile(ctx.req, ctx.res, file, snapshot);
      } catch (err) {
        // Qdrant's download answers errors as plain text, not in the JSON envelope.
        if (!(err instanceof QdrantHttpError) || ctx.res.headersSent) throw err;
        sendText(ctx.res, err.status, err.message);
      }
      return { handled: true };
    },

    delete_snapshot: async (ctx) => {
      const collection = store.get(name(ctx));
      const file = await existingSnapshot(store.snapshotDir(collection.name), ctx.op.params.snapshot_name ?? "");
      return maybeWait(ctx, `deletion of ${file}`, async () => {
        await rm(file);
        await rm(`${file}.checksum`, { force: true });
        return true;
      });
    },

    recover_from_uploaded_snapshot: async (ctx) => {
      const collectionName = name(ctx);
      const expected = checksumParam(ctx.query.get("checksum"));
      const upload = await receiveSnapshotUpload(ctx.req, store.tmpPath("upload"));
      return maybeWait(ctx, `recovery of ${collectionName} from an upload`, async () => {
        if (expected && expected !== upload.sha256) {
          await rm(upload.file, { force: true });
          throw qdrantErrors.checksumMismatch(expected, upload.sha256);
        }
        const dir = store.snapshotDir(collectionName);
        await mkdir(dir, { recursive: true });
        const kept = path.join(dir, safeFileName(upload.fileName));
        await rename(upload.file, kept);
        await rm(`${kept}.checksum`, { force: true });
        await recoverCollection(store, collectionName, kept);
        return true;
      });
    },

    recover_from_snapshot: async (ctx) => {
      const collectionName = name(ctx);
      const body = (ctx.body ?? {}) as { location?: string; checksum?: string | null; api_key?: string | null };
      const expected = checksumParam(body.checksum ?? null);
      const location = URL.parse(body.location ?? "");
      if (!location) throw qdrantErrors.badRequest(`location ${JSON.stringify(body.location)} is not a URL`);
      return maybeWait(ctx, `recovery of ${collectionName} from ${location.protocol}`, async () => {
        if (location.protocol === "file:") {
          const file = await localSnapshot(store.dataDir, fileURLToPath(location));
          const actual = expected ? await sha256File(file) : undefined;
          if (expected && expected !== actual) throw qdrantErrors.checksumMismatch(expected, actual ?? "");
          await recoverCollection(store, collectionName, file);
          return true;
        }
        if (location.protocol !== "http:" && location.protocol !== "https:") {
          throw qdrantErrors.badRequest(`Unsupported snapshot location scheme ${location.protocol} (use file, http or https)`);
        }
        const download = await downloadSnapshot(location, store.tmpPath("download"), body.api_key ?? undefined);
        try {
          if (expected && expected !== download.sha256) throw qdrantErrors.checksumMismatch(expected, download.sha256);
          await recoverCollection(store, collectionName, download.file);
        } finally {
          await rm(download.file, { force: true });
        }
        return true;
      });
    },
  };
}

// --- internal ---

/** The sha256 a client asked to verify (lowercase), or Qdrant's 422 when it is not 64 hex digits. */
function checksumParam(raw: string | null): string | undefined {
  if (raw === null || raw === "") return undefined;
  if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw qdrantErrors.validation("query parameters", `[checksum]: ${JSON.stringify(raw)} is not a SHA256 hash (64 hex digits)`);
  return raw.toLowerCase();
}

/** The path of snapshot `snapshot` in `dir`, or Qdrant's 404 (names that leave the folder never match). */
async function existingSnapshot(dir: string, snapshot: string): Promise<string> {
  const plain = snapshot.length > 0 && path.basename(snapshot) === snapshot && snapshot !== "." && snapshot !== "..";
  const file = path.join(dir, snapshot);
  if (!plain || !(await stat(file).then((s) => s.isFile(), () => false))) throw qdrantErrors.snapshotMissing(snapshot);
  return file;
}

/** Qdrant keeps only the last path component of an uploaded file name; none (or `..`) becomes a UUID. */
function safeFileName(fileName: string | undefined): string {
  const base = path.basename(fileName ?? "");
  return base && base !== "." && base !== ".." ? base : randomUUID();
}

/** A `file://` snapshot must be inside the server's snapshots folder, as Qdrant requires. */
async function localSnapshot(dataDir: string, file: string): Promise<string> {
  const root = await realpath(path.join(dataDir, "snapshots"));
  const real = await realpath(file).catch(() => {
    throw qdrantErrors.notFound(`Snapshot file ${file} does not exist`);
  });
  if (!real.startsWith(`${root}${path.sep}`)) throw qdrantErrors.badRequest(`Snapshot file ${file} must be inside the snapshots directory ${root}`);
  return real;
}
