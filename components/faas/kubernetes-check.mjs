// The Kubernetes gate of `faas:backend kubernetes`, run by the stack's KubernetesGate resource (kubernetes.ts) on
// every preview, up and refresh, before the registry's image pull secret is written: asks the API server that
// `kubernetes:kubeconfig` points at whether the functions' namespace exists and whether that kubeconfig's user may
// get, create, update, patch and delete Secrets there (SelfSubjectAccessReview, as `kubectl auth can-i` does).
// Anything wrong ends here with a message naming the config key; exit code 2 when the API server could not be asked
// at all (nobody answered, the credentials plugin failed), 1 when it answered and the answer is refused.
//
// stdin:  {"kubeconfig": "<YAML>", "namespace": "openfaas-fn"}
// stdout: {"server": "https://...", "namespace": "openfaas-fn"}
//
// Reads the kubeconfig as kubectl does for its current context: the cluster's server and CA
// (certificate-authority-data, certificate-authority, insecure-skip-tls-verify), and the user's client certificate
// (-data or file), token (or tokenFile), basic auth, or exec credential plugin (EKS, GKE, AKS kubeconfigs).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import https from "node:https";
import { isIP } from "node:net";
import { parse } from "yaml";

const REFUSED = 1;
const UNREACHABLE = 2;

function fail(message, code = REFUSED) {
    process.stderr.write(`faas:backend kubernetes: ${message}\n`);
    process.exit(code);
}

const input = JSON.parse(
    await new Promise((resolve) => {
        let text = "";
        process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text || "{}"));
    }),
);
const namespace = input.namespace;
const KEY = "kubernetes:kubeconfig";

let config;
try {
    config = parse(input.kubeconfig ?? "");
} catch (e) {
    fail(`${KEY} is not YAML (${e.message.split("\n")[0]}): set it from a kubeconfig file, pulumi config set --secret ${KEY} < ~/.kube/config`);
}
const named = (list, name) => (Array.isArray(list) ? list.find((e) => e?.name === name) : undefined);
const contextName = config?.["current-context"];
const context = named(config?.contexts, contextName)?.context;
if (context === undefined)
    fail(`${KEY} has no current context${contextName ? ` named "${contextName}" in its contexts` : ""}: kubectl config use-context NAME, then set it again`);
const cluster = named(config.clusters, context.cluster)?.cluster;
if (typeof cluster?.server !== "string") fail(`${KEY}'s context "${contextName}" names the cluster "${context.cluster}", which has no server`);
const user = named(config.users, context.user)?.user ?? {};
const server = cluster.server.replace(/\/+$/, "");

function fileOrData(data, file, what) {
    if (typeof data === "string") return Buffer.from(data, "base64");
    if (typeof file === "string") {
        try {
            return readFileSync(file);
        } catch (e) {
            fail(`${KEY} names the ${what} file ${file}, which cannot be read here (${e.code ?? e.message}): embed it (kubectl config view --flatten)`);
        }
    }
    return undefined;
}

/** The user's credentials: a client certificate, a bearer token (also from an exec plugin), or basic auth. */
function credentials() {
    const cert = fileOrData(user["client-certificate-data"], user["client-certificate"], "client certificate");
    const key = fileOrData(user["client-key-data"], user["client-key"], "client key");
    if (cert !== undefined && key !== undefined) return { cert, key };
    if (typeof user.token === "string") return { token: user.token };
    if (typeof user.tokenFile === "string") return { token: readFileSync(user.tokenFile, "utf8").trim() };
    if (typeof user.username === "string") return { basic: Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64") };
    if (user.exec !== undefined) return execCredential(user.exec);
    if (user["auth-provider"] !== undefined)
        fail(`${KEY}'s user uses the auth-provider "${user["auth-provider"].name}", which kubectl no longer supports: use an exec credential plugin`);
    return {};
}

/** client.authentication.k8s.io ExecCredential: the plugin prints {status: {token | clientCertificateData, clientKeyData}}. */
function execCredential(exec) {
    const env = { ...process.env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion, kind: "ExecCredential", spec: { interactive: false } });
    const r = spawnSync(exec.command, exec.args ?? [], { env, encoding: "utf8", timeout: 60_000, input: "" });
    if (r.status !== 0) {
        const said = `${r.stderr ?? ""}${r.error?.message ?? ""}`.trim().split("\n").pop();
        fail(`${KEY}'s credential plugin (${exec.command}) failed: ${said}${exec.installHint ? `. ${exec.installHint}` : ""}`, UNREACHABLE);
    }
    let status;
    try {
        status = JSON.parse(r.stdout).status ?? {};
    } catch {
        fail(`${KEY}'s credential plugin (${exec.command}) printed no ExecCredential JSON`);
    }
    if (status.clientCertificateData && status.clientKeyData) return { cert: status.clientCertificateData, key: status.clientKeyData };
    if (typeof status.token === "string") return { token: status.token };
    fail(`${KEY}'s credential plugin (${exec.command}) returned neither a token nor a client certificate`);
}

