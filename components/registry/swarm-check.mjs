// The Swarm gate of `registry:mode swarm`, run by the stack's SwarmGate resource (swarm-gate.ts) on every
// preview, up and refresh: asks the Docker engine at docker:host whether it is a Swarm manager, and answers its
// node id (the front's placement, and the replicas' with a named volume). With `resolve`, it also asks the
// engine what it would pin each image to (GET /distribution/NAME/json, as the Docker client does when the docker
// provider creates a service with QueryRegistry): the reference with its digest, and the image's platforms.
// Anything wrong ends here with a message naming the config key, and an exit code that tells an engine that could not
// be asked (2: unreachable, ssh refused) from one whose answer is refused (1).
//
// stdin:  {"connection": {"host", "context", "sshOpts", "certPath", "caMaterial", "certMaterial", "keyMaterial"}, "resolve": ["image", ...]}
// stdout: {"nodeId": "...", "pins": {"image": {"reference": "image:tag@sha256:...", "platforms": [{"os", "architecture"}]}}}
// With {"volume": NAME} too, also "volume": {"exists", "bytes", "labels"}: that volume on this node.
// With {"platform": true} instead, it only answers the engine's platform, {"platform": "linux/amd64"}, what
// function images built on that engine are built for.
//
// Talks the Engine API itself: unix://, tcp:// (with TLS when docker:certPath or docker:caMaterial/certMaterial/
// keyMaterial are set, as the docker provider does), or ssh:// through `docker system dial-stdio` on the host with
// docker:sshOpts (what the docker CLI and provider do).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";

const input = JSON.parse(
    await new Promise((resolve) => {
        let text = "";
        process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text || "{}"));
    }),
);
const connection = input.connection ?? {};

/** Exit codes: 1 the engine answered and the answer is refused (or the config is wrong); 2 it could not be asked. */
const REFUSED = 1;
const UNREACHABLE = 2;

/** What was asked, for the messages: a file in the registry's container (either mode), else the Swarm gate (the platform's caller drops it). */
const TASK = input.file !== undefined ? `the registry's ${input.file.path} in its container` : "registry:mode swarm";

function fail(message, code = REFUSED) {
    process.stderr.write(`${TASK}: ${message}\n`);
    process.exit(code);
}

/**
 * The engine the docker provider talks to (terraform-provider-docker v4.5.0, provider.go `configure` and
 * `getContextHost`): docker:context, else DOCKER_CONTEXT, overrides docker:host with the `docker` endpoint's Host of
 * the context of that name in the user's ~/.docker/contexts/meta/<id>/meta.json (its TLS files are not used there
 * either); else docker:host; else DOCKER_HOST; else the local socket.
 */
function resolveEngine() {
    const contextName = connection.context ?? process.env.DOCKER_CONTEXT ?? "";
    if (contextName !== "") {
        const key = connection.context !== undefined ? "docker:context" : "DOCKER_CONTEXT";
        const dir = join(homedir(), ".docker", "contexts", "meta");
        let entries;
        try {
            entries = readdirSync(dir);
        } catch (e) {
            fail(
                `${key} is "${contextName}", but ${dir} cannot be read (${e.code ?? e.message}): create the context (docker context create), or set docker:host instead`,
            );
        }
        for (const entry of entries) {
            let meta;
            try {
                meta = JSON.parse(readFileSync(join(dir, entry, "meta.json"), "utf8"));
            } catch {
                continue;
            }
            if (meta?.Name === contextName && typeof meta.Endpoints?.docker?.Host === "string") {
                return { host: meta.Endpoints.docker.Host, shown: `${key} "${contextName}" (${meta.Endpoints.docker.Host})` };
            }
        }
        fail(
            `${key} is "${contextName}", but no Docker context of that name is in ${dir} ("docker context ls" lists them): create it, or set docker:host instead`,
        );
    }
    if (connection.host !== undefined) return { host: connection.host, shown: `docker:host (${connection.host})` };
    const host = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    return { host, shown: `the local engine (${host})` };
}
const { host: dockerHost, shown } = resolveEngine();

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
                    ssh.on("error", (e) => fail(`cannot run ssh to reach ${shown}: ${e.message}`, UNREACHABLE));
                    sshExit = new Promise((resolve) =>
                        ssh.on("exit", (code) => {
                            // 255 is ssh's own failure (no route, refused, no key, host key): the engine was not asked.
                            if (code === 255)
                                fail(
                                    `ssh to ${shown} failed: ${lastLine(said)}. Check docker:host and docker:sshOpts (and the SSH key this machine offers)`,
                                    UNREACHABLE,
                                );
                            if (code !== 0 && code !== null)
                                fail(
                                    `ssh to ${shown} exited ${code}: ${lastLine(said)}. Check that "docker" runs there for this user (docker system dial-stdio)`,
                                );
                            resolve();
                        }),
                    );
                    return Duplex.from({ readable: ssh.stdout, writable: ssh.stdin });
                },
            },
        };
    }
    fail(`${shown} is not unix://, tcp:// or ssh://: the check cannot reach it; point docker:host at the Swarm manager with one of those`);
}

