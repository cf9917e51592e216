// The faasreg package on OpenFaaS for Kubernetes, for real: examples/package/kubernetes (TypeScript, its SDK generated
// from the provider's schema) declares the package's registry (on the lab's Docker engine), its image pull secret
// (faasreg:faas:KubernetesPullSecret, written with @pulumi/kubernetes) and a function on faas-netes that names it. One
// lab: a real one-node Kubernetes, faas-netes and the gateway (test/helpers/k8s-lab.ts). The first `up` (without the
// function) makes the registry and the Secret; the image is pushed; `up` deploys the function, which the kubelet pulls
// through the Secret; a second `up` and a `refresh` change nothing; no secret in state or output; `destroy` takes the
// Secret, the function and the registry's container away. Needs FAASREG_KUBERNETES_BIN (docs/building.md).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFunctionImage } from "../helpers/function-image";
import { ImageSource } from "../helpers/image-source";
import { type K8sLab, k8sSkipReason, LAB_ADDRESS, startK8sLab } from "../helpers/k8s-lab";
import { waitFor } from "../helpers/lab";
import { copyPackageProgram, prepareTypeScriptProgram } from "../helpers/package-project";
import { PROJECT_ROOT, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { importRegistryImage } from "../helpers/registry-image";
import { skipping } from "../helpers/skip";
import { makeCaSignedCertificate } from "../helpers/tls";

const skip = skipping("test/e2e/package-kubernetes.test.ts", k8sSkipReason(), registrySkipReason(), pulumiSkipReason());

const HOST = "registry.package-k8s.test";
const NS = "openfaas-fn";
const PASSWORD = "ci-Package-k8s-Pass-0123456";
const GATEWAY_PASSWORD = "gw-Package-k8s-Pass-0123";
/** `<project>-<stack>-<name>` (components/faas/kubernetes.ts). */
const PULL_SECRET = "faasreg-kubernetes-example-k8s-pull-secret";

describe.skipIf(skip !== undefined)(
    "the faasreg package on the real OpenFaaS for Kubernetes: a registry, its image pull secret, a function pulled through it",
    () => {
        let k8s: K8sLab;
        let stack: PulumiStack;
        const certificate = makeCaSignedCertificate([HOST]);
        const auth = Buffer.from(`ci:${PASSWORD}`).toString("base64");
        const expectNoSecret = (text: string, where: string) => {
            for (const secret of [PASSWORD, auth, GATEWAY_PASSWORD, certificate.key.split("\n")[1]])
                expect(text.includes(secret), `a secret in ${where}`).toBe(false);
        };
        const invoke = async (service: string) => {
            const r = await fetch(`${k8s.gateway.hostUrl}/function/${service}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
            return r === undefined ? "no answer" : `${r.status} ${(await r.text()).trim()}`;
        };
        const registryContainers = () =>
            k8s.docker
                .must(["ps", "-a", "--format", "{{.Names}}"])
                .split("\n")
                .filter((n) => n.includes("-k8s-registry"));

        beforeAll(async () => {
            k8s = await startK8sLab({ gatewayPassword: GATEWAY_PASSWORD, hosts: { [HOST]: LAB_ADDRESS } });
            k8s.trustRegistry(HOST, certificate.ca);
            k8s.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
            const source = await ImageSource.start(k8s.lab, k8s.docker);
            importRegistryImage(k8s.docker, k8s.lab.dir, "faasreg-test/registry:3");
            // The provider asks the registry why a pull fails: it trusts the registry's CA as the nodes do.
            const caFile = join(k8s.lab.dir, "registry-ca.pem");
            writeFileSync(caFile, certificate.ca);
            const project = copyPackageProgram(join(PROJECT_ROOT, "examples", "package", "kubernetes"), join(k8s.lab.dir, "example-kubernetes"));
            stack = await PulumiStack.init(
                k8s.lab,
                "k8s",
                {
                    "docker:host": k8s.docker.host,
                    "kubernetes:kubeconfig": k8s.adminKubeconfig,
                    registryHost: HOST,
                    // The lab's 443 on other addresses is taken (the connectivity check's stand-in).
                    registryBindAddress: LAB_ADDRESS,
                    registryImage: source.publish("faasreg-test/registry:3").ref,
                    certificate: `${certificate.cert}${certificate.ca}`,
                    privateKey: certificate.key,
                    registryPassword: PASSWORD,
                    gatewayUrl: k8s.gateway.url,
                    gatewayPassword: GATEWAY_PASSWORD,
                    image: "team/hello:1",
                },
                ["kubernetes:kubeconfig", "privateKey", "registryPassword", "gatewayPassword"],
                { project, env: { NODE_EXTRA_CA_CERTS: caFile } },
            );
            await prepareTypeScriptProgram(stack, project);
        }, 300_000);
        afterAll(async () => {
            await k8s?.stop();
        }, 90_000);

        it("up: the registry and the pull secret, then the function the kubelet pulls through it; no change on a second up or a refresh; destroy; the secrets secret throughout", async () => {
            const first = await stack.up(["--exclude", "**faasreg:index:Function**"]);
            expect(first.status, first.out.slice(-4000)).toBe(0);
            expect(await stack.output("pullSecretName")).toBe(PULL_SECRET);
            // The Secret, as the kubelet reads it.
            const secret = await k8s.api("GET", `/api/v1/namespaces/${NS}/secrets/${PULL_SECRET}`);
            expect(secret.status).toBe(200);
            expect(secret.json.type).toBe("kubernetes.io/dockerconfigjson");
            const dockerConfig = JSON.parse(Buffer.from((secret.json.data as Record<string, string>)[".dockerconfigjson"], "base64").toString());
            expect(dockerConfig).toEqual({ auths: { [HOST]: { auth } } });

            k8s.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], PASSWORD);
            importFunctionImage(k8s.docker, k8s.lab.dir, `${HOST}/team/hello:1`, "hello from the package");
            k8s.docker.must(["push", `${HOST}/team/hello:1`]);
            k8s.docker.must(["logout", HOST]);

            const up = await stack.up();
            expect(up.status, up.out.slice(-4000)).toBe(0);
            let last = "";
            await waitFor("the function to answer", async () => (last = await invoke("hello-kubernetes")).startsWith("200"), 60_000).catch(() => undefined);
            expect(last).toBe("200 hello from the package GREETING=hello from Kubernetes");
            const pods = (await k8s.api("GET", `/api/v1/namespaces/${NS}/pods?labelSelector=faas_function%3Dhello-kubernetes`)).json.items as {
                spec: { imagePullSecrets?: { name: string }[] };
            }[];
            expect(pods[0].spec.imagePullSecrets).toEqual([{ name: PULL_SECRET }]);

            const again = await stack.up(["--expect-no-changes"]);
            expect(again.status, again.out.slice(-4000)).toBe(0);
            const refresh = await stack.refresh(["--expect-no-changes"]);
            expect(refresh.status, refresh.out.slice(-4000)).toBe(0);
            const state = await stack.exportState();
            for (const type of [
                "faasreg:faas:KubernetesPullSecret",
                "faasreg:faas:KubernetesGate",
                "kubernetes:core/v1:Secret",
                "faasreg:registry:PrivateRegistry",
            ])
                expect(state).toContain(`"type": "${type}"`);
            for (const [text, where] of [
                [state, "the state"],
                [first.out, "the first up's output"],
                [up.out, "pulumi up's output"],
                [again.out, "the second up's output"],
                [refresh.out, "pulumi refresh's output"],
            ])
                expectNoSecret(text, where);
            expect(state.includes(Buffer.from(JSON.stringify(dockerConfig)).toString("base64")), "the Secret's data in the state").toBe(false);
            process.stderr.write(`package-kubernetes: registry and secret up ${first.ms} ms, function up ${up.ms} ms, no-op up ${again.ms} ms\n`);

            const destroy = await stack.destroy();
            expect(destroy.status, destroy.out.slice(-4000)).toBe(0);
            expect((await k8s.api("GET", `/api/v1/namespaces/${NS}/secrets/${PULL_SECRET}`)).status).toBe(404);
            expect(await invoke("hello-kubernetes")).not.toMatch(/^200/);
            expect(registryContainers()).toEqual([]);
        }, 600_000);
    },
);
