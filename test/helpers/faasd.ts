// The real faasd (0.16.9's `faasd provider`, the containerd backend of OpenFaaS CE) with its gateway
// (0.25.4), from the binaries FAASREG_FAASD_BIN and FAASREG_FAASD_GATEWAY_BIN (.ci/run sets them from
// ../shared/openfaas/bin), in a private lab: its own containerd, the CNI bridge faasd makes, and overlays
// on the fixed paths faasd uses (/var/lib/faasd, /opt/cni/bin, /usr/local/bin/faasd), so nothing of the
// host's is touched. The lab stands for the faasd VM: its /var/lib/faasd/.docker/config.json is where the
// stack's credentials command writes. Built after ../shared/openfaas/faasd-env.sh.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { functionOciArchive } from "./function-image";
import { type DockerEngine, Lab, waitFor } from "./lab";
import { type ContainerSpec, type RunningRegistry, startRealRegistry } from "./real-registry";
import { type LabSsh, startSshd } from "./sshd";

export const FAASD_BIN = process.env.FAASREG_FAASD_BIN;
export const FAASD_GATEWAY_BIN = process.env.FAASREG_FAASD_GATEWAY_BIN;
const CNI_PLUGINS = "/usr/lib/cni";
const CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Why faasd cannot run here (undefined when it can). */
export function faasdSkipReason(): string | undefined {
    const missing = [
        ["FAASREG_FAASD_BIN", FAASD_BIN],
        ["FAASREG_FAASD_GATEWAY_BIN", FAASD_GATEWAY_BIN],
    ].filter(([, path]) => path === undefined || !existsSync(path));
    if (missing.length > 0) return `${missing.map(([k]) => k).join(" and ")} not set to the faasd binaries (.ci/run sets them from ../shared/openfaas/bin)`;
    for (const bin of ["/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", `${CNI_PLUGINS}/bridge`, "/bin/busybox"]) {
        if (!existsSync(bin)) return `${bin} is missing (apt-get install containerd runc containernetworking-plugins busybox-static; .ci/run does)`;
    }
    return undefined;
}

export interface FaasdLab {
    lab: Lab;
    /** The registry process, when the lab was given a container spec to run. */
    registry?: RunningRegistry;
    /** The lab's Docker engine (`withDocker`): the registry VM's, where a stack deploys the registry container. */
    docker?: DockerEngine;
    /** The lab's sshd (`withSsh`): where `@pulumi/command` reaches "the faasd host". */
    ssh?: LabSsh;
    /** The gateway as processes inside the lab reach it. */
    url: string;
    /** The gateway as this test process reaches it. */
    hostUrl: string;
    /** Runs a shell command on "the faasd host" (inside the lab), with stdin. */
    sh(script: string, stdin?: string): { status: number | null; stdout: string; stderr: string };
    /** Makes an image answering TEXT and pushes it as HOST/REPO:TAG with the given registry login. */
    push(repo: string, tag: string, text: string, login: string): string;
    /** Drops faasd's cached copy of an image, so the next deploy must pull it. */
    forget(ref: string): void;
    stop(): Promise<void>;
}

