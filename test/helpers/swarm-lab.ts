// Everything the OpenFaaS-on-Swarm end-to-end test and bench stand on, in one private lab: a Docker engine
// in Swarm mode, the registry (a given container spec, on 443 under a DNS name the lab resolves, its
// certificate trusted by the engine), the real gateway + faas-swarm, and a registry user logged in to push.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { importFunctionImage } from "./function-image";
import { type DockerEngine, Lab } from "./lab";
import { type SwarmOpenFaas, startSwarmOpenFaas } from "./openfaas";
import { type ContainerSpec, type RunningRegistry, startRealRegistry } from "./real-registry";

export interface SwarmLab {
    lab: Lab;
    docker: DockerEngine;
    registry: RunningRegistry;
    faas: SwarmOpenFaas;
    /** The registry certificate (self-signed) as a file, for NODE_EXTRA_CA_CERTS. */
    caFile: string;
    /**
     * Makes an image answering TEXT (padded with `padMB` MB, see importFunctionImage), pushes it as
     * HOST/REPO:TAG, and drops the local copy (Swarm must pull it).
     */
    push(repo: string, tag: string, text: string, padMB?: number): string;
    stop(): Promise<void>;
}

export async function startSwarmLab(options: {
    name: string;
    host: string;
    registrySpec: ContainerSpec;
    certificate: string;
    user: string;
    registryPassword: string;
    gatewayPassword: string;
}): Promise<SwarmLab> {
    const lab = await Lab.start(options.name);
    try {
        // Before dockerd starts: Go programs read /etc/hosts at most every 5 s.
        lab.addHost("127.0.0.1", options.host);
        const docker = await lab.startDockerd({ swarm: true });
        const caFile = join(lab.dir, "registry-ca.pem");
        writeFileSync(caFile, options.certificate);
        lab.writeFile(`/etc/docker/certs.d/${options.host}/ca.crt`, options.certificate);
        const registry = await startRealRegistry(options.registrySpec, { port: 443, wrap: lab.wrap() });
        const faas = await startSwarmOpenFaas(lab, docker, { password: options.gatewayPassword, hosts: { [options.host]: "10.199.0.1" } });
        docker.must(["login", options.host, "-u", options.user, "--password-stdin"], options.registryPassword);
        return {
            lab,
            docker,
            registry,
            faas,
            caFile,
            push(repo, tag, text, padMB) {
                const ref = `${options.host}/${repo}:${tag}`;
                importFunctionImage(docker, lab.dir, ref, text, padMB);
                docker.must(["push", ref]);
                docker.must(["rmi", "-f", ref]);
                return ref;
            },
            async stop() {
                await registry.stop();
                registry.remove();
                await lab.stop();
            },
        };
    } catch (error) {
        await lab.stop();
        throw error;
    }
}
