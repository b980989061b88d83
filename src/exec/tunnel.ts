/**
 * Local port forwarding over an SSH connection (`ssh -L`, in pure JavaScript): a listener on this machine's
 * loopback whose every connection is carried by ssh2's `forwardOut` to `host:port` as seen from the SSH
 * server — typically a store that listens only on the host's loopback. Direct mode uses it to reach the
 * stores of a remote host without exposing their ports.
 */
import net from "node:net";
import type { Client as SshClient } from "ssh2";
import { ExecError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";

export interface Tunnel {
  /** Loopback port on this machine (127.0.0.1). */
  localPort: number;
  /** `host:port` on the far side, for messages. */
  remote: string;
  /** Why the host last refused to forward a connection (closed port, forwarding disabled), if it did. */
  lastError(): ExecError | undefined;
  /** Stops listening and closes the tunnelled connections. */
  close(): Promise<void>;
}

/**
 * Opens a tunnel from `127.0.0.1:<free port>` to `host:port` through `client`.
 * A connection the SSH server refuses to forward (port closed, forwarding disabled) is closed at once; the
 * reason is kept in {@link Tunnel.lastError}.
 */
export async function openTunnel(client: SshClient, host: string, port: number, location: string): Promise<Tunnel> {
  const sockets = new Set<net.Socket>();
  let lastError: ExecError | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.pause();
    client.forwardOut("127.0.0.1", socket.remotePort ?? 0, host, port, (err, channel) => {
      if (err) {
        lastError = new ExecError(`${location} cannot forward to ${host}:${port}: ${redact(err.message)}`, { hint: "Check that the store listens there on the host and that the SSH server allows TCP forwarding (AllowTcpForwarding)." });
        socket.destroy();
        return;
      }
      channel.on("error", () => socket.destroy());
      socket.on("close", () => channel.close());
      channel.on("close", () => socket.destroy());
      socket.pipe(channel).pipe(socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port: localPort } = server.address() as net.AddressInfo;
  return {
    localPort,
    remote: `${host}:${port}`,
    lastError: () => lastError,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