export async function startFaasdLab(options: {
    host: string;
    /** The registry to run as a process on 443 (the declared container's spec); or none (a stack deploys one). */
    registrySpec?: ContainerSpec;
    certificate: string;
    gatewayUser: string;
    gatewayPassword: string;
    /** A Docker engine in the lab, on its /var/run/docker.sock too. */
    withDocker?: boolean;
    /** Debian's sshd in the lab on LAB_ADDRESS:22, key auth only, with a host key of its own. */
    withSsh?: boolean;
}): Promise<FaasdLab> {
    const lab = await Lab.start("faasd", { overlays: ["/var/lib", "/opt", "/usr/local/bin"], cgroups: ["/openfaas-fn", "/build"] });
    try {
        const ctrSock = join(lab.dir, "containerd", "containerd.sock");
        const ctr = (args: string[], input?: string) => {
            const r = lab.exec(["ctr", "-a", ctrSock, ...args], { input });
            if (r.status !== 0) throw new Error(`ctr ${args.join(" ")} failed: ${r.stderr}`);
            return r.stdout;
        };
        // faasd's fixed paths, inside the overlays; the registry's name and CA, before any Go program starts
        // (Go reads the root CAs once per process).
        const setup = lab.exec(
            [
                "bash",
                "-euc",
                [
                    `echo '127.0.0.1 ${options.host}' >> /etc/hosts`,
                    `cat >> /etc/ssl/certs/ca-certificates.crt`,
                    `mkdir -p /opt/cni/bin /etc/cni/net.d && for p in ${CNI_PLUGINS}/*; do ln -sf "$p" /opt/cni/bin/; done`,
                    `cp ${FAASD_BIN} /usr/local/bin/faasd`,
                    "umask 022 && mkdir -p /var/lib/faasd/secrets /var/lib/faasd-provider",
                    "printf '127.0.0.1\\tlocalhost\\n10.62.0.1\\tgateway\\n' > /var/lib/faasd/hosts",
                    "printf 'nameserver 127.0.0.1\\n' > /var/lib/faasd/resolv.conf",
                ].join("\n"),
            ],
            { input: options.certificate },
        );
        if (setup.status !== 0) throw new Error(`faasd lab setup failed: ${setup.stderr}`);
        lab.writeFile("/var/lib/faasd/secrets/basic-auth-user", options.gatewayUser, "0600");
        lab.writeFile("/var/lib/faasd/secrets/basic-auth-password", options.gatewayPassword, "0600");

        const registry = options.registrySpec === undefined ? undefined : await startRealRegistry(options.registrySpec, { port: 443, wrap: lab.wrap() });
        const docker = options.withDocker ? await lab.startDockerd({ defaultSocket: true }) : undefined;
        const ssh = options.withSsh ? startSshd(lab) : undefined;

        mkdirSync(join(lab.dir, "containerd"), { recursive: true });
        writeFileSync(
            join(lab.dir, "containerd", "config.toml"),
            [
                "version = 2",
                `root = "${lab.dir}/containerd/root"`,
                `state = "${lab.dir}/containerd/state"`,
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
                "[grpc]",
                `  address = "${ctrSock}"`,
                '[plugins."io.containerd.internal.v1.opt"]',
                `  path = "${lab.dir}/containerd/opt"`,
            ].join("\n"),
        );
        lab.spawn("containerd", ["containerd", "--config", join(lab.dir, "containerd", "config.toml")]);
        await waitFor("containerd", async () => lab.exec(["ctr", "-a", ctrSock, "version"]).status === 0);

        const env = { PATH: CLEAN_PATH };
        lab.spawn(
            "faasd-provider",
            [
                "env",
                "-i",
                `PATH=${CLEAN_PATH}`,
                "secret_mount_path=/var/lib/faasd/secrets",
                "basic_auth=true",
                "hosts_dir=/var/lib/faasd",
                `sock=${ctrSock}`,
                "port=8081",
                "sh",
                "-c",
                "cd /var/lib/faasd-provider && exec /usr/local/bin/faasd provider --pull-policy Always",
            ],
            env,
        );
        // Gateway 0.25.4 with basic_auth asks an auth plugin; a busybox httpd checking the same credentials
        // stands in for it. Its function list needs Prometheus: an empty answer stands in (we read one function).
        const authDir = join(lab.dir, "authproxy");
        mkdirSync(join(authDir, "www"), { recursive: true });
        writeFileSync(join(authDir, "www", "validate"), "");
        writeFileSync(join(authDir, "httpd.conf"), `/:${options.gatewayUser}:${options.gatewayPassword}\n`, { mode: 0o600 });
        lab.spawn("authproxy", [
            "busybox",
            "httpd",
            "-f",
            "-p",
            "127.0.0.1:8088",
            "-h",
            join(authDir, "www"),
            "-c",
            join(authDir, "httpd.conf"),
            "-r",
            "openfaas",
        ]);
        const promDir = join(lab.dir, "prometheus", "api", "v1");
        mkdirSync(promDir, { recursive: true });
        writeFileSync(join(promDir, "query"), '{"status":"success","data":{"resultType":"vector","result":[]}}');
        lab.spawn("prometheus", ["busybox", "httpd", "-f", "-p", "127.0.0.1:9090", "-h", join(lab.dir, "prometheus")]);
        lab.spawn(
            "gateway",
            [
                "env",
                "-i",
                `PATH=${CLEAN_PATH}`,
                "functions_provider_url=http://127.0.0.1:8081/",
                "direct_functions=false",
                "basic_auth=true",
                "secret_mount_path=/var/lib/faasd/secrets",
                "auth_proxy_url=http://127.0.0.1:8088/validate",
                "auth_proxy_pass_body=false",
                "scale_from_zero=true",
                "read_timeout=60s",
                "write_timeout=60s",
                "upstream_timeout=65s",
                "function_namespace=openfaas-fn",
                "faas_prometheus_host=127.0.0.1",
                "faas_prometheus_port=9090",
                FAASD_GATEWAY_BIN as string,
            ],
            env,
        );
        const hostUrl = `http://127.0.0.1:${await lab.relay(8080)}`;
        const auth = `Basic ${Buffer.from(`${options.gatewayUser}:${options.gatewayPassword}`).toString("base64")}`;
        await waitFor("the faasd gateway", async () => (await fetch(`${hostUrl}/system/info`, { headers: { authorization: auth } })).status === 200);
        return {
            lab,
            registry,
            docker,
            ssh: await ssh,
            url: "http://127.0.0.1:8080",
            hostUrl,
            sh: (script, stdin) => lab.exec(["sh", "-c", script], { input: stdin }),
            push(repo, tag, text, login) {
                const ref = `${options.host}/${repo}:${tag}`;
                ctr(["-n", "build", "images", "import", functionOciArchive(lab.dir, ref, text)]);
                ctr(["-n", "build", "images", "push", "--user", login, ref]);
                ctr(["-n", "build", "images", "rm", ref]);
                return ref;
            },
            forget(ref) {
                lab.exec(["ctr", "-a", ctrSock, "-n", "openfaas-fn", "images", "rm", ref]);
            },
            async stop() {
                await registry?.stop();
                registry?.remove();
                await lab.stop();
            },
        };
    } catch (error) {
        process.stderr.write(`faasd lab logs:\n${["faasd-provider", "gateway", "containerd"].map((n) => `--- ${n}\n${lab.log(n).slice(-2000)}`).join("\n")}\n`);
        await lab.stop();
        throw error;
    }
}

/** The registry process of a lab started with a container spec. */
export function registryOf(lab: FaasdLab): RunningRegistry {
    if (lab.registry === undefined) throw new Error("this faasd lab runs no registry process (it was started without registrySpec)");
    return lab.registry;
}
