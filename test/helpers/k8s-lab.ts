// A real one-node Kubernetes with OpenFaaS on it (faas-netes and the gateway), in a private lab: etcd, the API
// server, the controller manager and the scheduler built from their Go modules (k8s.io/kubernetes v1.37.2,
// go.etcd.io/etcd/server/v3 v3.7.3), the kubelet on Debian's containerd (its CRI plugin), runc and CNI bridge
// plugin, faas-netes CE built from its snapshot at acb476a9 (the chart's 0.17.6: later CE deploys only public
// images) and the gateway of ../shared/openfaas. Binaries: the folder FAASREG_KUBERNETES_BIN (docs/building.md).
// No kube-proxy and no cluster DNS: faas-netes resolves a function through its Endpoints to pod IPs, and
// everything else talks to the API server's address. The pause image and every function image are made here;
// nothing is pulled from a public registry.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { ociArchive } from "./function-image";
import { type DockerEngine, Lab, LAB_ADDRESS, labSkipReason, waitFor } from "./lab";
import { GATEWAY_BIN } from "./openfaas";
import { missing } from "./skip";
import { makeCaIssuing } from "./tls";

export const K8S_BIN_ENV = "FAASREG_KUBERNETES_BIN";
/** The binaries FAASREG_KUBERNETES_BIN holds; pulumi-resource-kubernetes is the engine's plugin for @pulumi/kubernetes. */
export const K8S_BINARIES = [
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "faas-netes",
    "pulumi-resource-kubernetes",
] as const;
/** The lab's own address: the API server, the kubelet, the registry's published port. */
export { LAB_ADDRESS };
const NODE = "faasreg-node";
const POD_SUBNET = "10.88.0.0/16";
const PAUSE_IMAGE = "faasreg.test/pause:1";
/** Where the stand-in for OpenFaaS CE's connectivity check answers (faas-netes refuses to start without it). */
const CHECKIP_ADDRESS = "127.0.0.53";
const CNI_PLUGINS = "/usr/lib/cni";

/** Why a Kubernetes lab cannot run here (undefined when it can): every missing piece, once. */
export function k8sSkipReason(): string | undefined {
    const dir = process.env[K8S_BIN_ENV];
    const binaries =
        dir === undefined || dir === ""
            ? `${K8S_BIN_ENV} is not set (a folder with ${K8S_BINARIES.join(", ")}; docs/building.md: export FAASREG_KUBERNETES_BIN="$(../shared/kubernetes/unpack)")`
            : K8S_BINARIES.some((b) => !existsSync(join(dir, b)))
              ? `${K8S_BIN_ENV}=${dir} lacks ${K8S_BINARIES.filter((b) => !existsSync(join(dir, b))).join(", ")}`
              : undefined;
    const packages = ["/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", `${CNI_PLUGINS}/bridge`, `${CNI_PLUGINS}/host-local`, "/bin/busybox"].find(
        (b) => !existsSync(b),
    );
    return missing(
        labSkipReason({ dockerd: true }),
        binaries,
        packages === undefined
            ? undefined
            : `${packages} is missing (apt-get install containerd runc containernetworking-plugins busybox-static; .ci/run does)`,
        GATEWAY_BIN === undefined || !existsSync(GATEWAY_BIN)
            ? "FAASREG_GATEWAY_BIN not set to the OpenFaaS gateway (.ci/run sets it from ../shared/openfaas/bin)"
            : undefined,
    );
}

export function k8sBin(name: (typeof K8S_BINARIES)[number]): string {
    return join(process.env[K8S_BIN_ENV] as string, name);
}

export interface ApiReply {
    status: number;
    json: Record<string, unknown> & { items?: Record<string, unknown>[] };
    text: string;
}

export interface K8sLab {
    lab: Lab;
    /** The lab's Docker engine (on /run/docker.sock too): where the stack deploys its registry container. */
    docker: DockerEngine;
    /** An admin kubeconfig (client certificate, system:masters), its credentials inline: what `kubernetes:kubeconfig` holds. */
    adminKubeconfig: string;
    /** A kubeconfig for `user` (a client certificate the cluster's CA signs for CN=user, in no group): rights come from RBAC. */
    kubeconfigFor(user: string): string;
    /** The API server as this test process reaches it, with the admin's credentials. */
    api(method: string, path: string, body?: unknown): Promise<ApiReply>;
    /** The gateway, as processes in the lab reach it, and as this test process does. */
    gateway: { url: string; hostUrl: string; username: string; password: string };
    /** Trusts `ca` for pulls from `host` in the node's containerd (what the README asks of every node). */
    trustRegistry(host: string, ca: string): void;
    /** The node's containerd: `ctr -n k8s.io ARGS`. */
    ctr(args: string[]): { status: number | null; out: string };
    stop(): Promise<void>;
}

