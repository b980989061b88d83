import { test } from "node:test";
import assert from "node:assert/strict";
import { asBatch, classify } from "../../../src/engines/neo4j/batch-statement.ts";
import { nodeRow, nodeStatementTail, relationshipRow, relationshipStatementTail } from "../../../src/engines/neo4j/script-format.ts";
import { canonical } from "./compare.ts";

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
