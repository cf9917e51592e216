// Functions on OpenFaaS for Kubernetes, deployed by the real Pulumi engine (FAASREG_PULUMI_BIN), their images in the
// stack's own registry (container mode on the lab's Docker engine), pulled by the kubelet with the image pull secret
// the stack writes with @pulumi/kubernetes (its provider built from source, FAASREG_KUBERNETES_BIN). One lab: a real
// one-node Kubernetes (etcd, API server, controller manager, scheduler, kubelet on containerd), faas-netes and the
// gateway (test/helpers/k8s-lab.ts). What users do: bad input refused before anything exists, the first up, a
// second up and refresh that change nothing, a password rotation (a rescheduled pod and a new function pull with
// the new password), a function removed, destroy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFunctionImage } from "../helpers/function-image";
import { ImageSource } from "../helpers/image-source";
import { type ApiReply, type K8sLab, k8sSkipReason, LAB_ADDRESS, startK8sLab } from "../helpers/k8s-lab";
import { waitFor } from "../helpers/lab";
import { changedResources, expectNoChanges, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { importRegistryImage } from "../helpers/registry-image";
import { skipping } from "../helpers/skip";
import { makeCaSignedCertificate } from "../helpers/tls";

const skip = skipping("test/e2e/pulumi-kubernetes.test.ts", k8sSkipReason(), registrySkipReason(), pulumiSkipReason());

const HOST = "registry.k8s.test";
const NS = "openfaas-fn";
const PASSWORD_1 = "ci-First-Registry-Pass-0123";
const PASSWORD_2 = "ci-Rotated-Registry-Pass-4567";
const GATEWAY_PASSWORD = "gw-k8s-Pass-0123456789";
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password", "kubernetes:kubeconfig"];
const users = (password: string) => JSON.stringify([{ username: "ci", password }]);
const fn = (service: string, tag = "1") => ({ service, image: `team/${service}:${tag}` });
/** The pull secret's name: `<project>-<stack>-functions-pull-secret` (components/faas/kubernetes.ts). */
const PULL_SECRET = "faas-registry-k8s-functions-pull-secret";

describe.skipIf(skip !== undefined)("functions on the real OpenFaaS for Kubernetes, pulled with the stack's image pull secret, by pulumi up for real", () => {
    let k8s: K8sLab;
    let stack: PulumiStack;
    const certificate = makeCaSignedCertificate([HOST]);
    const auth = (password: string) => Buffer.from(`ci:${password}`).toString("base64");
    const expectNoSecret = (out: string) => {
        for (const secret of [PASSWORD_1, PASSWORD_2, auth(PASSWORD_1), auth(PASSWORD_2), GATEWAY_PASSWORD, certificate.key.split("\n")[1]])
            expect(out.includes(secret), "a secret in the CLI's output").toBe(false);
    };
    const invoke = async (service: string) => {
        const r = await fetch(`${k8s.gateway.hostUrl}/function/${service}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        return r === undefined ? "no answer" : `${r.status} ${(await r.text()).trim()}`;
    };
    const answers = async (service: string, want: string) => {
        let last = "";
        await waitFor(`${service} to answer "${want}"`, async () => (last = await invoke(service)) === want, 60_000).catch(() => undefined);
        return last;
    };
    const pods = async (service: string) =>
        ((await k8s.api("GET", `/api/v1/namespaces/${NS}/pods?labelSelector=faas_function%3D${service}`)).json.items ?? []) as {
            metadata: { name: string; deletionTimestamp?: string };
            spec: { imagePullSecrets?: { name: string }[] };
            status: { phase: string; containerStatuses?: { ready: boolean; state: { waiting?: { reason: string; message?: string } } }[] };
        }[];
    const names = (reply: ApiReply) => (reply.json.items ?? []).map((i) => (i.metadata as { name: string }).name).sort();
    const registryContainers = () => k8s.docker.must(["ps", "-a", "--format", "{{.Names}}"]).trim();
    const gatewayAuth = () => `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}`;
    const kubeconfigWith = (server: string) => k8s.adminKubeconfig.replace(/server: .*/, `server: ${server}`);

    beforeAll(async () => {
        k8s = await startK8sLab({ gatewayPassword: GATEWAY_PASSWORD, hosts: { [HOST]: LAB_ADDRESS } });
        // What the README asks of every node: its containerd trusts the registry's CA.
        k8s.trustRegistry(HOST, certificate.ca);
        k8s.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        const source = await ImageSource.start(k8s.lab, k8s.docker);
        importRegistryImage(k8s.docker, k8s.lab.dir, "faasreg-test/registry:3");
        // Something else of the namespace's, which the stack must never touch.
        expect((await k8s.api("POST", `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: "someone-elses" }, stringData: { a: "b" } })).status).toBe(201);
        expect((await k8s.api("POST", `/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: "someone-elses" }, data: { a: "b" } })).status).toBe(201);
        stack = await PulumiStack.init(
            k8s.lab,
            "k8s",
            {
                "registry:tls": "certificate",
                "registry:host": HOST,
                // The lab's 443 on other addresses is taken (the connectivity check's stand-in).
                "registry:bindAddress": LAB_ADDRESS,
                "registry:certificate": `${certificate.cert}${certificate.ca}`,
                "registry:privateKey": certificate.key,
                "registry:users": users(PASSWORD_1),
                "registry:image": source.publish("faasreg-test/registry:3").ref,
                "docker:host": k8s.docker.host,
                "faas:gateway": k8s.gateway.url,
                "faas:password": GATEWAY_PASSWORD,
                "faas:backend": "kubernetes",
                // Not there: the first test sets the right one.
                "faas:namespace": "no-such-namespace",
                "kubernetes:kubeconfig": k8s.adminKubeconfig,
            },
            SECRET_KEYS,
        );
    }, 300_000);
    afterAll(async () => {
        await k8s?.stop();
    }, 90_000);

    it("refuses, before anything is created: a namespace that does not exist, an unreachable API server, a kubeconfig without rights to Secrets", async () => {
        const cases: [string, Record<string, string>, RegExp][] = [
            [
                "a missing namespace",
                {},
                /faas:namespace "no-such-namespace" does not exist in the cluster kubernetes:kubeconfig points at .*kubectl create namespace no-such-namespace/,
            ],
            [
                "an unreachable API server",
                { "faas:namespace": NS, "kubernetes:kubeconfig": kubeconfigWith(`https://${LAB_ADDRESS}:6555`) },
                /cannot reach the Kubernetes API server at https:\/\/10\.199\.0\.1:6555 \(kubernetes:kubeconfig\): .*ECONNREFUSED/,
            ],
            [
                "a user without rights to Secrets",
                { "faas:namespace": NS, "kubernetes:kubeconfig": k8s.kubeconfigFor("viewer") },
                /kubernetes:kubeconfig's user \(the user "viewer"\) may not get, create, update, patch, delete Secrets in the namespace openfaas-fn, .*grant it/,
            ],
        ];
        for (const [what, config, message] of cases) {
            await stack.setConfig(config, SECRET_KEYS);
            const up = await stack.up();
            expect(up.status, `${what}: ${up.out}`).not.toBe(0);
            expect(up.out, what).toMatch(message);
            expectNoSecret(up.out);
            expect(registryContainers(), what).toBe("");
        }
    }, 300_000);

    it("pulumi up: the registry and the pull secret; with the images pushed, two functions that the kubelet pulls through the secret, and that answer", async () => {
        await stack.setConfig({ "kubernetes:kubeconfig": k8s.adminKubeconfig }, SECRET_KEYS);
        const registry = await stack.up();
        expect(registry.status, registry.out).toBe(0);
        expectNoSecret(registry.out);
        // The Secret, as the kubelet reads it.
        const secret = await k8s.api("GET", `/api/v1/namespaces/${NS}/secrets/${PULL_SECRET}`);
        expect(secret.status).toBe(200);
        expect(secret.json.type).toBe("kubernetes.io/dockerconfigjson");
        const config = JSON.parse(Buffer.from((secret.json.data as Record<string, string>)[".dockerconfigjson"], "base64").toString());
        expect(config).toEqual({ auths: { [HOST]: { auth: auth(PASSWORD_1) } } });
        // Never in plaintext in state.
        const state = await stack.exportState();
        for (const s of [PASSWORD_1, auth(PASSWORD_1), Buffer.from(JSON.stringify(config)).toString("base64")]) expect(state.includes(s)).toBe(false);

        k8s.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], PASSWORD_1);
        for (const service of ["hello", "world"]) {
            importFunctionImage(k8s.docker, k8s.lab.dir, `${HOST}/team/${service}:1`, `${service} v1`);
            k8s.docker.must(["push", `${HOST}/team/${service}:1`]);
        }
        k8s.docker.must(["logout", HOST]);
        await stack.setConfig({ "faas:functions": JSON.stringify([fn("hello"), fn("world")]) });
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        process.stderr.write(`pulumi-kubernetes: registry up ${registry.ms} ms, two functions up ${up.ms} ms\n`);
        for (const service of ["hello", "world"]) {
            expect(await answers(service, `200 ${service} v1 GREETING=`)).toBe(`200 ${service} v1 GREETING=`);
            expect((await pods(service))[0].spec.imagePullSecrets).toEqual([{ name: PULL_SECRET }]);
        }
    }, 600_000);

    it("the control: without the pull secret the kubelet's pull is refused with 401", async () => {
        const deploy = await fetch(`${k8s.gateway.hostUrl}/system/functions`, {
            method: "POST",
            headers: { authorization: gatewayAuth(), "content-type": "application/json" },
            body: JSON.stringify({ service: "nosecret", image: `${HOST}/team/hello:1` }),
        });
        expect(deploy.status).toBe(202);
        let message = "";
        await waitFor(
            "the pull without the secret to fail",
            async () => {
                const waiting = (await pods("nosecret"))[0]?.status.containerStatuses?.[0]?.state.waiting;
                message = waiting?.message ?? "";
                return /ErrImagePull|ImagePullBackOff/.test(waiting?.reason ?? "") && message !== "";
            },
            60_000,
        );
        expect(message).toMatch(/401 Unauthorized/);
        const removed = await fetch(`${k8s.gateway.hostUrl}/system/functions`, {
            method: "DELETE",
            headers: { authorization: gatewayAuth(), "content-type": "application/json" },
            body: JSON.stringify({ functionName: "nosecret" }),
        });
        expect(removed.status).toBe(202);
    }, 120_000);

    it("a second pulumi up changes nothing, and neither does pulumi refresh", async () => {
        const { up, refresh } = await expectNoChanges(stack);
        process.stderr.write(`pulumi-kubernetes: no-op up ${up.ms} ms, refresh ${refresh.ms} ms\n`);
    }, 300_000);

    it("a PR preview that reaches neither the API server nor the gateway: no change, a warning naming the API server, no secret", async () => {
        // A network namespace of its own with only loopback (the engine talks to its plugins there): the cluster's
        // address and the gateway's port answer nothing, as from a CI runner outside the cluster's network. The
        // Docker engine is a unix socket, still reachable (pulumi-docker pings tcp:// and unix:// hosts in its Configure).
        const preview = await stack.spawnInLab([
            "unshare",
            "--net",
            "--",
            "sh",
            "-c",
            'ip link set lo up && exec "$@"',
            "sh",
            "pulumi",
            "preview",
            "--expect-no-changes",
            "--diff",
            "--stack",
            stack.name,
            "--config-file",
            stack.configFile,
            "--non-interactive",
        ]);
        expect(preview.status, preview.out).toBe(0);
        expect(preview.out).toMatch(/could not ask the Kubernetes API server \(.*\), so the Kubernetes gate is shown unchanged/);
        expectNoSecret(preview.out);
        // And the real cluster still has everything.
        expect(names(await k8s.api("GET", `/api/v1/namespaces/${NS}/secrets`))).toContain(PULL_SECRET);
        process.stderr.write(`pulumi-kubernetes: preview without the cluster ${preview.ms} ms\n`);
    }, 300_000);

    it("a password rotation replaces the Secret under its name, the functions unchanged; a rescheduled pod and a function deployed after it pull with the new password", async () => {
        await stack.setConfig({ "registry:users": users(PASSWORD_2) }, SECRET_KEYS);
        const plan = changedResources(await stack.preview(["--json"]));
        // The users are rewritten in the running registry (registry-htpasswd), not by a new container.
        expect(plan).toEqual(expect.arrayContaining(["functions-pull-secret-secret", "registry-htpasswd"]));
        expect(plan).not.toContain("registry-container");
        // The functions themselves do not change: they name the same Secret.
        expect(plan.filter((r) => r.endsWith("-deployment"))).toEqual([]);
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        const secret = await k8s.api("GET", `/api/v1/namespaces/${NS}/secrets/${PULL_SECRET}`);
        expect(JSON.parse(Buffer.from((secret.json.data as Record<string, string>)[".dockerconfigjson"], "base64").toString())).toEqual({
            auths: { [HOST]: { auth: auth(PASSWORD_2) } },
        });
        // The old password no longer opens the registry (the running registry re-read its htpasswd).
        expect(k8s.docker.cli(["login", HOST, "-u", "ci", "--password-stdin"], PASSWORD_1).status).not.toBe(0);
        // A rescheduled pod pulls again (faas-netes: imagePullPolicy Always) with the Secret as it is now.
        const [old] = await pods("hello");
        expect((await k8s.api("DELETE", `/api/v1/namespaces/${NS}/pods/${old.metadata.name}`)).status).toBe(200);
        await waitFor(
            "a new hello pod to be ready",
            async () => (await pods("hello")).some((p) => p.metadata.name !== old.metadata.name && p.status.containerStatuses?.[0]?.ready === true),
            90_000,
        );
        expect(await answers("hello", "200 hello v1 GREETING=")).toBe("200 hello v1 GREETING=");
        // A function deployed after the rotation.
        k8s.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], PASSWORD_2);
        importFunctionImage(k8s.docker, k8s.lab.dir, `${HOST}/team/later:1`, "later v1");
        k8s.docker.must(["push", `${HOST}/team/later:1`]);
        k8s.docker.must(["logout", HOST]);
        await stack.setConfig({ "faas:functions": JSON.stringify([fn("hello"), fn("world"), fn("later")]) });
        const later = await stack.up();
        expect(later.status, later.out).toBe(0);
        expect(await answers("later", "200 later v1 GREETING=")).toBe("200 later v1 GREETING=");
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 600_000);

    it("a function removed from config is deleted, and only it", async () => {
        await stack.setConfig({ "faas:functions": JSON.stringify([fn("hello"), fn("later")]) });
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        // faas-netes deletes the Deployment with foreground propagation: gone once its pods are.
        const deployments = async () => names(await k8s.api("GET", `/apis/apps/v1/namespaces/${NS}/deployments`));
        await waitFor("world's Deployment to be gone", async () => !(await deployments()).includes("world"), 60_000);
        expect(await deployments()).toEqual(["hello", "later"]);
        expect(await invoke("hello")).toBe("200 hello v1 GREETING=");
    }, 300_000);

    it("pulumi destroy removes our Secret and functions, and nothing else in the namespace", async () => {
        const destroy = await stack.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        expectNoSecret(destroy.out);
        await waitFor(
            "every Deployment to be gone",
            async () => names(await k8s.api("GET", `/apis/apps/v1/namespaces/${NS}/deployments`)).length === 0,
            60_000,
        );
        expect(names(await k8s.api("GET", `/api/v1/namespaces/${NS}/secrets`))).toEqual(["someone-elses"]);
        expect(names(await k8s.api("GET", `/api/v1/namespaces/${NS}/configmaps`))).toEqual(expect.arrayContaining(["someone-elses"]));
    }, 300_000);
});
