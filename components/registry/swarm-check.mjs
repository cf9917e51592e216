// The Swarm gate of `registry:mode swarm`, run by `pulumi up` before any Swarm object is created: asks the
// Docker engine at docker:host (stdin: {"dockerHost": ...}) whether it is a Swarm manager, and prints its
// node id (the registry's and the front's placement). Anything else ends here with a message naming the
// config key. Talks the Engine API itself: unix://, tcp:// (plain), or ssh:// through `docker system
// dial-stdio` on the host (what the docker CLI and provider do).
import { spawn } from "node:child_process";
import http from "node:http";
import { Duplex } from "node:stream";

const input = JSON.parse(
    await new Promise((resolve) => {
        let text = "";
        process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text || "{}"));
    }),
);
const dockerHost = input.dockerHost ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
const shown = input.dockerHost === undefined ? `the local engine (${dockerHost})` : `docker:host (${dockerHost})`;

function fail(message) {
    process.stderr.write(`registry:mode swarm: ${message}\n`);
    process.exit(1);
}

function requestOptions() {
    const url = new URL(dockerHost);
    if (url.protocol === "unix:") return { socketPath: url.pathname };
    if (url.protocol === "tcp:") return { host: url.hostname, port: Number(url.port || 2375) };
    if (url.protocol === "ssh:") {
        const args = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=15"];
        if (url.port) args.push("-p", url.port);
        if (url.username) args.push("-l", decodeURIComponent(url.username));
        args.push("--", url.hostname, "docker", "system", "dial-stdio");
        return {
            createConnection: () => {
                const ssh = spawn("ssh", args, { stdio: ["pipe", "pipe", "inherit"] });
                ssh.on("error", (e) => fail(`cannot run ssh to reach ${shown}: ${e.message}`));
                return Duplex.from({ readable: ssh.stdout, writable: ssh.stdin });
            },
        };
    }
    fail(`${shown} is not unix://, tcp:// or ssh://: the check cannot reach it; point docker:host at the Swarm manager with one of those`);
}

const info = await new Promise((resolve) => {
    const req = http.request({ ...requestOptions(), path: "/info", method: "GET", headers: { host: "docker" }, timeout: 30_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8")
            .on("data", (c) => (body += c))
            .on("end", () => {
                if (res.statusCode !== 200) fail(`${shown} answered GET /info with HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
                try {
                    resolve(JSON.parse(body));
                } catch {
                    fail(`${shown} did not answer GET /info with JSON: is it a Docker engine?`);
                }
            });
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
    req.on("error", (e) => fail(`cannot reach ${shown}: ${e.message}. Check docker:host (and that the engine runs), then pulumi up again`));
    req.end();
});

const swarm = info.Swarm ?? {};
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
process.stdout.write(swarm.NodeID);