const auth = credentials();
const url = new URL(server);
const tls = {
    ca: fileOrData(cluster["certificate-authority-data"], cluster["certificate-authority"], "certificate authority"),
    rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
    // SNI names a host, never an address (RFC 6066).
    servername: cluster["tls-server-name"] ?? (isIP(url.hostname.replace(/^\[|\]$/g, "")) ? undefined : url.hostname),
    cert: auth.cert,
    key: auth.key,
};
const NO_ANSWER = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up|no answer within/;

/** METHOD PATH on the API server: {status, json}; a failure to connect ends the check. */
function call(method, path, body) {
    return new Promise((resolve) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const headers = { accept: "application/json" };
        if (auth.token !== undefined) headers.authorization = `Bearer ${auth.token}`;
        if (auth.basic !== undefined) headers.authorization = `Basic ${auth.basic}`;
        if (data !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": data.length });
        const req = https.request(
            { host: url.hostname, port: Number(url.port || 443), path: `${url.pathname.replace(/\/$/, "")}${path}`, method, headers, timeout: 20_000, ...tls },
            (res) => {
                let text = "";
                res.setEncoding("utf8")
                    .on("data", (c) => (text += c))
                    .on("end", () => {
                        let json;
                        try {
                            json = JSON.parse(text);
                        } catch {
                            json = undefined;
                        }
                        resolve({ status: res.statusCode, json, text });
                    });
            },
        );
        req.on("timeout", () => req.destroy(new Error("no answer within 20 s")));
        req.on("error", (e) => {
            const unreachable = NO_ANSWER.test(`${e.code ?? ""} ${e.message}`);
            const hint = /certificate|self.signed|unable to verify|altnames/i.test(e.message)
                ? ": the API server's certificate is not one the kubeconfig's certificate authority signed, for that name"
                : "";
            fail(
                `cannot reach the Kubernetes API server at ${server} (${KEY}): ${e.message}${hint}. Check ${KEY}, then run pulumi again`,
                unreachable ? UNREACHABLE : REFUSED,
            );
        });
        req.end(data);
    });
}

const who = typeof context.user === "string" ? `the user "${context.user}"` : "its user";
const ns = await call("GET", `/api/v1/namespaces/${encodeURIComponent(namespace)}`);
if (ns.status === 401) fail(`the Kubernetes API server at ${server} refused the credentials of ${KEY} (${who}): 401 Unauthorized. Set a current kubeconfig`);
if (ns.status === 404)
    fail(
        `faas:namespace "${namespace}" does not exist in the cluster ${KEY} points at (${server}): create it (kubectl create namespace ${namespace}), ` +
            "or set faas:namespace to the namespace faas-netes deploys functions to (its function_namespace, openfaas-fn by default)",
    );
if (ns.status !== 200 && ns.status !== 403)
    fail(`the Kubernetes API server at ${server} answered GET namespace ${namespace} with HTTP ${ns.status}: ${ns.text.slice(0, 200)}`);
// What the stack does to its image pull secret: read it, create it, update it, delete it.
const denied = [];
for (const verb of ["get", "create", "update", "patch", "delete"]) {
    const review = await call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { namespace, verb, resource: "secrets" } },
    });
    if (review.status !== 201 && review.status !== 200)
        fail(`the Kubernetes API server at ${server} answered a SelfSubjectAccessReview with HTTP ${review.status}: ${review.text.slice(0, 200)}`);
    if (review.json?.status?.allowed !== true) denied.push(verb);
}
if (denied.length > 0)
    fail(
        `${KEY}'s user (${who}) may not ${denied.join(", ")} Secrets in the namespace ${namespace}, where the stack keeps the registry's image pull secret: ` +
            `grant it (a Role with get, create, update, patch and delete on secrets in ${namespace}, bound to that user), or set ${KEY} to a kubeconfig that may`,
    );
process.stdout.write(JSON.stringify({ server, namespace }));
