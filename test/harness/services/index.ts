/**
 * The explicit registry of test services, in start order (a service's dependencies come before it).
 * Services whose implementation lives elsewhere in the repository join only when their files exist:
 * Neo4j (`neo4j.ts` beside this file) and the Qdrant-compatible test server (`test/qdrant-server/main.ts`).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestService } from "../service.ts";
import moto from "./moto.ts";
import qdrant, { qdrantServerAvailable } from "./qdrant.ts";
import redis from "./redis.ts";
import rq from "./rq.ts";
import seaweedfs from "./seaweedfs.ts";
import sshd from "./sshd.ts";
import versitygw from "./versitygw.ts";

/** Every available service, dependencies first. Throws on a duplicate name. */
export async function loadServices(): Promise<TestService[]> {
  const services: TestService[] = [];
  const register = (service: TestService): void => {
    if (services.some((s) => s.name === service.name)) throw new Error(`test service ${service.name} registered twice`);
    services.push(service);
  };
  register(redis);
  register(versitygw);
  register(seaweedfs);
  register(moto);
  register(sshd);
  register(rq);
  if (qdrantServerAvailable()) register(qdrant);
  const neo4jUrl = new URL("./neo4j.ts", import.meta.url);
  if (existsSync(fileURLToPath(neo4jUrl))) register(await importService("neo4j", neo4jUrl));
  return services;
}

/**
 * Loads a service module; one that cannot be loaded becomes a service whose install fails with the reason,
 * so the other services still start and the failure is reported under its name.
 */
export async function importService(name: string, url: URL): Promise<TestService> {
  try {
    const loaded = (await import(url.href)) as { default?: TestService };
    if (loaded.default?.name === undefined) throw new Error(`${fileURLToPath(url)} has no default-exported TestService`);
    return loaded.default;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const fail = async (): Promise<never> => {
      throw new Error(`cannot load ${fileURLToPath(url)}: ${reason}`);
    };
    return { name, install: fail, start: fail };
  }
}
