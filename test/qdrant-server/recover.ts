/**
 * Recovering a collection from a snapshot file, as Qdrant's `do_recover_from_snapshot` does on one node: the
 * archive is read first (a broken file changes nothing), an existing collection must have the same dense
 * vectors and shard count (else 400), then the collection is replaced as a whole (created when missing), with
 * the snapshot's configuration, payload indexes and points.
 */
import { incompatibility } from "./config.ts";
import { qdrantErrors } from "./http.ts";
import { readSnapshot } from "./snapshot.ts";
import type { Store } from "./store.ts";

/** Replaces (or creates) collection `name` with the content of the snapshot archive `file`. */
export async function recoverCollection(store: Store, name: string, file: string): Promise<void> {
  const content = await readSnapshot(file);
  const existing = store.find(name);
  if (!existing) {
    await store.install(name, content.meta, content.points);
    return;
  }
  await existing.exclusive(async () => {
    const why = incompatibility(existing.meta.config, content.meta.config);
    if (why) throw qdrantErrors.badInput(why);
    await store.install(name, content.meta, content.points);
  });
}
