import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createDispatcher } from "./dispatch.ts";
import { ok } from "./http.ts";
import type { RouteHandler } from "./http.ts";
import { loadOpenApi } from "./openapi.ts";
import type { Violation } from "./openapi.ts";
import { DEFAULT_OPENAPI_FILE } from "./server.ts";

/** A dispatcher with hand-written handlers, to check what the server does with a wrong response. */
async function withHandlers(handlers: Record<string, RouteHandler>, fn: (url: string, violations: Violation[]) => Promise<void>): Promise<void> {
  const violations: Violation[] = [];
  const lines: string[] = [];
  const listener = createDispatcher({ contract: loadOpenApi(DEFAULT_OPENAPI_FILE), handlers, violations, baseUrl: () => "", log: (l) => lines.push(l) });
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, violations);
    assert.ok(lines.some((l) => l.startsWith("GET ") || l.startsWith("POST ")), "every request is logged");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test("a response that violates the OpenAPI file is recorded and replaced by a 500 naming the violation", async () => {
  await withHandlers(
    {
      get_collections: async (ctx) => ok(ctx, { collections: [{ title: "no name" }] }),
      count_points: async (ctx) => ok(ctx, { count: -1 }),
    },
    async (url, violations) => {
      const res = await fetch(`${url}/collections`);
      assert.equal(res.status, 500);
      const body = (await res.json()) as { status: { error: string } };
      assert.match(body.status.error, /response 200 of get_collections .*name/);
      const count = await fetch(`${url}/collections/c/points/count`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(count.status, 500);
      assert.deepEqual(
        violations.map((v) => v.rule),
        ["response 200 of get_collections (GET /collections)", "response 200 of count_points (POST /collections/{collection_name}/points/count)"],
      );
    },
  );
});

test("a body that is not JSON is Qdrant's 400, an operation without a handler is 501, a valid answer passes", async () => {
  await withHandlers({ get_collections: async (ctx) => ok(ctx, { collections: [{ name: "a" }] }) }, async (url, violations) => {
    const notJson = await fetch(`${url}/collections/c/points/count`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { status: { error: string } }).status.error, /^Json deserialize error: /);
    const unimplemented = await fetch(`${url}/collections/c/points/count`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(unimplemented.status, 501);
    const fine = await fetch(`${url}/collections`);
    assert.equal(fine.status, 200);
    assert.deepEqual(violations, []);
  });
});
