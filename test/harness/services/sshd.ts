/**
 * An OpenSSH server (Debian `openssh-server`) on a free loopback port for the current user, with a host key
 * and a client key pair generated once in its state folder, public-key login only, and a known_hosts file
 * whose line names `[127.0.0.1]:PORT`. Writes SSH_HOST, SSH_PORT, SSH_USER, SSH_KEY_FILE, SSH_KNOWN_HOSTS.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureDebian } from "../install.ts";
import { ensureDir, run } from "../process.ts";
import type { TestService } from "../service.ts";

const sshd = path.join(path.sep, "usr", "sbin", "sshd");
const sshKeygen = path.join(path.sep, "usr", "bin", "ssh-keygen");

const service: TestService = {
  name: "sshd",
  stopTimeoutMs: 10_000,
  async install(ctx) {
    await ensureDebian(sshd, ["openssh-server"], ctx.log);
    await ensureDebian(sshKeygen, ["openssh-client"], ctx.log);
  },
  async start(ctx) {
    const user = os.userInfo().username;
    const hostKey = await keyPair(path.join(ctx.stateDir, "ssh_host_ed25519_key"));
    const clientKey = await keyPair(path.join(ctx.stateDir, "id_ed25519"));
    const authorizedKeys = path.join(ctx.stateDir, "authorized_keys");
    writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
    // sshd refuses to start without its privilege-separation folder (only needed when run as root).
    if (process.getuid?.() === 0) ensureDir(path.join(path.sep, "run", "sshd"));
    const port = await ctx.freePort();
    const config = path.join(ctx.stateDir, "sshd_config");
    writeFileSync(
      config,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${path.join(ctx.stateDir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `AllowUsers ${user}`,
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "StrictModes no",
        "UsePAM no",
        "AllowTcpForwarding yes",
        "PermitTTY yes",
        "X11Forwarding no",
        "PrintMotd no",
        "LogLevel INFO",
        "Subsystem sftp internal-sftp",
        "",
      ].join("\n"),
    );
    await run(sshd, ["-t", "-f", config]);
    const pid = await ctx.spawn(sshd, ["-D", "-e", "-f", config]);
    await ctx.waitFor("sshd banner", () => banner(port), 20_000);
    const hostPublic = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    const knownHosts = path.join(ctx.stateDir, "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPublic}\n`);
    return {
      env: { SSH_HOST: "127.0.0.1", SSH_PORT: String(port), SSH_USER: user, SSH_KEY_FILE: clientKey, SSH_KNOWN_HOSTS: knownHosts },
      pids: [pid],
      logs: [ctx.logFile],
    };
  },
};
export default service;

// --- internal ---

async function keyPair(file: string): Promise<string> {
  if (!existsSync(file) || !existsSync(`${file}.pub`)) {
    rmSync(file, { force: true });
    rmSync(`${file}.pub`, { force: true });
    await run(sshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "stackvault-test", "-f", file]);
  }
  return file;
}

async function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("data", (chunk) => (socket.destroy(), resolve(chunk.toString().startsWith("SSH-2.0"))));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}
