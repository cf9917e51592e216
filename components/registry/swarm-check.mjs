// The Swarm gate of `registry:mode swarm`, run by the stack's SwarmGate resource (swarm-gate.ts) on every
// preview, up and refresh: asks the Docker engine at docker:host whether it is a Swarm manager, and answers its
// node id (the front's placement, and the replicas' with a named volume). With `resolve`, it also asks the
// engine what it would pin each image to (GET /distribution/NAME/json, as the Docker client does when the docker
// provider creates a service with QueryRegistry): the reference with its digest, and the image's platforms.
// Anything wrong ends here with a message naming the config key.
//
// stdin:  {"connection": {"host", "sshOpts", "certPath", "caMaterial", "certMaterial", "keyMaterial"}, "resolve": ["image", ...]}
// stdout: {"nodeId": "...", "pins": {"image": {"reference": "image:tag@sha256:...", "platforms": [{"os", "architecture"}]}}}
// With {"platform": true} instead, it only answers the engine's platform, {"platform": "linux/amd64"}, what
// function images built on that engine are built for.
//
// Talks the Engine API itself: unix://, tcp:// (with TLS when docker:certPath or docker:caMaterial/certMaterial/
// keyMaterial are set, as the docker provider does), or ssh:// through `docker system dial-stdio` on the host with
// docker:sshOpts (what the docker CLI and provider do).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { Duplex } from "node:stream";

const input = JSON.parse(
    await new Promise((resolve) => {
        let text = "";
        process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text || "{}"));
    }),
);
const connection = input.connection ?? {};
const dockerHost = connection.host ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
const shown = connection.host === undefined ? `the local engine (${dockerHost})` : `docker:host (${dockerHost})`;

function fail(message) {
    process.stderr.write(`registry:mode swarm: ${message}\n`);
    process.exit(1);
}

/** docker:certPath (ca.pem, cert.pem, key.pem) or the *Material keys: the client TLS the docker provider uses for tcp://. */
function tlsOptions() {
    if (connection.caMaterial !== undefined || connection.certMaterial !== undefined || connection.keyMaterial !== undefined) {
        return { ca: connection.caMaterial, cert: connection.certMaterial, key: connection.keyMaterial };
    }
    if (connection.certPath !== undefined) {
        const read = (file) => {
            try {
                return readFileSync(join(connection.certPath, file), "utf8");
            } catch (e) {
                fail(`docker:certPath (${connection.certPath}) has no readable ${file}: ${e.message}`);
            }
        };
        return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
    }
    return undefined;
}

function transport() {
    let url;
    try {
        url = new URL(dockerHost);
    } catch {
        fail(`${shown} is not a URL: use unix:///path, tcp://host:port or ssh://user@host`);
    }
    if (url.protocol === "unix:") return { module: http, options: { socketPath: url.pathname } };
    if (url.protocol === "tcp:") {
        const tls = tlsOptions();
        if (tls === undefined) return { module: http, options: { host: url.hostname, port: Number(url.port || 2375) } };
        // TLS on tcp:// (port 2376 by convention): the engine's certificate is checked against the CA given.
        return { module: https, options: { host: url.hostname, port: Number(url.port || 2376), ...tls, servername: url.hostname } };
    }
    if (url.protocol === "ssh:") {
        const args = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=15", ...(connection.sshOpts ?? [])];
        if (url.port) args.push("-p", url.port);
        if (url.username) args.push("-l", decodeURIComponent(url.username));
        args.push("--", url.hostname, "docker", "system", "dial-stdio");
        return {
            module: http,
            options: {
                createConnection: () => {
                    const ssh = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
                    let said = "";
                    ssh.stderr.on("data", (c) => (said += c));
                    ssh.on("error", (e) => fail(`cannot run ssh to reach ${shown}: ${e.message}`));
                    ssh.on("exit", (code) => {
                        if (code !== 0 && code !== null)
                            fail(
                                `ssh to ${shown} exited ${code}: ${said.trim().split("\n").pop() ?? ""}. Check docker:host and docker:sshOpts, and that "docker" runs there`,
                            );
                    });
                    return Duplex.from({ readable: ssh.stdout, writable: ssh.stdin });
                },
            },
        };
    }
    fail(`${shown} is not unix://, tcp:// or ssh://: the check cannot reach it; point docker:host at the Swarm manager with one of those`);
}

const { module, options } = transport();

