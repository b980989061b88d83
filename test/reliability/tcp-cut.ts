/**
 * A TCP relay a test can cut: it forwards connections to a real server until `cut()`, which drops every open
 * connection and refuses new ones. Stands for a store going away without stopping a server other tests share.
 */
import net, { type AddressInfo, type Socket } from "node:net";

export interface TcpCut {
  port: number;
  /** Drops every connection and refuses new ones from now on. */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpCut(host: string, port: number): Promise<TcpCut> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cut = (): void => {
    open = false;
    for (const s of sockets) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    close: () =>
      new Promise((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
