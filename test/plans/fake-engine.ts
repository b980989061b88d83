/**
 * An engine over an in-memory "store" (a map of name → bytes), for plan tests that check ordering, safety
 * and bookkeeping. Real engines are tested against real servers in test/engines and test/plans/*.e2e.
 */
import { Readable } from "node:stream";
import { EngineError } from "../../src/core/errors.ts";
import type { Engine, EngineName, EngineSection } from "../../src/engines/engine.ts";

export interface FakeStore {
  items: Map<string, Buffer>;
  calls: string[];
  /** Make `backup` fail after writing its first artifact. */
  failBackup?: boolean;
}

export function fakeEngine(name: EngineName, store: FakeStore): Engine {
  const counts = (): Record<string, number> => ({ items: store.items.size });
  return {
    name,
    inspect: async () => ({ version: "1.0.0", counts: counts(), details: {} }),
    count: async () => counts(),
    close: async () => {},
    backup: async (ctx) => {
      store.calls.push("backup");
      const artifacts = [];
      for (const [key, value] of store.items) {
        artifacts.push(await ctx.writeArtifact({ name: `${key}.bin` }, Readable.from([value])));
        if (store.failBackup) throw new EngineError(`${name} failed mid-backup`);
      }
      const section: EngineSection = { engine: name, version: "1.0.0", artifacts, counts: counts(), details: name === "qdrant" ? { collections: {} } : { method: "cypher" } };
      return section;
    },
    checkRestorable: async () => {
      store.calls.push("check");
    },
    restore: async (section, ctx) => {
      store.calls.push("restore");
      store.items.clear();
      for (const artifact of section.artifacts) {
        const chunks: Buffer[] = [];
        for await (const chunk of await ctx.readArtifact(artifact.name)) chunks.push(chunk as Buffer);
        store.items.set(artifact.name.replace(/\.bin$/, ""), Buffer.concat(chunks));
      }
    },
  };
}
