/**
 * The value encodings of every object type Redis 7 writes, skipped in place: the restore hands the stored
 * bytes to `RESTORE` untouched, so values are never decoded, only delimited.
 */
import { type Cursor, corrupt } from "./cursor.ts";

/** RDB object type bytes (rdb.h). */
export const RDB_TYPE = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  zset2: 5,
  module: 6,
  module2: 7,
  hashZipmap: 9,
  listZiplist: 10,
  setIntset: 11,
  zsetZiplist: 12,
  hashZiplist: 13,
  listQuicklist: 14,
  streamListpacks: 15,
  hashListpack: 16,
  zsetListpack: 17,
  listQuicklist2: 18,
  streamListpacks2: 19,
  setListpack: 20,
  streamListpacks3: 21,
} as const;

/** The Redis data type a type byte belongs to (as `TYPE key` reports it), or undefined when unknown. */
export function typeName(type: number): string | undefined {
  return TYPE_NAMES[type];
}

/** Skips the value encoding of `type` at the cursor. @throws IntegrityError for a type this parser does not know. */
export function skipValue(c: Cursor, type: number): void {
  switch (type) {
    case RDB_TYPE.string:
    case RDB_TYPE.hashZipmap:
    case RDB_TYPE.listZiplist:
    case RDB_TYPE.setIntset:
    case RDB_TYPE.zsetZiplist:
    case RDB_TYPE.hashZiplist:
    case RDB_TYPE.hashListpack:
    case RDB_TYPE.zsetListpack:
    case RDB_TYPE.setListpack:
      return c.skipString();
    case RDB_TYPE.list:
    case RDB_TYPE.set:
    case RDB_TYPE.listQuicklist:
      for (let n = c.len(); n > 0; n--) c.skipString();
      return;
    case RDB_TYPE.hash:
      for (let n = c.len(); n > 0; n--) {
        c.skipString();
        c.skipString();
      }
      return;
    case RDB_TYPE.zset:
      for (let n = c.len(); n > 0; n--) {
        c.skipString();
        skipOldDouble(c);
      }
      return;
    case RDB_TYPE.zset2:
      for (let n = c.len(); n > 0; n--) {
        c.skipString();
        c.take(8);
      }
      return;
    case RDB_TYPE.listQuicklist2:
      for (let n = c.len(); n > 0; n--) {
        c.len(); // container
        c.skipString();
      }
      return;
    case RDB_TYPE.streamListpacks:
    case RDB_TYPE.streamListpacks2:
    case RDB_TYPE.streamListpacks3:
      return skipStream(c, type);
    default:
      throw corrupt(`the object type ${type} (written by a newer Redis?)`);
  }
}

// --- internal ---

const TYPE_NAMES: Record<number, string> = {
  0: "string",
  1: "list",
  10: "list",
  14: "list",
  18: "list",
  2: "set",
  11: "set",
  20: "set",
  3: "zset",
  5: "zset",
  12: "zset",
  17: "zset",
  4: "hash",
  9: "hash",
  13: "hash",
  16: "hash",
  15: "stream",
  19: "stream",
  21: "stream",
  6: "module",
  7: "module",
};

function repeat(count: number, body: () => void): void {
  for (let i = 0; i < count; i++) body();
}

/** Old-style double: one length byte (253 NaN, 254 +inf, 255 -inf) then that many ASCII bytes. */
function skipOldDouble(c: Cursor): void {
  const len = c.u8();
  if (len < 253) c.take(len);
}

function skipStream(c: Cursor, type: number): void {
  const v2 = type >= RDB_TYPE.streamListpacks2;
  const v3 = type >= RDB_TYPE.streamListpacks3;
  repeat(c.len(), () => (c.skipString(), c.skipString()));
  c.skipLen(); // length
  c.skipLen(); // last id ms
  c.skipLen(); // last id seq
  if (v2) repeat(5, () => c.skipLen()); // first id, max deleted id, entries added
  repeat(c.len(), () => {
    c.skipString(); // group name
    c.skipLen();
    c.skipLen(); // last delivered id
    if (v2) c.skipLen(); // entries read (-1 when unknown)
    repeat(c.len(), () => (c.take(16), c.take(8), c.skipLen())); // group PEL: id, delivery time, count
    repeat(c.len(), () => {
      c.skipString(); // consumer name
      c.take(8); // seen time
      if (v3) c.take(8); // active time
      repeat(c.len(), () => c.take(16)); // consumer PEL ids
    });
  });
}
