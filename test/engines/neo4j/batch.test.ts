import { test } from "node:test";
import assert from "node:assert/strict";
import { asBatch, classify } from "../../../src/engines/neo4j/batch-statement.ts";
import { parseLiteral } from "../../../src/engines/neo4j/literal-parser.ts";
import { Batcher, needsServer, nodeRow, nodeStatementTail, relationshipRow, relationshipStatementTail } from "../../../src/engines/neo4j/script-format.ts";
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
  const out: string[] = [];
  const embedding = [0.25, -1.5e-7, 3.75];
  for (let i = 0; i < 5; i++) out.push(...batcher.add(tail, nodeRow(BigInt(i), { embedding, n: BigInt(i) })));
  out.push(...batcher.add(tail, nodeRow(9n, { blob: new Int8Array([1, -1]) })));
  out.push(...batcher.add(tail, nodeRow(10n, { "we`ird": "x" })));
  out.push(...batcher.drain());
  const splitter = new StatementSplitter();
  const items = [...splitter.push(out.join("")), ...splitter.end()];
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

test("rows that cypher-shell cannot evaluate exactly itself are recognised", () => {
  const row = (p: Record<string, unknown>): string => nodeRow(1n, p);
  assert.equal(needsServer(row({ embedding: [0.5, -0.25], s: "plain", d: "it's", when: allTypes.dt_zone, t: allTypes.time })), false);
  for (const key of ["f_nan", "f_ninf", "bytes", "dt_zone_dst_first", "dt_zone_dst_second"]) assert.equal(needsServer(row({ [key]: allTypes[key] })), true, key);
  assert.equal(needsServer(row({ "key`tick": 1n })), true);
  assert.equal(needsServer(row({ "two\nlines": 1n })), true);
  assert.equal(needsServer(row({ t: new neo4j.types.Time(1, 2, 3, 4, 3600 + 30) })), true);
});
