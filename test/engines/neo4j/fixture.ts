/**
 * The Neo4j fidelity fixture (every property type, awkward names, unlabelled nodes, self-loops, parallel
 * relationships, every kind of index Community Edition has), a generated graph for throughput, and exact
 * snapshots of a database's content and schema for comparisons.
 */
import neo4j, { type Driver } from "neo4j-driver";
import { canonical } from "./compare.ts";

const t = neo4j.types;

/** Connection settings from the harness; fails (never skips) when they are missing. */
export function neo4jEnv(): { uri: string; user: string; password: string } {
  const { NEO4J_URI: uri, NEO4J_USER: user, NEO4J_PASSWORD: password } = process.env;
  if (!uri || !password) throw new Error("NEO4J_URI and NEO4J_PASSWORD must be set (run the tests through `npm test`).");
  return { uri, user: user ?? "neo4j", password };
}

export function testDriver(env = neo4jEnv()): Driver {
  return neo4j.driver(env.uri, neo4j.auth.basic(env.user, env.password), { useBigInt: true, logging: { level: "error", logger: () => {} } });
}

export async function run(driver: Driver, cypher: string, params: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> {
  const session = driver.session({ database: "neo4j" });
  try {
    return (await session.run(cypher, params)).records.map((r) => r.toObject() as Record<string, unknown>);
  } finally {
    await session.close();
  }
}

/** Deletes everything, schema included. */
export async function wipe(driver: Driver): Promise<void> {
  await run(driver, "MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 10000 ROWS");
  await run(driver, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
  for (const r of await run(driver, "SHOW CONSTRAINTS YIELD name")) await run(driver, `DROP CONSTRAINT \`${String(r.name)}\``);
  for (const r of await run(driver, "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")) await run(driver, `DROP INDEX \`${String(r.name)}\``);
}

export const embedding = Array.from({ length: 1536 }, (_, i) => Math.sin(i * 0.37) / (1 + (i % 7)));

/** Every property type, once as a value and once in a list where Neo4j allows it. */
export const allTypes: Record<string, unknown> = {
  s_plain: "hello",
  s_quotes: "it's \"quoted\" `ticked`",
  s_backslash: "C:\\path\\to\\file \\' \\n literally",
  s_newlines: "line1\nline2\r\nline3\ttabbed",
  s_emoji: "😀 👩‍👩‍👧 中文 ünïcödé \u2028",
  s_control: "nul\u0000bell\u0007esc\u001b",
  s_semicolon: "a; b; // c /* d */",
  s_empty: "",
  s_long: "long-".repeat(60_000),
  i_zero: 0n,
  i_max: 9223372036854775807n,
  i_min: -9223372036854775808n,
  i_big: 9007199254740993n,
  i_neg: -42n,
  f_pi: Math.PI,
  f_nan: NaN,
  f_inf: Infinity,
  f_ninf: -Infinity,
  f_negzero: -0,
  f_zero: 0,
  f_integral: 3,
  f_tiny: 5e-324,
  f_huge: 1.7976931348623157e308,
  b_true: true,
  b_false: false,
  bytes: new Int8Array([0, 1, -1, 127, -128, 39, 92, 10, 13, 59]),
  bytes_empty: new Int8Array([]),
  l_strings: ["a", "b'c", "", "😀"],
  l_ints: [1n, -9223372036854775808n, 9223372036854775807n],
  l_floats: [1.5, NaN, -0, Infinity, -Infinity, 2],
  l_bools: [true, false, true],
  l_dates: [new t.Date(2020, 1, 31), new t.Date(1, 1, 1)],
  l_datetimes: [new t.DateTime(2024, 3, 31, 2, 30, 0, 0, 3600, null)],
  l_points: [new t.Point(7203, 1, 2), new t.Point(7203, -3.5, 4.25)],
  l_durations: [new t.Duration(neo4j.int(1), neo4j.int(2), neo4j.int(3), neo4j.int(4))],
  date: new t.Date(2024, 2, 29),
  time: new t.Time(23, 59, 59, 999999999, 5 * 3600 + 30 * 60),
  time_neg: new t.Time(1, 2, 3, 4, -(9 * 3600)),
  localtime: new t.LocalTime(0, 0, 0, 1),
  dt_offset: new t.DateTime(2024, 6, 1, 12, 0, 0, 123456789, -7 * 3600, null),
  dt_utc: new t.DateTime(1970, 1, 1, 0, 0, 0, 0, 0, null),
  dt_zone: new t.DateTime(2024, 7, 14, 10, 30, 0, 1, 7200, "Europe/Paris"),
  dt_zone_dst_first: new t.DateTime(2024, 10, 27, 2, 30, 0, 0, 7200, "Europe/Paris"),
  dt_zone_dst_second: new t.DateTime(2024, 10, 27, 2, 30, 0, 0, 3600, "Europe/Paris"),
  dt_zone_far: new t.DateTime(2031, 1, 1, 0, 0, 0, 0, 9 * 3600, "Asia/Tokyo"),
  localdatetime: new t.LocalDateTime(1999, 12, 31, 23, 59, 59, 999999999),
  duration: new t.Duration(neo4j.int(14), neo4j.int(-3), neo4j.int(86_461), neo4j.int(999_999_999)),
  duration_neg: new t.Duration(neo4j.int(-1), neo4j.int(0), neo4j.int(-5), neo4j.int(1)),
  p_cart: new t.Point(7203, 1.5, -2.25),
  p_cart3d: new t.Point(9157, 1, 2, 3),
  p_wgs: new t.Point(4326, 2.3522, 48.8566),
  p_wgs3d: new t.Point(4979, -0.1276, 51.5072, 11.5),
  embedding,
  "key with space": "spaced",
  "key`tick": "ticked",
  MATCH: "keyword key",
  "ünïcödé": "key",
};

/** Creates the fixture. Every node has a unique `k` (the stable key used by comparisons). */
export async function createFixture(driver: Driver): Promise<void> {
  await run(driver, "CREATE (n:Person:`Weird Label`:`back``tick` {k: 'all'}) SET n += $p", { p: allTypes });
  // A string that looks like what only the server evaluates, in a row that travels as a cypher-shell :param.
  const lookalike = "a``b toFloat('NaN') apoc.util.compress('x') time('12:00+01:00:30') datetime('2024-10-27T02:30:00+02:00[Europe/Paris]')";
  await run(driver, "CREATE (n {k: 'unlabelled', note: 'no label', lookalike: $s})", { s: lookalike });
  await run(driver, "CREATE (n:Empty {k: 'empty'})");
  await run(driver, "CREATE (:Person {k: 'p1', name: 'Ada', location: point({x: 1.0, y: 2.0})}), (:Person {k: 'p2', name: 'Linus'})");
  await run(driver, "UNWIND range(1, 30) AS i CREATE (:Doc:Chunk {k: 'd' + i, text: 'document ' + i, embedding: $e})", { e: embedding });
  await run(driver, "MATCH (a {k: 'all'}), (b {k: 'unlabelled'}) CREATE (a)-[:`HAS ``weird`` TYPE` {since: date('2020-01-01'), w: -0.0, nan: 0.0/0.0}]->(b)");
  await run(driver, "MATCH (a {k: 'p1'}) CREATE (a)-[:SELF {note: 'self-loop'}]->(a)");
  await run(driver, "MATCH (a {k: 'p1'}), (b {k: 'p2'}) CREATE (a)-[:KNOWS {w: 1}]->(b), (a)-[:KNOWS {w: 2}]->(b), (a)-[:KNOWS]->(b), (a)-[:KNOWS]->(b), (b)-[:KNOWS {w: 3}]->(a)");
  await run(driver, "MATCH (a {k: 'all'}), (b {k: 'p1'}) CREATE (a)-[:ALL_TYPES]->(b) WITH a MATCH (a)-[r:ALL_TYPES]->() SET r += $p", { p: allTypes });
  await run(driver, "MATCH (d:Doc) WHERE d.k <> 'd1' MATCH (first:Doc {k: 'd1'}) CREATE (d)-[:NEXT {i: toInteger(substring(d.k, 1))}]->(first)");
  await run(driver, "CREATE CONSTRAINT person_k FOR (p:Person) REQUIRE p.k IS UNIQUE");
  await run(driver, "CREATE CONSTRAINT `weird constraint` FOR (n:`Weird Label`) REQUIRE (n.s_plain, n.i_max) IS UNIQUE");
  await run(driver, "CREATE INDEX doc_text_range FOR (d:Doc) ON (d.text, d.k)");
  await run(driver, "CREATE TEXT INDEX person_name_text FOR (p:Person) ON (p.name)");
  await run(driver, "CREATE POINT INDEX person_location FOR (p:Person) ON (p.location) OPTIONS {indexConfig: {`spatial.cartesian.min`: [-100.0, -100.0], `spatial.cartesian.max`: [100.0, 100.0]}}");
  await run(driver, "CREATE FULLTEXT INDEX doc_fulltext FOR (n:Doc|Person) ON EACH [n.text, n.name] OPTIONS {indexConfig: {`fulltext.analyzer`: 'english', `fulltext.eventually_consistent`: false}}");
  await run(driver, "CREATE VECTOR INDEX doc_embedding FOR (d:Doc) ON (d.embedding) OPTIONS {indexConfig: {`vector.dimensions`: 1536, `vector.similarity_function`: 'cosine'}}");
  await run(driver, "CREATE INDEX knows_w FOR ()-[r:KNOWS]-() ON (r.w)");
  await run(driver, "CALL db.awaitIndexes(300)");
}

/** Every node and relationship in a canonical, sorted form. */
export async function snapshot(driver: Driver): Promise<{ nodes: string[]; relationships: string[] }> {
  const nodes = (await run(driver, "MATCH (n) RETURN labels(n) AS l, properties(n) AS p")).map((r) =>
    JSON.stringify({ l: (r.l as string[]).slice().sort(), p: canonical(r.p) }),
  );
  const relationships = (await run(driver, "MATCH (a)-[r]->(b) RETURN a.k AS a, b.k AS b, type(r) AS t, properties(r) AS p")).map((r) =>
    JSON.stringify({ a: r.a, b: r.b, t: r.t, p: canonical(r.p) }),
  );
  return { nodes: nodes.sort(), relationships: relationships.sort() };
}

/** Constraints and indexes with their options, names included. */
export async function schemaSnapshot(driver: Driver): Promise<string[]> {
  const constraints = await run(driver, "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties RETURN *");
  const indexes = await run(driver, "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, indexProvider, options, owningConstraint WHERE type <> 'LOOKUP' RETURN *");
  return [...constraints, ...indexes].map((r) => JSON.stringify(canonical(r))).sort();
}

/** A generated graph: `nodes` nodes over 4 label sets with a few properties, `3 × nodes` relationships. */
export async function createGraph(driver: Driver, nodes: number): Promise<void> {
  await run(driver, `UNWIND range(0, $n - 1) AS i CALL { WITH i
      CREATE (p:Gen {k: 'g' + i, i: i, name: 'node ' + i, score: i * 0.5, tags: ['a', 'b'], at: datetime({epochSeconds: i})})
      WITH p, i WHERE i % 4 = 1 SET p:Extra } IN TRANSACTIONS OF 10000 ROWS`, { n: neo4j.int(nodes) });
  await run(driver, "CREATE INDEX gen_i IF NOT EXISTS FOR (n:Gen) ON (n.i)");
  await run(driver, "CALL db.awaitIndexes(300)");
  await run(driver, `UNWIND range(0, $n - 1) AS i CALL { WITH i
      MATCH (a:Gen {i: i}) MATCH (b:Gen {i: (i * 7 + 1) % $n}) MATCH (c:Gen {i: (i * 13 + 5) % $n})
      CREATE (a)-[:LINK {w: i}]->(b), (a)-[:LINK {w: -i}]->(c), (b)-[:OTHER]->(c) } IN TRANSACTIONS OF 10000 ROWS`, { n: neo4j.int(nodes) });
}
