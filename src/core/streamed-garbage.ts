/**
 * Frees the buffers a long stream leaves behind, every {@link EVERY_BYTES} bytes that pass.
 *
 * Why: a stream's chunks are ArrayBuffers outside V8's heap, held by small objects in its young generation.
 * V8 frees them when it collects those objects, and collects when the young generation (8 MiB, see
 * `node-flags.ts`) fills with JavaScript objects, or when memory outside the heap has grown by 64 MiB since
 * the last full collection. A byte stream (a snapshot download into S3 parts, the re-hash of an artifact)
 * allocates few objects and many bytes, so dead chunks and parts piled up to that 64 MiB before anything
 * freed them. A minor collection (a scavenge of the young generation, about a millisecond) every 16 MiB
 * frees them as they die. bench/stack at 10× (with the malloc settings of `node-flags.ts`): the backup's
 * validation step, which re-reads every artifact, peaked at 255-264 MiB without it and 208-226 MiB with it.
 *
 * Needs `--expose-gc`, which stackvault's own processes run with; elsewhere (stackvault used as a library) it
 * does nothing.
 */

/** Bytes streamed between two collections. */
export const EVERY_BYTES = 16 * 1024 * 1024;

let streamed = 0;

/** Counts `bytes` that went through a stream, and asks for a minor collection every {@link EVERY_BYTES}. */
export function streamedBytes(bytes: number): void {
  streamed += bytes;
  if (streamed < EVERY_BYTES) return;
  streamed = 0;
  collect?.({ type: "minor" });
}

const collect = (globalThis as { gc?: (options: { type: "minor" | "major" }) => void }).gc;