/**
 * Starts the cluster, faas-netes and the gateway in a lab of their own, with a Docker engine beside them (the
 * registry's host). The namespace `openfaas-fn` exists. About 40 s.
 */
export async function startK8sLab(options: { gatewayPassword: string; gatewayUser?: string; hosts?: Record<string, string> }): Promise<K8sLab> {
    const lab = await Lab.start("k8s", { overlays: ["/var/lib", "/opt"] });
    try {
        for (const [name, ip] of Object.entries(options.hosts ?? {})) lab.addHost(ip, name);
        const dir = (...p: string[]) => join(lab.dir, ...p);
        const pki = makeCaIssuing([
            {
                name: "apiserver",
                subject: "/CN=kube-apiserver",
                names: ["kubernetes", "kubernetes.default", "kubernetes.default.svc"],
                ips: [LAB_ADDRESS, "127.0.0.1", "10.96.0.1"],
                usage: "server",
            },
            { name: "admin", subject: "/CN=admin/O=system:masters", usage: "client" },
            { name: "kubelet", subject: `/CN=system:node:${NODE}/O=system:nodes`, names: [NODE], ips: [LAB_ADDRESS], usage: "server,client" },
            { name: "checkip", subject: "/CN=checkip.amazonaws.com", names: ["checkip.amazonaws.com"], usage: "server" },
            { name: "serviceaccounts", subject: "/CN=service-accounts", usage: "client" },
        ]);
        mkdirSync(dir("pki"), { mode: 0o700 });
        const file = (name: string, content: string) => {
            writeFileSync(dir("pki", name), content, { mode: 0o600 });
            return dir("pki", name);
        };
        const ca = file("ca.crt", pki.ca);
        const caKey = file("ca.key", pki.caKey);
        const issued = Object.fromEntries(
            ["apiserver", "admin", "kubelet", "checkip", "serviceaccounts"].map((n) => [
                n,
                { cert: file(`${n}.crt`, pki[n].cert), key: file(`${n}.key`, pki[n].key) },
            ]),
        );
        const kubeconfig = (user: string, creds: { cert: string; key: string }, server = `https://${LAB_ADDRESS}:6443`) =>
            [
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                `- name: lab\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${Buffer.from(pki.ca).toString("base64")}`,
                "users:",
                `- name: ${user}\n  user:\n    client-certificate-data: ${Buffer.from(creds.cert).toString("base64")}\n    client-key-data: ${Buffer.from(creds.key).toString("base64")}`,
                "contexts:",
                `- name: lab\n  context:\n    cluster: lab\n    user: ${user}`,
                "current-context: lab",
                "",
            ].join("\n");
        const adminKubeconfig = kubeconfig("admin", pki.admin);
        writeFileSync(dir("admin.kubeconfig"), adminKubeconfig, { mode: 0o600 });
        writeFileSync(dir("kubelet.kubeconfig"), kubeconfig(`system:node:${NODE}`, pki.kubelet), { mode: 0o600 });

        // etcd, then the control plane.
        lab.spawn("etcd", [
            k8sBin("etcd"),
            "--data-dir",
            dir("etcd"),
            "--listen-client-urls",
            "http://127.0.0.1:2379",
            "--advertise-client-urls",
            "http://127.0.0.1:2379",
            "--listen-peer-urls",
            "http://127.0.0.1:2380",
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:2380",
            "--initial-cluster",
            "default=http://127.0.0.1:2380",
            "--log-level",
            "warn",
        ]);
        lab.spawn("kube-apiserver", [
            k8sBin("kube-apiserver"),
            "--etcd-servers=http://127.0.0.1:2379",
            `--advertise-address=${LAB_ADDRESS}`,
            "--secure-port=6443",
            `--client-ca-file=${ca}`,
            `--tls-cert-file=${issued.apiserver.cert}`,
            `--tls-private-key-file=${issued.apiserver.key}`,
            `--kubelet-client-certificate=${issued.admin.cert}`,
            `--kubelet-client-key=${issued.admin.key}`,
            `--service-account-key-file=${issued.serviceaccounts.cert}`,
            `--service-account-signing-key-file=${issued.serviceaccounts.key}`,
            "--service-account-issuer=https://kubernetes.default.svc",
            "--authorization-mode=Node,RBAC",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
        ]);
        const apiPort = await lab.relay(6443, LAB_ADDRESS);
        const api = (method: string, path: string, body?: unknown) => apiCall(apiPort, pki.ca, pki.admin, method, path, body);
        await waitFor("the API server to be ready", async () => (await api("GET", "/readyz")).status === 200, 90_000).catch((e) => {
            throw new Error(`${e.message}:\n${lab.log("kube-apiserver").slice(-3000)}\n${lab.log("etcd").slice(-1500)}`);
        });
        lab.spawn("kube-controller-manager", [
            k8sBin("kube-controller-manager"),
            `--kubeconfig=${dir("admin.kubeconfig")}`,
            `--service-account-private-key-file=${issued.serviceaccounts.key}`,
            `--root-ca-file=${ca}`,
            `--cluster-signing-cert-file=${ca}`,
            `--cluster-signing-key-file=${caKey}`,
            "--leader-elect=false",
            "--use-service-account-credentials=false",
        ]);
        lab.spawn("kube-scheduler", [k8sBin("kube-scheduler"), `--kubeconfig=${dir("admin.kubeconfig")}`, "--leader-elect=false"]);

        // The node: containerd with its CRI plugin, the CNI bridge, the pause image made here, the kubelet.
        const ctrSock = dir("containerd", "containerd.sock");
        mkdirSync(dir("containerd", "certs.d"), { recursive: true });
        mkdirSync(dir("cni", "net.d"), { recursive: true });
        writeFileSync(
            dir("cni", "net.d", "10-lab.conflist"),
            JSON.stringify({
                cniVersion: "1.0.0",
                name: "lab",
                plugins: [
                    {
                        type: "bridge",
                        bridge: "cni0",
                        isGateway: true,
                        ipMasq: false,
                        hairpinMode: true,
                        ipam: { type: "host-local", ranges: [[{ subnet: POD_SUBNET }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: dir("cni", "ipam") },
                    },
                ],
            }),
        );
        writeFileSync(
            dir("containerd", "config.toml"),
            [
                "version = 2",
                `root = "${dir("containerd", "root")}"`,
                `state = "${dir("containerd", "state")}"`,
                "[grpc]",
                `  address = "${ctrSock}"`,
                '[plugins."io.containerd.internal.v1.opt"]',
                `  path = "${dir("containerd", "opt")}"`,
                '[plugins."io.containerd.grpc.v1.cri"]',
                `  sandbox_image = "${PAUSE_IMAGE}"`,
                "  disable_apparmor = true",
                // Lowering a process's OOM score needs CAP_SYS_RESOURCE, which this machine does not grant (runc: "failed to
                // update /proc/self/oom_score_adj: Permission denied"): keep pods' scores at containerd's own.
                "  restrict_oom_score_adj = true",
                '[plugins."io.containerd.grpc.v1.cri".cni]',
                `  bin_dir = "${CNI_PLUGINS}"`,
                `  conf_dir = "${dir("cni", "net.d")}"`,
                '[plugins."io.containerd.grpc.v1.cri".registry]',
                `  config_path = "${dir("containerd", "certs.d")}"`,
            ].join("\n"),
        );
        lab.spawn("containerd", ["/usr/bin/containerd", "--config", dir("containerd", "config.toml")]);
        const ctr = (args: string[]) => {
            const r = lab.exec(["ctr", "-a", ctrSock, "-n", "k8s.io", ...args]);
            return { status: r.status, out: `${r.stdout}${r.stderr}` };
        };
        await waitFor("containerd", async () => ctr(["version"]).status === 0, 30_000);
        const pauseRoot = dir("pause-rootfs");
        mkdirSync(join(pauseRoot, "bin"), { recursive: true });
        spawnSync("cp", ["/bin/busybox", join(pauseRoot, "bin", "busybox")]);
        const imported = ctr(["images", "import", ociArchive(pauseRoot, PAUSE_IMAGE, { Cmd: ["/bin/busybox", "sleep", "2147483647"] })]);
        if (imported.status !== 0) throw new Error(`could not import the pause image: ${imported.out}`);
        // Pinned: the kubelet's image garbage collection never removes it.
        ctr(["images", "label", PAUSE_IMAGE, "io.cri-containerd.pinned=pinned"]);

        // The kubelet's pods go under the lab's own cgroup (removed with the lab), which must exist in every hierarchy.
        const cgroupRoot = `/${lab.dir.split("/").pop()}`;
        const hierarchies = existsSync("/sys/fs/cgroup/cgroup.controllers")
            ? ["/sys/fs/cgroup"]
            : readdirSync("/sys/fs/cgroup")
                  .map((h) => join("/sys/fs/cgroup", h))
                  .filter((h) => existsSync(join(h, "cgroup.procs")));
        for (const h of hierarchies) mkdirSync(join(h, cgroupRoot), { recursive: true });
        writeFileSync(
            dir("kubelet-config.yaml"),
            [
                "apiVersion: kubelet.config.k8s.io/v1beta1",
                "kind: KubeletConfiguration",
                "authentication:",
                "  anonymous: {enabled: false}",
                "  webhook: {enabled: false}",
                `  x509: {clientCAFile: "${ca}"}`,
                "authorization: {mode: AlwaysAllow}",
                "cgroupDriver: cgroupfs",
                `cgroupRoot: "${cgroupRoot}"`,
                "failSwapOn: false",
                "failCgroupV1: false",
                "enforceNodeAllocatable: []",
                // A test machine's disk is often fuller than the defaults allow: no eviction for disk.
                'evictionHard: {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"}',
                "imageGCHighThresholdPercent: 100",
                "serializeImagePulls: false",
                `resolvConf: "${dir("resolv.conf")}"`,
                `tlsCertFile: "${issued.kubelet.cert}"`,
                `tlsPrivateKeyFile: "${issued.kubelet.key}"`,
                "",
            ].join("\n"),
        );
        writeFileSync(dir("resolv.conf"), "nameserver 127.0.0.1\n");
        lab.spawn("kubelet", [
            k8sBin("kubelet"),
            `--config=${dir("kubelet-config.yaml")}`,
            `--kubeconfig=${dir("kubelet.kubeconfig")}`,
            `--container-runtime-endpoint=unix://${ctrSock}`,
            `--root-dir=${dir("kubelet")}`,
            `--hostname-override=${NODE}`,
            `--node-ip=${LAB_ADDRESS}`,
        ]);
        await waitFor(
            "the node to be Ready",
            async () => {
                const node = await api("GET", `/api/v1/nodes/${NODE}`);
                const conditions = (node.json.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
                return conditions.some((c) => c.type === "Ready" && c.status === "True");
            },
            120_000,
        ).catch((e) => {
            throw new Error(`${e.message}:\n${lab.log("kubelet").slice(-4000)}\n--- containerd\n${lab.log("containerd").slice(-2000)}`);
        });
        const ns = await api("POST", "/api/v1/namespaces", { metadata: { name: "openfaas-fn" } });
        if (ns.status !== 201) throw new Error(`could not create the namespace openfaas-fn: ${ns.status} ${ns.text}`);

        // OpenFaaS: faas-netes (its CE build refuses to start unless https://checkip.amazonaws.com answers 200: a
        // stand-in on the lab's loopback answers, with a certificate of the lab's CA), then the gateway.
        lab.exec(["ip", "addr", "add", `${CHECKIP_ADDRESS}/8`, "dev", "lo"]);
        lab.addHost(CHECKIP_ADDRESS, "checkip.amazonaws.com");
        lab.spawn("checkip", [
            process.execPath,
            "-e",
            `require("https").createServer({cert: require("fs").readFileSync(${JSON.stringify(issued.checkip.cert)}), key: require("fs").readFileSync(${JSON.stringify(issued.checkip.key)})}, (q, s) => s.end("${CHECKIP_ADDRESS}\\n")).listen(443, ${JSON.stringify(CHECKIP_ADDRESS)}, () => console.log("listening"))`,
        ]);
        await waitFor("the connectivity check's stand-in", async () => lab.log("checkip").includes("listening"), 15_000);
        const username = options.gatewayUser ?? "admin";
        mkdirSync(dir("openfaas-secrets"), { mode: 0o700 });
        writeFileSync(dir("openfaas-secrets", "basic-auth-user"), username, { mode: 0o600 });
        writeFileSync(dir("openfaas-secrets", "basic-auth-password"), options.gatewayPassword, { mode: 0o600 });
        const openfaasEnv = {
            PATH: "/usr/bin:/bin",
            basic_auth: "true",
            secret_mount_path: dir("openfaas-secrets"),
            read_timeout: "30s",
            write_timeout: "30s",
        };
        lab.spawn("faas-netes", [k8sBin("faas-netes"), `--kubeconfig=${dir("admin.kubeconfig")}`], {
            ...openfaasEnv,
            port: "8081",
            function_namespace: "openfaas-fn",
            SSL_CERT_FILE: ca,
        });
        lab.spawn("gateway", [GATEWAY_BIN as string], {
            ...openfaasEnv,
            functions_provider_url: "http://127.0.0.1:8081/",
            direct_functions: "false",
            upstream_timeout: "25s",
        });
        const hostUrl = `http://127.0.0.1:${await lab.relay(8080)}`;
        const auth = `Basic ${Buffer.from(`${username}:${options.gatewayPassword}`).toString("base64")}`;
        await waitFor(
            "the gateway to answer /system/info from faas-netes",
            async () => {
                const r = await fetch(`${hostUrl}/system/info`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2000) });
                return r.status === 200 && /kubernetes/.test(await r.text());
            },
            60_000,
        ).catch((e) => {
            throw new Error(`${e.message}:\n--- faas-netes\n${lab.log("faas-netes").slice(-3000)}\n--- gateway\n${lab.log("gateway").slice(-2000)}`);
        });
        const docker = await lab.startDockerd({ defaultSocket: true });
        return {
            lab,
            docker,
            adminKubeconfig,
            kubeconfigFor(user: string) {
                const certs = makeUserCertificate(lab, pki.ca, pki.caKey, user);
                return kubeconfig(user, certs);
            },
            api,
            gateway: { url: "http://127.0.0.1:8080", hostUrl, username, password: options.gatewayPassword },
            trustRegistry(host: string, registryCa: string) {
                mkdirSync(dir("containerd", "certs.d", host), { recursive: true });
                writeFileSync(dir("containerd", "certs.d", host, "ca.crt"), registryCa);
                writeFileSync(
                    dir("containerd", "certs.d", host, "hosts.toml"),
                    `server = "https://${host}"\n\n[host."https://${host}"]\n  capabilities = ["pull", "resolve"]\n  ca = "${dir("containerd", "certs.d", host, "ca.crt")}"\n`,
                );
            },
            ctr,
            stop: () => lab.stop(),
        };
    } catch (error) {
        await lab.stop();
        throw error;
    }
}

/** A client certificate for `user` (no group), signed by the cluster's CA. */
function makeUserCertificate(lab: Lab, ca: string, caKey: string, user: string): { cert: string; key: string } {
    const dir = join(lab.dir, "pki", `user-${user}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "ca.crt"), ca);
    writeFileSync(join(dir, "ca.key"), caKey, { mode: 0o600 });
    writeFileSync(join(dir, "ext.cnf"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    const run = (args: string[]) => {
        const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
    };
    run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${user}`, "-keyout", "key.pem", "-out", "csr.pem"]);
    run(["x509", "-req", "-in", "csr.pem", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "cert.pem"]);
    const read = (f: string) => spawnSync("cat", [join(dir, f)], { encoding: "utf8" }).stdout;
    return { cert: read("cert.pem"), key: read("key.pem") };
}

/** One request to the API server through the lab's relay, with a client certificate. */
function apiCall(port: number, ca: string, creds: { cert: string; key: string }, method: string, path: string, body?: unknown): Promise<ApiReply> {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = https.request(
            {
                host: "127.0.0.1",
                port,
                path,
                method,
                ca,
                cert: creds.cert,
                key: creds.key,
                servername: "kubernetes",
                headers: data === undefined ? {} : { "content-type": "application/json", "content-length": data.length },
                timeout: 10_000,
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (c) => (text += c));
                res.on("end", () => {
                    let json: ApiReply["json"] = {};
                    try {
                        json = JSON.parse(text);
                    } catch {
                        // not JSON (readyz answers "ok")
                    }
                    resolve({ status: res.statusCode ?? 0, json, text });
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
        req.on("error", reject);
        req.end(data);
    });
}