/** GET PATH on the engine: the parsed JSON body and the status, or a failure naming docker:host. */
function get(path) {
    return new Promise((resolve) => {
        const req = module.request({ ...options, path, method: "GET", headers: { host: "docker" }, timeout: 30_000 }, (res) => {
            let body = "";
            res.setEncoding("utf8")
                .on("data", (c) => (body += c))
                .on("end", () => {
                    let json;
                    try {
                        json = JSON.parse(body);
                    } catch {
                        json = undefined;
                    }
                    resolve({ status: res.statusCode, json, body });
                });
        });
        req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
        req.on("error", (e) => {
            const hint = /EPROTO|wrong version|ECONNRESET|socket hang up/.test(e.message)
                ? module === http
                    ? " (does the engine speak TLS? then set docker:certPath, or docker:caMaterial, docker:certMaterial and docker:keyMaterial)"
                    : " (does the engine speak TLS on this port?)"
                : "";
            fail(`cannot reach ${shown}: ${e.message}${hint}. Check docker:host (and that the engine runs), then run pulumi again`);
        });
        req.end();
    });
}

const info = await get("/info");
if (info.status !== 200 || info.json === undefined) {
    if (info.status === 400 && /HTTP request to an HTTPS server|Client sent an HTTP request/i.test(info.body)) {
        fail(
            `${shown} speaks TLS: set docker:certPath (a folder with ca.pem, cert.pem and key.pem), or docker:caMaterial, docker:certMaterial and docker:keyMaterial`,
        );
    }
    fail(`${shown} answered GET /info with HTTP ${info.status}: ${info.body.slice(0, 200)}: is it a Docker engine?`);
}
// `{"platform": true}`: only the engine's platform, for builds (components/docker-platform.ts); no Swarm needed.
if (input.platform === true) {
    const arch = {
        x86_64: "amd64",
        amd64: "amd64",
        aarch64: "arm64",
        arm64: "arm64",
        armv7l: "arm/v7",
        armv6l: "arm/v6",
        ppc64le: "ppc64le",
        s390x: "s390x",
        riscv64: "riscv64",
    }[info.json.Architecture];
    if (arch === undefined)
        fail(`${shown} reports the architecture "${info.json.Architecture}", which has no Docker platform name here: set build.platform for each function`);
    process.stdout.write(JSON.stringify({ platform: `${info.json.OSType ?? "linux"}/${arch}` }));
    process.exit(0);
}
const swarm = info.json.Swarm ?? {};
if (swarm.LocalNodeState !== "active") {
    fail(
        `${shown} is not part of a Swarm (its state is "${swarm.LocalNodeState ?? "unknown"}"): run "docker swarm init" there (or join it to your Swarm as a manager), point docker:host at a manager, or set registry:mode container`,
    );
}
if (swarm.ControlAvailable !== true) {
    fail(
        `${shown} is a Swarm worker, not a manager: services can only be created on a manager. Point docker:host at a manager ("docker node ls" there lists them), or promote this node with "docker node promote"`,
    );
}

/**
 * What the Docker client makes of an image when the docker provider creates a service with QueryRegistry
 * (docker/docker client/service_create.go, resolveContainerSpecImage): the reference with the digest the
 * registry serves, in familiar form unless it had a digest already, and the image's platforms, "arm" without
 * its architecture.
 */
async function pin(image) {
    const r = await get(`/distribution/${encodeURIComponent(image)}/json`);
    if (r.status !== 200 || r.json?.Descriptor?.digest === undefined) {
        return {
            reference: image,
            platforms: [],
            warning: `the engine could not resolve ${image} (HTTP ${r.status}: ${(r.json?.message ?? r.body).slice(0, 200)})`,
        };
    }
    const platforms = (r.json.Platforms ?? []).map((p) => ({
        os: p.os ?? "",
        architecture: (p.architecture ?? "").toLowerCase() === "arm" ? "" : (p.architecture ?? ""),
    }));
    return { reference: withDigest(image, r.json.Descriptor.digest), platforms };
}

/** reference.FamiliarString(reference.WithDigest(ParseNormalizedNamed(image), digest)); an image with a digest stays as it is. */
function withDigest(image, digest) {
    if (image.includes("@")) return image;
    const familiar = image.replace(/^(?:index\.)?docker\.io\/(?:library\/(?=[^/]+$))?/, "");
    return `${familiar}@${digest}`;
}

const pins = {};
for (const image of input.resolve ?? []) pins[image] = await pin(image);
process.stdout.write(JSON.stringify({ nodeId: swarm.NodeID, pins }));
