// The real OpenFaaS for Docker Swarm: the gateway (openfaas/faas) and faas-swarm, from the static binaries
// whose paths FAASREG_GATEWAY_BIN and FAASREG_FAAS_SWARM_BIN give (.ci/run sets them from
// ../shared/openfaas/bin). They run as OpenFaaS runs them on Swarm: two services on the attachable overlay
// network `func_functions`, basic auth from Swarm secrets, faas-swarm on the engine's socket. This kernel
// has no IPVS, so Swarm's service VIPs do not work: every service is in dnsrr mode and faas-swarm finds
// functions by `tasks.NAME` (its `dnsrr` switch). The gateway's port 8080 is published in host mode inside
// the lab, so nothing here listens on the host itself.
import { existsSync } from "node:fs";
import { importBinaryImage } from "./images";
import { type DockerEngine, type Lab, waitFor } from "./lab";

export const GATEWAY_BIN = process.env.FAASREG_GATEWAY_BIN;
export const FAAS_SWARM_BIN = process.env.FAASREG_FAAS_SWARM_BIN;
export const FUNCTIONS_NETWORK = "func_functions";

/**
 * What `invoke` answers once Swarm has rolled a function: start-first keeps the old task serving a moment after
 * the new one runs, and the gateway picks any task DNS lists, so `want` must come 5 times in a row (60 s at most).
 */
export async function answerBecomes(invoke: () => Promise<string>, want: string): Promise<string> {
    let last = "";
    for (let i = 0, streak = 0; i < 300 && streak < 5; i++) {
        last = await invoke();
        streak = last === want ? streak + 1 : 0;
        if (streak < 5) await new Promise((r) => setTimeout(r, 200));
    }
    return last;
}

/** Why the real OpenFaaS on Swarm cannot run here (undefined when it can). */
export function openfaasSwarmSkipReason(): string | undefined {
    const missing = [
        ["FAASREG_GATEWAY_BIN", GATEWAY_BIN],
        ["FAASREG_FAAS_SWARM_BIN", FAAS_SWARM_BIN],
    ].filter(([, path]) => path === undefined || !existsSync(path));
    if (missing.length === 0) return undefined;
    return `${missing.map(([k]) => k).join(" and ")} not set to the OpenFaaS binaries (.ci/run sets them from ../shared/openfaas/bin)`;
}

export interface SwarmOpenFaas {
    /** The gateway as processes inside the lab reach it. */
    url: string;
    /** The gateway as this test process reaches it (a relay on the host's 127.0.0.1). */
    hostUrl: string;
    username: string;
    password: string;
    /** Rotates the basic-auth password as an operator would: a new Swarm secret, both services updated. */
    rotatePassword(next: string): Promise<void>;
}

/** Starts the gateway and faas-swarm on the lab's Swarm. About 5 s. */
export async function startSwarmOpenFaas(
    lab: Lab,
    docker: DockerEngine,
    options: {
        password: string;
        username?: string;
        /**
         * Names faas-swarm must resolve (name -> address). With registryAuth it looks up the image's registry
         * host (Docker's registry code checks it against the insecure ranges); a name that DNS cannot answer
         * costs 10 s of resolver timeouts per deployment in the lab, which has no DNS.
         */
        hosts?: Record<string, string>;
    },
): Promise<SwarmOpenFaas> {
    const username = options.username ?? "admin";
    for (const [ref, binary, path] of [
        ["faasreg-test/gateway:1", GATEWAY_BIN as string, "/bin/gateway"],
        ["faasreg-test/faas-swarm:1", FAAS_SWARM_BIN as string, "/bin/faas-swarm"],
    ]) {
        importBinaryImage(docker, lab.dir, { ref, files: { [path]: binary }, changes: [`ENTRYPOINT ${JSON.stringify([path])}`] });
    }
    docker.must(["network", "create", "-d", "overlay", "--attachable", "--label", "openfaas=true", FUNCTIONS_NETWORK]);
    docker.must(["secret", "create", "basic-auth-user", "-"], username);
    let secret = 0;
    docker.must(["secret", "create", `basic-auth-password-${secret}`, "-"], options.password);
    const hosts = Object.entries(options.hosts ?? {}).flatMap(([name, ip]) => ["--host", `${name}:${ip}`]);
    const common = ["--network", FUNCTIONS_NETWORK, "--endpoint-mode", "dnsrr", "--no-resolve-image", "--secret", "basic-auth-user", ...hosts];
    const passwordSecret = (n: number) => `source=basic-auth-password-${n},target=basic-auth-password`;
    const timeouts = ["-e", "read_timeout=30s", "-e", "write_timeout=30s"];
    docker.must([
        "service",
        "create",
        "-d",
        "--name",
        "faas-swarm",
        ...common,
        "--secret",
        passwordSecret(secret),
        "--mount",
        `type=bind,source=${docker.socket},target=/var/run/docker.sock`,
        ...["-e", "port=8080", "-e", "basic_auth=true", "-e", "secret_mount_path=/run/secrets/", "-e", "dnsrr=true", ...timeouts],
        "faasreg-test/faas-swarm:1",
    ]);
    docker.must([
        "service",
        "create",
        "-d",
        "--name",
        "gateway",
        ...common,
        "--secret",
        passwordSecret(secret),
        "--publish",
        "published=8080,target=8080,mode=host",
        ...["-e", "functions_provider_url=http://faas-swarm:8080/", "-e", "direct_functions=false", "-e", "basic_auth=true"],
        ...["-e", "secret_mount_path=/run/secrets/", "-e", "upstream_timeout=25s", ...timeouts],
        "faasreg-test/gateway:1",
    ]);
    const hostUrl = `http://127.0.0.1:${await lab.relay(8080)}`;
    let password = options.password;
    const ready = async () => {
        const auth = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
        const r = await fetch(`${hostUrl}/system/info`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2000) });
        return r.status === 200;
    };
    await waitFor("the gateway to answer /system/info", ready, 60_000);
    return {
        url: "http://127.0.0.1:8080",
        hostUrl,
        username,
        get password() {
            return password;
        },
        async rotatePassword(next: string) {
            const old = secret++;
            docker.must(["secret", "create", `basic-auth-password-${secret}`, "-"], next);
            for (const service of ["faas-swarm", "gateway"]) {
                docker.must(["service", "update", "-q", "--secret-rm", `basic-auth-password-${old}`, "--secret-add", passwordSecret(secret), service]);
            }
            password = next;
            await waitFor("the gateway to accept the rotated password", ready, 60_000);
        },
    };
}
