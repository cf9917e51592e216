// Where a lab's engine pulls the images of the stack's services from, as a user's engine pulls `registry:3.1.2`
// or `caddy:2.10.2` from Docker Hub: a registry (distribution v3) inside the lab on 127.0.0.1:5999, which the
// engine treats as insecure (plain HTTP on loopback). Images that came from a registry carry a repo digest, so
// `docker.RemoteImage` reads one back and Swarm pins services by it: the path every real deployment takes
// (an image made with `docker import` has no digest, and would hide what pinning does).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DockerEngine, type Lab, waitFor } from "./lab";
import { registryBinary } from "./registry-binary";

export const IMAGE_SOURCE = "127.0.0.1:5999";

export class ImageSource {
    private constructor(
        private readonly docker: DockerEngine,
        readonly host: string,
    ) {}

    /** Starts the source registry inside the lab (about 0.2 s). */
    static async start(lab: Lab, docker: DockerEngine): Promise<ImageSource> {
        const config = join(lab.dir, "image-source.yml");
        writeFileSync(
            config,
            `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(lab.dir, "image-source")}\n  delete:\n    enabled: true\nhttp:\n  addr: ${IMAGE_SOURCE}\n`,
        );
        lab.spawn("image-source", [registryBinary(), "serve", config]);
        await waitFor("the lab's image source registry", async () => lab.log("image-source").includes("listening on"), 15_000);
        return new ImageSource(docker, IMAGE_SOURCE);
    }

    /**
     * Pushes the local image `ref` to the source as `HOST/ref`, and drops both local names: the engine must pull
     * it. Returns the remote name and the manifest digest the push reported (what the engine records as the
     * image's repo digest once it pulls it).
     */
    publish(ref: string): { ref: string; digest: string } {
        const remote = `${this.host}/${ref}`;
        this.docker.must(["tag", ref, remote]);
        const out = this.docker.must(["push", remote]);
        const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
        if (digest === undefined) throw new Error(`docker push ${remote} reported no digest:\n${out}`);
        this.docker.must(["rmi", ref, remote]);
        return { ref: remote, digest };
    }
}
