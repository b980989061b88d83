import { test } from "node:test";
import assert from "node:assert/strict";
import neo4j from "neo4j-driver";
import { writeValue, writeFloat, writeName } from "../../../src/engines/neo4j/literal-writer.ts";
import { parseLiteral, NotALiteral } from "../../../src/engines/neo4j/literal-parser.ts";
import { canonical } from "./compare.ts";

const t = neo4j.types;

const samples: unknown[] = [
  "",
  "plain",
  "it's a \"quote\" \\ backslash \\' and \n newline \r\n tab\t and \u0000 nul \u0007 bell",
  "emoji 😀👩‍👩‍👧 and 中文 and \u2028 separators \u2029",
  "x".repeat(100_000),
  "`backticks` ; semicolon // not a comment /* nor this */",
  0n,
  9223372036854775807n,
  -9223372036854775808n,
  9007199254740993n,
  1.5,
  0.1,
  -0,
  0,
  NaN,
  Infinity,
  -Infinity,
  1e21,
  5e-324,
  1.7976931348623157e308,
  -123456.789e-20,
  3,
  true,
  false,
  new Int8Array([0, 1, -1, 127, -128, 10, 13, 39, 92]),
  new Int8Array([]),
  ["a", "b'c"],
  [1n, -2n, 9223372036854775807n],
  [1, 2.5, NaN, -0, Infinity],
  [true, false],
  [],
  new t.Date(2024, 2, 29),
  new t.Date(1, 1, 1),
  new t.LocalTime(23, 59, 59, 999999999),
  new t.Time(0, 0, 0, 1, 3600),
  new t.Time(12, 30, 15, 0, -(5 * 3600 + 30 * 60 + 15)),
  new t.LocalDateTime(1999, 12, 31, 23, 59, 59, 123456789),
  new t.DateTime(2024, 10, 27, 2, 30, 0, 5, 3600, "Europe/Paris"),
  new t.DateTime(2024, 10, 27, 2, 30, 0, 5, 7200, "Europe/Paris"),
  new t.DateTime(2020, 1, 1, 0, 0, 0, 0, 0, null),
  new t.DateTime(2020, 6, 1, 12, 0, 0, 0, -25200, null),
  new t.Duration(neo4j.int(14), neo4j.int(-3), neo4j.int(-9223372036), neo4j.int(854775807)),
  new t.Duration(neo4j.int(0), neo4j.int(0), neo4j.int(1), neo4j.int(1)),
  new t.Point(7203, 1.5, -2.25),
  new t.Point(9157, 1, 2, 3),
  new t.Point(4326, 2.3522, 48.8566),
  new t.Point(4979, -0.1276, 51.5072, 11.5),
  Array.from({ length: 1536 }, (_, i) => Math.sin(i) / 3),
  [new t.Date(2020, 1, 2), new t.Date(2021, 3, 4)],
  [new t.Point(7203, 0, 0), new t.Point(7203, 1, 1)],
];

test("every property value survives writeValue → parseLiteral exactly", () => {
  for (const value of samples) {
    const text = writeValue(value);
    const { value: back, end } = parseLiteral(text);
    assert.equal(end, text.length, text.slice(0, 80));
    assert.deepEqual(canonical(back), canonical(value), text.slice(0, 80));
  }
});

test("a map of awkward keys round-trips", () => {
  const map = { "with space": 1n, "back`tick": "v", MATCH: true, __proto__x: 2.5, "": "empty key" };
  const text = writeValue(map);
  assert.deepEqual(canonical(parseLiteral(text).value), canonical(map));
});

test("floats are always written as FLOAT literals, specials as functions", () => {
  assert.equal(writeFloat(3), "3.0");
  assert.equal(writeFloat(-0), "-0.0");
  assert.equal(writeFloat(1e21), "1.0e21");
  assert.equal(writeFloat(1.5e-7), "1.5e-7");
  assert.equal(writeFloat(NaN), "toFloat('NaN')");
  assert.equal(writeFloat(-Infinity), "toFloat('-Infinity')");
});

test("a list of plain floats (an embedding) is written exactly as element-wise writing would", () => {
  const embedding = Array.from({ length: 1536 }, (_, i) => Math.sin(i + 1) / 7);
  const slow = `[${embedding.map((x) => writeFloat(x)).join(",")}]`;
  assert.equal(writeValue(embedding), slow);
  for (const mixed of [[0.5, 3], [0.5, 1e-7], [0.5, 1e21], [0.25, NaN], [0.5, -0]]) {
    assert.equal(writeValue(mixed), `[${mixed.map((x) => writeFloat(x)).join(",")}]`, String(mixed));
  }
});

test("names are always backticked with inner backticks doubled", () => {
  assert.equal(writeName("a`b"), "`a``b`");
  assert.equal(writeName("Person"), "`Person`");
});

test("APOC spellings are read too", () => {
  const text = `[{name: "it\\"s", d: duration('P1Y2M3DT4H5M6.5S'), p: point({x: 1.0, y: 2.0, crs: 'cartesian'}),
    g: point({longitude: 1.0, latitude: 2.0, height: 3.0, crs: 'wgs-84-3d'}), dt: datetime('2018-10-30T12:00+01:00[Europe/Berlin]'),
    t: time('10:00Z'), n: -Infinity, m: NaN}]`;
  const [row] = parseLiteral(text).value as Array<Record<string, unknown>>;
  assert.ok(row);
  assert.equal(row.name, 'it"s');
  assert.deepEqual(canonical(row.d), canonical(new t.Duration(neo4j.int(14), neo4j.int(3), neo4j.int(14706), neo4j.int(500000000))));
  assert.deepEqual(canonical(row.p), canonical(new t.Point(7203, 1, 2)));
  assert.deepEqual(canonical(row.g), canonical(new t.Point(4979, 1, 2, 3)));
  assert.deepEqual(canonical(row.dt), canonical(new t.DateTime(2018, 10, 30, 12, 0, 0, 0, 3600, "Europe/Berlin")));
  assert.deepEqual(canonical(row.t), canonical(new t.Time(10, 0, 0, 0, 0)));
  assert.equal(row.n, -Infinity);
  assert.ok(Number.isNaN(row.m));
});

test("expressions that are not literals are refused", () => {
  for (const text of ["[n.name]", "[rand()]", "[{a: 1 + 2}]", "['unterminated", "[toFloat('abc')]", "[date('soon')]"]) {
    assert.throws(() => parseLiteral(text), NotALiteral, text);
  }
});
