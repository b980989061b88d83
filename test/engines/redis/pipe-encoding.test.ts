/**
 * The bytes of the pipelined load: every RESTORE the pipe writes in place (key stored plain or decoded,
 * with or without an expiry, a payload larger than a write buffer) is exactly the command encodeCommand makes
 * from the same key and DUMP payload, across buffer boundaries; replies cut anywhere are matched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type net from "node:net";
import type { RawKeyRecord } from "../../../src/engines/redis/rdb/parser.ts";
import { dumpPayload } from "../../../src/engines/redis/rdb/parser.ts";
import { encodeCommand, RespPipe } from "../../../src/engines/redis/socket.ts";

/** A socket that keeps a copy of every write and answers nothing until told. */
class FakeSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  write(chunk: Buffer): boolean {
    this.written.push(Buffer.from(chunk));
    return true;
  }
  destroy(): void {}
}

test("RESTORE commands are written as encodeCommand writes them, whatever the key, expiry and size", async () => {
  const socket = new FakeSocket();
  const pipe = new RespPipe(socket as unknown as net.Socket, 64 << 20);
  const expected: Buffer[] = [];
  const cases: Array<{ key: Buffer; decoded: boolean; expireAtMs: number | undefined; valueBytes: number }> = [];
  for (let i = 0; i < 3000; i++) {
    // Payload lengths of 1 to 4 digits, 9,999 and 10,000 (the two ways decimals are written), and one larger
    // than a write buffer.
    const valueBytes = i === 1500 ? 700 * 1024 : i === 100 ? 9987 : i === 101 ? 9988 : i % 50 === 7 ? 1000 + 3 * i : (i * 97) % 900;
    cases.push({ key: Buffer.from(i % 7 === 0 ? String(i) : `key:${i}:${"x".repeat(i % 40)}`), decoded: i % 7 === 0, expireAtMs: i % 3 === 0 ? 1_764_000_000_000 + i : i % 11 === 0 ? 9 : undefined, valueBytes });
  }
  cases.push({ key: Buffer.alloc(0), decoded: false, expireAtMs: undefined, valueBytes: 0 });
  for (const [i, c] of cases.entries()) {
    const value = Buffer.alloc(1 + c.valueBytes, (i * 13) & 0xff);
    value[0] = c.valueBytes; // any byte: the pipe copies the value, it does not read it
    // The record's buffer holds a prefix, the key (unless decoded), then the value, as the parser leaves it.
    const buf = Buffer.concat([Buffer.from("prefix"), c.decoded ? Buffer.alloc(0) : c.key, value]);
    const keyStart = 6;
    const keyEnd = c.decoded ? 6 : 6 + c.key.length;
    const record: RawKeyRecord = { kind: "rawKey", db: 0, type: 4, expireAtMs: c.expireAtMs, buf, keyStart, keyEnd, decodedKey: c.decoded ? c.key : undefined, valueStart: keyEnd, valueEnd: buf.length };
    assert.equal(pipe.restore(record, 10), false);
    expected.push(encodeCommand(["RESTORE", c.key, c.expireAtMs ?? 0, dumpPayload(Buffer.concat([Buffer.from([4]), value]), 10), "REPLACE", "ABSTTL"]));
  }
  const drained = pipe.drain();
  // The replies in pieces of 7 bytes: most are whole, some are cut anywhere.
  const replies = Buffer.from("+OK\r\n".repeat(cases.length));
  for (let i = 0; i < replies.length; i += 7) socket.emit("data", replies.subarray(i, i + 7));
  await drained;
  const written = Buffer.concat(socket.written);
  const want = Buffer.concat(expected);
  assert.equal(written.length, want.length);
  assert.ok(written.equals(want), `first difference at byte ${written.findIndex((b, i) => b !== want[i])}`);
  assert.ok(socket.written.length > 3, "the commands went out in several writes");
  pipe.close();
});
