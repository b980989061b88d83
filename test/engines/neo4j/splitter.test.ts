import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { StatementSplitter, splitScript, type ScriptItem } from "../../../src/engines/neo4j/statement-splitter.ts";

const script = [
  "// header comment",
  ":begin",
  "CREATE (n {s: 'a;b', t: \"c;d\", u: 'it\\'s;', `we;ird`: 1});",
  "MATCH (n) /* block ; comment */ RETURN n // trailing ; comment",
  ";",
  "  UNWIND [{s: 'x\\\\'}] AS row CREATE (m {s: row.s});",
  ":param rows => [1, 2]",
  ":commit",
  "// stackvault:end nodes=1",
  "RETURN 'no semicolon'",
].join("\n");

const expected: ScriptItem[] = [
  { kind: "comment", text: "// header comment" },
  { kind: "command", text: ":begin" },
  { kind: "statement", text: "CREATE (n {s: 'a;b', t: \"c;d\", u: 'it\\'s;', `we;ird`: 1})", complete: true },
  { kind: "statement", text: "MATCH (n) /* block ; comment */ RETURN n // trailing ; comment", complete: true },
  { kind: "statement", text: "UNWIND [{s: 'x\\\\'}] AS row CREATE (m {s: row.s})", complete: true },
  { kind: "command", text: ":param rows => [1, 2]" },
  { kind: "command", text: ":commit" },
  { kind: "comment", text: "// stackvault:end nodes=1" },
  { kind: "statement", text: "RETURN 'no semicolon'", complete: false },
];

test("splits statements, commands and comments like cypher-shell", () => {
  const s = new StatementSplitter();
  assert.deepEqual([...s.push(script), ...s.end()], expected);
});

test("gives the same result whatever the chunk boundaries", () => {
  for (const size of [1, 2, 3, 7, 64]) {
    const s = new StatementSplitter();
    const items: ScriptItem[] = [];
    for (let i = 0; i < script.length; i += size) items.push(...s.push(script.slice(i, i + size)));
    items.push(...s.end());
    assert.deepEqual(items, expected, `chunk size ${size}`);
  }
});

test("splits a byte stream with multi-byte characters cut across chunks", async () => {
  const text = "RETURN '😀;é';\nRETURN 2;\n";
  const bytes = Buffer.from(text);
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  const items: ScriptItem[] = [];
  for await (const item of splitScript(Readable.from(chunks))) items.push(item);
  assert.deepEqual(items, [
    { kind: "statement", text: "RETURN '😀;é'", complete: true },
    { kind: "statement", text: "RETURN 2", complete: true },
  ]);
});

test("a script cut inside a string reports an incomplete statement", () => {
  const s = new StatementSplitter();
  const items = [...s.push("RETURN 1;\nUNWIND ['abc;"), ...s.end()];
  assert.deepEqual(items.at(-1), { kind: "statement", text: "UNWIND ['abc;", complete: false });
});
