/**
 * Deterministic dump-like input for the pipeline benchmark: Cypher lines as a Neo4j export writes them
 * (node creations with text properties, relationship creations, embedding lists of floats), repetitive in
 * structure with random parts, from a seed. The same seed and size always give the same bytes.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** Version of the generator: part of the cache key, bump it when the output changes. */
export const GENERATOR_VERSION = 1;

/** Writes `size` bytes to `file` and resolves with their sha256. */
export async function generateDump(file: string, size: number, seed: number): Promise<string> {
  const out = createWriteStream(file);
  const hash = createHash("sha256");
  const rand = mulberry32(seed);
  const vocabulary = makeVocabulary(rand, 400);
  let written = 0;
  let id = 0;
  while (written < size) {
    const parts: string[] = [];
    let length = 0;
    while (length < 1024 * 1024) {
      const line = nextLine(rand, vocabulary, id++);
      parts.push(line);
      length += line.length;
    }
    let chunk = Buffer.from(parts.join(""));
    if (written + chunk.length > size) chunk = chunk.subarray(0, size - written);
    hash.update(chunk);
    written += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return hash.digest("hex");
}

// --- internal ---

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeVocabulary(rand: () => number, n: number): string[] {
  const letters = "abcdefghijklmnopqrstuvwxyzéè";
  return Array.from({ length: n }, () => {
    const len = 2 + Math.floor(rand() * 10);
    let w = "";
    for (let i = 0; i < len; i++) w += letters[Math.floor(rand() * letters.length)];
    return w;
  });
}

function words(rand: () => number, vocabulary: string[], min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(vocabulary[Math.floor(rand() * vocabulary.length)] ?? "");
  return out.join(" ");
}

function nextLine(rand: () => number, vocabulary: string[], id: number): string {
  const r = rand();
  if (r < 0.6) {
    const day = 1 + Math.floor(rand() * 28);
    return `CREATE (:Document:Chunk {id: "doc-${id}", title: "${words(rand, vocabulary, 2, 8)}", text: "${words(rand, vocabulary, 8, 40)}", page: ${Math.floor(rand() * 500)}, score: ${rand().toFixed(6)}, created: datetime("2025-10-${String(day).padStart(2, "0")}T12:00:00Z")});\n`;
  }
  if (r < 0.85) {
    const a = Math.floor(rand() * (id + 1));
    const b = Math.floor(rand() * (id + 1));
    return `MATCH (a:Document {id: "doc-${a}"}), (b:Document {id: "doc-${b}"}) CREATE (a)-[:HAS_CHUNK {weight: ${rand().toFixed(4)}}]->(b);\n`;
  }
  const floats: string[] = [];
  for (let i = 0; i < 48; i++) floats.push((rand() * 2 - 1).toFixed(6));
  return `MATCH (n:Document {id: "doc-${id}"}) SET n.embedding = [${floats.join(", ")}];\n`;
}
