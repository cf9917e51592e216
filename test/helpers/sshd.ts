// Debian's sshd inside a lab: what `@pulumi/command` reaches as "the faasd host", and what a `docker:host` of
// `ssh://root@LAB_ADDRESS` reaches as "the VM" (the docker provider and the Swarm gate run `ssh ... docker system
// dial-stdio` there, as they do against a real VM).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Lab, LAB_ADDRESS, waitFor } from "./lab";

/** The lab's own address (lab.ts), where its sshd listens. */

export interface LabSsh {
    host: string;
    port: number;
    user: string;
    privateKey: string;
    /** `ssh-ed25519 AAAA...`, what `ssh-keyscan` prints after the host name. */
    hostKey: string;
    /** The client key and a known_hosts file holding the host key, as files in the lab's folder. */
    files: { privateKey: string; knownHosts: string };
}

/** Why Debian's sshd cannot run here (undefined when it can). */
export function sshdSkipReason(): string | undefined {
    for (const bin of ["/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/ssh"])
        if (!existsSync(bin)) return `${bin} is missing: apt-get install openssh-server (.ci/run does)`;
    return undefined;
}

/**
 * Debian's sshd inside the lab on LAB_ADDRESS:22: a host key of its own, root by key only (a fresh ed25519 client
 * key), nothing of the host's sshd config or keys.
 */
export async function startSshd(lab: Lab): Promise<LabSsh> {
    const dir = join(lab.dir, "sshd");
    mkdirSync(dir, { mode: 0o700 });
    for (const [file, type] of [
        ["host_key", "ed25519"],
        ["client_key", "ed25519"],
    ]) {
        const r = lab.exec(["ssh-keygen", "-q", "-t", type, "-N", "", "-C", `faasreg-test-${file}`, "-f", join(dir, file)]);
        if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
    }
    const read = (file: string) => lab.exec(["cat", join(dir, file)]).stdout;
    writeFileSync(join(dir, "authorized_keys"), read("client_key.pub"), { mode: 0o600 });
    writeFileSync(
        join(dir, "sshd_config"),
        [
            `ListenAddress ${LAB_ADDRESS}:22`,
            `HostKey ${join(dir, "host_key")}`,
            `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
            `PidFile ${join(dir, "sshd.pid")}`,
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            // The keys live in the lab's temporary folder, not a home directory.
            "StrictModes no",
            "Subsystem sftp internal-sftp",
        ].join("\n"),
    );
    lab.exec(["mkdir", "-p", "/run/sshd"]);
    lab.spawn("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", join(dir, "sshd_config")]);
    await waitFor("the lab's sshd", async () => /Server listening/.test(lab.log("sshd")), 15_000);
    const hostKey = read("host_key.pub").trim().split(" ").slice(0, 2).join(" ");
    const knownHosts = join(dir, "known_hosts");
    writeFileSync(knownHosts, `${LAB_ADDRESS} ${hostKey}\n`);
    return { host: LAB_ADDRESS, port: 22, user: "root", privateKey: read("client_key"), hostKey, files: { privateKey: join(dir, "client_key"), knownHosts } };
}

/**
 * The stack config of a `docker:host` over SSH to the lab (its engine must listen on /run/docker.sock there), as a
 * VM's stack names it: the key and known_hosts given with docker:sshOpts, nothing else offered (IdentitiesOnly), so
 * the key file moved away is a machine without the deploy key (a CI preview job).
 */
export function sshDockerConfig(ssh: LabSsh): Record<string, string> {
    return {
        "docker:host": `ssh://${ssh.user}@${ssh.host}`,
        "docker:sshOpts": JSON.stringify([
            "-i",
            ssh.files.privateKey,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            `UserKnownHostsFile=${ssh.files.knownHosts}`,
            "-o",
            "StrictHostKeyChecking=yes",
        ]),
    };
}
