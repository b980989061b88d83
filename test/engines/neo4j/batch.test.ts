import { test } from "node:test";
import assert from "node:assert/strict";
import { asBatch, classify } from "../../../src/engines/neo4j/batch-statement.ts";
import { parseLiteral } from "../../../src/engines/neo4j/literal-parser.ts";
import { Batcher } from "../../../src/engines/neo4j/batcher.ts";
import type { WriteNotes } from "../../../src/engines/neo4j/literal-writer.ts";
import { nodeRow, nodeStatementTail, relationshipRow, relationshipStatementTail } from "../../../src/engines/neo4j/script-format.ts";
import { StatementSplitter } from "../../../src/engines/neo4j/statement-splitter.ts";
import neo4j from "neo4j-driver";
import { canonical } from "./compare.ts";
import { allTypes } from "./fixture.ts";

test("the script's node and relationship batches are recognised and classified for merging", () => {
  const node = `UNWIND [${nodeRow(1n, { name: "a (b) [c]", "we`ird": 1.5 })}, ${nodeRow(2n, {})}] AS row ${nodeStatementTail(["Person", "with space", "pa(ren"])}`;
  const batch = asBatch(node, {});
  assert.ok(batch);
  assert.equal(batch.query, `UNWIND $rows AS row ${nodeStatementTail(["Person", "with space", "pa(ren"])}`);
  assert.deepEqual(canonical(batch.rows), canonical([{ i: 1n, p: { name: "a (b) [c]", "we`ird": 1.5 } }, { i: 2n, p: {} }]));
  assert.equal(classify(batch.query), "nodes");

  const rel = `UNWIND [${relationshipRow(1n, 2n, { w: 1n })}] AS row ${relationshipStatementTail("KNOWS (x)")}`;
  const relBatch = asBatch(rel, {});
  assert.ok(relBatch);
  assert.equal(classify(relBatch.query), "rels");
});

test("APOC's UNWIND_BATCH statements are recognised, with params and newlines", () => {
  const apocNode = "UNWIND [{_id:3, properties:{k:\"x\"}}] AS row\nCREATE (n:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row._id}) SET n += row.properties SET n:Person";
  const b = asBatch(apocNode, {});
  assert.ok(b);
  assert.equal(classify(b.query), "nodes");
  const apocRel = "UNWIND $rels AS row\nMATCH (start:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row.start._id})\nMATCH (end:Person{k: row.end.k})\nCREATE (start)-[r:KNOWS]->(end) SET r += row.properties";
  const r = asBatch(apocRel, { rels: [{ start: { _id: 1n }, end: { k: "x" }, properties: {} }] });
  assert.ok(r);
  assert.equal(r.rows.length, 1);
  assert.equal(classify(r.query), "rels");
});

test("statements that must keep their order or are not batches are left alone", () => {
  assert.equal(asBatch("MATCH (n) RETURN n", {}), undefined);
  assert.equal(asBatch("UNWIND range(1, 10) AS i CREATE (:N {i: i})", {}), undefined);
  assert.equal(asBatch("UNWIND [n.x] AS i CREATE (:N {i: i})", {}), undefined);
  assert.equal(classify("UNWIND $rows AS row MERGE (n:N {k: row.k})"), undefined);
  assert.equal(classify("UNWIND $rows AS row MATCH (a)-[:R]->(b) CREATE (a)-[:S]->(b)"), undefined);
  assert.equal(classify("UNWIND $rows AS row MATCH (a:N {k: row.k}) CREATE (a)-[:S]->(:M)"), undefined);
  assert.equal(classify("UNWIND $rows AS row CREATE (a:N)-[:R]->(b:N)"), undefined);
});

test("the Batcher writes rows as a :param and one constant statement text per tail; rows cypher-shell cannot evaluate go into small literal batches", () => {
  const tail = nodeStatementTail(["Chunk"]);
  const batcher = new Batcher({ rows: 3, chars: 1024 * 1024 });
  const out: Buffer[] = [];
  const embedding = [0.25, -1.5e-7, 3.75];
  const add = (row: (notes: WriteNotes) => string): void => {
    const notes = { needsServer: false };
    const text = row(notes);
    out.push(...batcher.add(tail, text, notes.needsServer));
  };
  for (let i = 0; i < 5; i++) add((notes) => nodeRow(BigInt(i), { embedding, n: BigInt(i) }, notes));
  add((notes) => nodeRow(9n, { blob: new Int8Array([1, -1]) }, notes));
  add((notes) => nodeRow(10n, { "we`ird": "x" }, notes));
  out.push(...batcher.drain());
  const splitter = new StatementSplitter();
  const items = [...splitter.push(Buffer.concat(out).toString("utf8")), ...splitter.end()];
  const params: Record<string, unknown> = {};
  const batches: Array<{ literal: boolean; ids: bigint[]; rows: Array<{ i: bigint; p: Record<string, unknown> }> }> = [];
  for (const item of items) {
    if (item.kind === "command") {
      assert.match(item.text, /^:param \{rows: \[/);
      Object.assign(params, parseLiteral(item.text, item.text.indexOf("{")).value);
    } else if (item.kind === "statement") {
      const batch = asBatch(item.text, params);
      assert.ok(batch);
      // A :param batch's statement is the same text whatever its rows: no float of the rows reaches the server's parser.
      if (batch.fromParameter) assert.equal(item.text, `UNWIND $rows AS row ${tail}`);
      const rows = batch.rows as Array<{ i: bigint; p: Record<string, unknown> }>;
      batches.push({ literal: !batch.fromParameter, ids: rows.map((r) => r.i), rows });
    }
  }
  assert.deepEqual(batches.map((b) => [b.literal, b.ids]), [[false, [0n, 1n, 2n]], [false, [3n, 4n]], [true, [9n, 10n]]]);
  assert.deepEqual(canonical(batches[0]?.rows[0]?.p), canonical({ embedding, n: 0n }));
  assert.deepEqual(canonical(batches[2]?.rows[0]?.p), canonical({ blob: new Int8Array([1, -1]) }));
});

test("rows that cypher-shell cannot evaluate exactly itself are recognised while they are written", () => {
  const needsServer = (p: Record<string, unknown>): boolean => {
    const notes = { needsServer: false };
    nodeRow(1n, p, notes);
    return notes.needsServer;
  };
  const text = "apoc.util.compress( toFloat( `` +01:00:30' two\nlines";
  assert.equal(needsServer({ embedding: [0.5, -0.25], s: "plain", d: "it's", when: allTypes.dt_zone, t: allTypes.time, text, [text.slice(0, 5)]: 1n }), false);
  for (const key of ["f_nan", "f_ninf", "bytes", "dt_zone_dst_first", "dt_zone_dst_second"]) assert.equal(needsServer({ [key]: allTypes[key] }), true, key);
  assert.equal(needsServer({ list: [1.5, Infinity] }), true);
  assert.equal(needsServer({ point: new neo4j.types.Point(7203, 1, NaN) }), true);
  // A key is written once and remembered: the second row with it must be recognised too.
  for (let i = 0; i < 2; i++) assert.equal(needsServer({ "key`tick": 1n }), true);
  assert.equal(needsServer({ "two\nlines": 1n }), true);
  assert.equal(needsServer({ t: new neo4j.types.Time(1, 2, 3, 4, 3600 + 30) }), true);
  assert.equal(needsServer({ dt: new neo4j.types.DateTime(2024, 1, 1, 0, 0, 0, 0, -(3600 + 30), null) }), true);
});

test("the Batcher's buffers hold the exact UTF-8 of any rows: multi-byte text, rows longer than a buffer, batches that follow a size hint", () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = ["a", "é", "中", "中中中中", "😀", "'", ", ", "x".repeat(100)];
  const limits = { rows: 7, chars: 50_000 };
  const tails = [nodeStatementTail(["A"]), relationshipStatementTail("R")];
  const batcher = new Batcher(limits);
  const out: Buffer[] = [];
  // The model: the same grouping with plain strings.
  const open = new Map<string, string[]>();
  const chars = new Map<string, number>();
  let expected = "";
  const close = (tail: string): void => {
    expected += `:param {rows: [${(open.get(tail) ?? []).join(", ")}]}\nUNWIND $rows AS row ${tail};\n`;
    open.delete(tail);
    chars.delete(tail);
  };
  for (let i = 0; i < 3000; i++) {
    const tail = tails[random(tails.length)] ?? "";
    const length = random(10) === 0 ? 20_000 + random(60_000) : random(200);
    let text = "";
    while (text.length < length) text += pieces[random(pieces.length)];
    const row = nodeRow(BigInt(i), { text });
    out.push(...batcher.add(tail, row));
    open.set(tail, [...(open.get(tail) ?? []), row]);
    chars.set(tail, (chars.get(tail) ?? 0) + row.length + 2);
    if ((open.get(tail)?.length ?? 0) >= limits.rows || (chars.get(tail) ?? 0) >= limits.chars) close(tail);
  }
  out.push(...batcher.drain());
  for (const tail of [...open.keys()]) close(tail);
  assert.equal(Buffer.concat(out).toString("utf8"), expected);
});