/** Set when ssh carries the connection: its exit says more than the socket error it causes. */
let sshExit;
const lastLine = (text) => text.trim().split("\n").pop() ?? "";
const { module, options } = transport();
/** Errors that mean nobody answered: the engine was not asked (a preview may go on without it). */
const NO_ANSWER = /ECONNREFUSED|ENOENT|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EACCES|no answer within/;

/** GET PATH on the engine: the parsed JSON body and the status, or a failure naming docker:host. */
function get(path) {
    return call("GET", path);
}

/** METHOD PATH on the engine, with an optional body: the status, the body (text and JSON, and raw), or a failure naming docker:host. */
function call(method, path, data, contentType) {
    return new Promise((resolve) => {
        const headers = { host: "docker", ...(data === undefined ? {} : { "content-type": contentType, "content-length": data.length }) };
        const req = module.request({ ...options, path, method, headers, timeout: 30_000 }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c)).on("end", () => {
                const raw = Buffer.concat(chunks);
                const body = raw.toString("utf8");
                let json;
                try {
                    json = JSON.parse(body);
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, json, body, raw });
            });
        });
        req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
        req.on("error", async (e) => {
            // Over ssh, a failed ssh breaks the stream: its exit (and what it said) is the cause; wait for it.
            if (sshExit !== undefined) await Promise.race([sshExit, new Promise((r) => setTimeout(r, 2000))]);
            const hint =
                sshExit === undefined && /EPROTO|wrong version|ECONNRESET|socket hang up/.test(e.message)
                    ? module === http
                        ? " (does the engine speak TLS? then set docker:certPath, or docker:caMaterial, docker:certMaterial and docker:keyMaterial)"
                        : " (does the engine speak TLS on this port?)"
                    : "";
            fail(
                `cannot reach ${shown}: ${e.message}${hint}. Check docker:host (and that the engine runs), then run pulumi again`,
                NO_ANSWER.test(`${e.code ?? ""} ${e.message}`) || sshExit !== undefined ? UNREACHABLE : REFUSED,
            );
        });
        req.end(data);
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
// `{"file": {"container", "path", "content"?, "mode"?}}`: writes a file into a container (content given) or reads its
// sha256 (no content), through the Engine API's archive endpoint, as `docker cp` does; no Swarm needed. The
// registry's htpasswd is written so (container-file.ts): the registry re-reads it when its mtime changes.
if (input.file !== undefined) {
    const { container, path: file, content, mode } = input.file;
    const dir = file.slice(0, file.lastIndexOf("/")) || "/";
    const name = file.slice(file.lastIndexOf("/") + 1);
    const where = `${file} in the container ${container} on ${shown}`;
    if (content === undefined) {
        const r = await call("GET", `/containers/${encodeURIComponent(container)}/archive?path=${encodeURIComponent(file)}`);
        if (r.status === 404) {
            process.stdout.write(JSON.stringify({ exists: false }));
            process.exit(0);
        }
        if (r.status !== 200) fail(`could not read ${where}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        const data = untarFirstFile(r.raw);
        process.stdout.write(JSON.stringify({ exists: true, sha256: createHash("sha256").update(data).digest("hex") }));
        process.exit(0);
    }
    const data = Buffer.from(content, "utf8");
    const put = async (entry, bytes) => {
        const r = await call(
            "PUT",
            `/containers/${encodeURIComponent(container)}/archive?path=${encodeURIComponent(dir)}`,
            tarOf(entry, bytes, mode ?? 0o400),
            "application/x-tar",
        );
        if (r.status !== 200) fail(`could not write ${where}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    };
    // The archive endpoint removes a file, then writes it, where it is read: a reader that stats the file on every
    // request (the registry) sees it missing (400) or empty (401) meanwhile: 7, 3 and 1 of about 1,900 requests in
    // three runs of 20 rotations (test/e2e/registry-docker.test.ts). So the content goes beside it under another
    // name and is renamed over it (rename(2) replaces it at once): `mv` run in the container, as the official
    // registry image (Alpine) has it.
    const temporary = `.${name}.new`;
    await put(temporary, data);
    const moved = await execIn(container, ["mv", "-f", `${dir === "/" ? "" : dir}/${temporary}`, file]);
    let inPlace;
    if (moved !== true) {
        // No rename: written in place (the registry reads it from its next request on), the copy emptied. A stopped
        // container has no reader to mind that; a running one without `mv` gets the warning (container-file.ts).
        await put(name, data);
        await put(temporary, Buffer.alloc(0));
        if (moved !== "not running") inPlace = moved;
    }
    process.stdout.write(
        JSON.stringify({ exists: true, sha256: createHash("sha256").update(data).digest("hex"), ...(inPlace === undefined ? {} : { inPlace }) }),
    );
    process.exit(0);
}

/**
 * Runs `cmd` in the running `container` (the Engine API's exec, detached, its exit code then read back): true when
 * it exited 0, "not running" when the container is not, else why it did not run or failed (for the warning); fails
 * when it is still running after 10 s.
 */
async function execIn(container, cmd) {
    const json = (value) => Buffer.from(JSON.stringify(value), "utf8");
    const created = await call(
        "POST",
        `/containers/${encodeURIComponent(container)}/exec`,
        json({ Cmd: cmd, AttachStdout: false, AttachStderr: false }),
        "application/json",
    );
    if (created.status === 409) return "not running";
    if (created.status !== 201 || typeof created.json?.Id !== "string")
        return `the engine refused the exec: HTTP ${created.status} ${created.body.slice(0, 200).trim()}`;
    const id = encodeURIComponent(created.json.Id);
    const started = await call("POST", `/exec/${id}/start`, json({ Detach: true }), "application/json");
    if (started.status !== 200) return `${cmd[0]} did not start: HTTP ${started.status} ${started.body.slice(0, 200).trim()}`;
    for (let i = 0; i < 200; i++) {
        const r = await get(`/exec/${id}/json`);
        if (r.status === 200 && r.json?.Running === false) return r.json.ExitCode === 0 ? true : `${cmd[0]} exited ${r.json.ExitCode}`;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Not a reason to write in place: it may still rename what it was given, after the copy beside it is emptied.
    fail(`${cmd.join(" ")} still ran after 10 s in the container ${container} on ${shown}: check that the container is healthy, then run pulumi up again`);
}

/**
 * A tar of one file, owned by root, with its mtime to the nanosecond in a PAX header: a reader that reloads the file
 * when its mtime changes (the registry's htpasswd) must see a change even within the second it last loaded it.
 */
function tarOf(name, data, mode) {
    const header = (entryName, size, type) => {
        const h = Buffer.alloc(512);
        const field = (value, offset, length) => h.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "ascii");
        h.write(entryName, 0, 100, "utf8");
        field(type === "x" ? 0o644 : mode, 100, 8);
        field(0, 108, 8);
        field(0, 116, 8);
        field(size, 124, 12);
        field(Math.floor(Date.now() / 1000), 136, 12);
        h.write("        ", 148, 8, "ascii");
        h.write(type, 156, 1, "ascii");
        h.write("ustar\0", 257, 6, "ascii");
        h.write("00", 263, 2, "ascii");
        let sum = 0;
        for (const b of h) sum += b;
        h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
        return h;
    };
    const pad = (length) => Buffer.alloc((512 - (length % 512)) % 512);
    const [seconds, nanos] = [Math.floor(Date.now() / 1000), process.hrtime.bigint() % 1_000_000_000n];
    const record = (text) => {
        // "LEN key=value\n", LEN counting itself.
        let length = text.length + 3;
        while (`${length} ${text}\n`.length !== length) length = `${length} ${text}\n`.length;
        return `${length} ${text}\n`;
    };
    const pax = Buffer.from(record(`mtime=${seconds}.${nanos.toString().padStart(9, "0")}`), "utf8");
    return Buffer.concat([
        header(`PaxHeaders/${name}`, pax.length, "x"),
        pax,
        pad(pax.length),
        header(name, data.length, "0"),
        data,
        pad(data.length),
        Buffer.alloc(1024),
    ]);
}

/** The content of the first regular file of a tar (skipping PAX headers). */
function untarFirstFile(tar) {
    for (let offset = 0; offset + 512 <= tar.length;) {
        const h = tar.subarray(offset, offset + 512);
        if (h.every((b) => b === 0)) break;
        const size = Number.parseInt(h.subarray(124, 136).toString("ascii").replace(/\0.*$/, "").trim() || "0", 8);
        const type = String.fromCharCode(h[156] || 48);
        const start = offset + 512;
        if (type === "0") return tar.subarray(start, start + size);
        offset = start + Math.ceil(size / 512) * 512;
    }
    return Buffer.alloc(0);
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

/**
 * The registry's data volume on this node, with `{"volume": NAME}`: whether it exists, its labels, and its size
 * (GET /system/df: the engine measures every volume, once), so the gate can tell a volume that holds a registry
 * (restored from a backup) from the empty one Swarm would make when a task first mounts it here.
 */
async function volume(name) {
    const found = await get(`/volumes/${encodeURIComponent(name)}`);
    if (found.status === 404) return { exists: false, bytes: 0, labels: {} };
    if (found.status !== 200) fail(`${shown} answered GET /volumes/${name} with HTTP ${found.status}: ${found.body.slice(0, 200)}`);
    const df = await get("/system/df");
    const usage = (df.json?.Volumes ?? []).find((v) => v.Name === name)?.UsageData;
    return { exists: true, bytes: usage?.Size ?? -1, labels: found.json?.Labels ?? {} };
}

const pins = {};
for (const image of input.resolve ?? []) pins[image] = await pin(image);
const answer = { nodeId: swarm.NodeID, pins };
if (typeof input.volume === "string") answer.volume = await volume(input.volume);
process.stdout.write(JSON.stringify(answer));
