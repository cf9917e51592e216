// Everything the OpenFaaS-on-Swarm end-to-end test and bench stand on, in one private lab: a Docker engine
// in Swarm mode, the registry (a given container spec, on 443 under a DNS name the lab resolves, its
// certificate trusted by the engine), the real gateway + faas-swarm, and a registry user logged in to push.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { importFunctionImage } from "./function-image";
import { ImageSource } from "./image-source";
import { type DockerEngine, Lab, LAB_ADDRESS } from "./lab";
import { type SwarmOpenFaas, startSwarmOpenFaas } from "./openfaas";
import { type ContainerSpec, type RunningRegistry, startRealRegistry } from "./real-registry";
import { importRegistryImage } from "./registry-image";

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
        const faas = await startSwarmOpenFaas(lab, docker, { password: options.gatewayPassword, hosts: { [options.host]: LAB_ADDRESS } });
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

/** A lab for one stack of this project on Swarm: what the stack's own registry and functions need from it. */
export interface StackLab {
    lab: Lab;
    docker: DockerEngine;
    faas: SwarmOpenFaas;
    source: ImageSource;
    /** The registry image the stack runs (`registry:image`), pulled from the lab's image source. */
    registryImage: string;
    /** The registry's CA as a file, for NODE_EXTRA_CA_CERTS. */
    caFile: string;
    /**
     * Makes an image answering TEXT and pushes it as `ref` (HOST/REPO:TAG, into the stack's registry, as its user),
     * then drops the local copy and the engine's login: Swarm must pull it with the function's own credentials.
     */
    pushFunction(ref: string, text: string, user: string, password: string): void;
    /** The stack config of a registry under the lab's host with a given certificate, one user, and the lab's gateway. */
    stackConfig(certificate: { cert: string; ca: string; key: string }, user: string, password: string, gatewayPassword: string): Record<string, string>;
}

/**
 * A lab whose engine (Swarm mode) runs the stack's registry under `host` (resolved to the lab's own address, its
 * CA trusted by the engine) and the real gateway + faas-swarm. `defaultSocket`: the engine on the default socket
 * too (for `docker:host` over ssh://).
 */
export async function startStackLab(options: { name: string; host: string; ca: string; gatewayPassword: string; defaultSocket?: boolean }): Promise<StackLab> {
    const lab = await Lab.start(options.name);
    try {
        lab.addHost(LAB_ADDRESS, options.host);
        const docker = await lab.startDockerd({ swarm: true, defaultSocket: options.defaultSocket });
        lab.writeFile(`/etc/docker/certs.d/${options.host}/ca.crt`, options.ca);
        const caFile = join(lab.dir, "registry-ca.pem");
        writeFileSync(caFile, options.ca);
        const source = await ImageSource.start(lab, docker);
        importRegistryImage(docker, lab.dir, "faasreg-test/registry:3");
        const registryImage = source.publish("faasreg-test/registry:3").ref;
        const faas = await startSwarmOpenFaas(lab, docker, { password: options.gatewayPassword, hosts: { [options.host]: LAB_ADDRESS } });
        const pushFunction = (ref: string, text: string, user: string, password: string) => {
            docker.must(["login", options.host, "-u", user, "--password-stdin"], password);
            importFunctionImage(docker, lab.dir, ref, text);
            docker.must(["push", ref]);
            docker.must(["rmi", ref]);
            docker.must(["logout", options.host]);
        };
        const stackConfig = (certificate: { cert: string; ca: string; key: string }, user: string, password: string, gatewayPassword: string) => ({
            "registry:tls": "certificate",
            "registry:host": options.host,
            "registry:certificate": `${certificate.cert}${certificate.ca}`,
            "registry:privateKey": certificate.key,
            "registry:users": JSON.stringify([{ username: user, password }]),
            "registry:image": registryImage,
            "faas:gateway": faas.url,
            "faas:password": gatewayPassword,
        });
        return { lab, docker, faas, source, registryImage, caFile, pushFunction, stackConfig };
    } catch (error) {
        await lab.stop();
        throw error;
    }
}
