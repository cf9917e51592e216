import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryLogin } from "./args";

/** Where faasd reads pull credentials, on every deploy and update (no restart needed). */
export const FAASD_DOCKER_CONFIG = "/var/lib/faasd/.docker/config.json";

export interface FaasdHostConnection {
    host: pulumi.Input<string>;
    /** root, or a user with passwordless sudo. Defaults to "root". */
    user?: pulumi.Input<string>;
    /** Defaults to 22. */
    port?: pulumi.Input<number>;
    /** PEM private key (a secret). Without it the SSH agent is used. */
    privateKey?: pulumi.Input<string>;
    /** The host's public key (`ssh-ed25519 AAAA...`); without it the host key is not checked. */
    hostKey?: pulumi.Input<string>;
}

export interface FaasdRegistryCredentialsArgs {
    connection: FaasdHostConnection;
    /** The registry login to write (its password a secret). */
    registry: pulumi.Input<RegistryLogin>;
}

// The commands run on the faasd host with `sh`. Python 3 (on every cloud image: cloud-init needs it) merges
// the JSON, because faasd has no login command and the file holds other registries' entries too.
const AS_ROOT = 'as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }';
const NEEDS_PYTHON = `command -v python3 >/dev/null || { echo "faasd credentials: python3 is needed on this host to edit ${FAASD_DOCKER_CONFIG} (apt-get install -y python3)" >&2; exit 1; }`;
/** Python shared by both commands: read the file (absent: empty), write it back atomically, mode 0600. */
const PYTHON_FILE = `
import json, os, sys, tempfile
path = "${FAASD_DOCKER_CONFIG}"

def load():
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}

def save(config):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".config.json.")
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\\n")
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)
`;
const MERGE = `${PYTHON_FILE}
entry = json.load(sys.stdin)
config = load()
config.setdefault("auths", {})[entry["server"]] = {"auth": entry["auth"]}
save(config)
print("faasd credentials: wrote the entry for %s in %s" % (entry["server"], path))
`;
const REMOVE = `${PYTHON_FILE}
server = sys.argv[1]
config = load()
if config.get("auths", {}).pop(server, None) is not None:
    save(config)
print("faasd credentials: removed the entry for %s from %s" % (server, path))
`;

function shQuote(text: string): string {
    return `'${text.replace(/'/g, "'\\''")}'`;
}

/** The create (and update) command: merges the entry read from stdin. No secret in its text. */
export function mergeCommand(): string {
    return [AS_ROOT, NEEDS_PYTHON, `as_root python3 -c ${shQuote(MERGE)}`].join("\n");
}

/** The delete command: removes only the entry for `server`, leaving every other registry's. */
export function removeCommand(server: string): string {
    return [AS_ROOT, NEEDS_PYTHON, `as_root python3 -c ${shQuote(REMOVE)} ${shQuote(server)}`].join("\n");
}

/**
 * The registry's credentials where faasd reads them: an entry `{"auths": {SERVER: {"auth": base64(user:password)}}}`
 * merged into `/var/lib/faasd/.docker/config.json` on the faasd host over SSH (`@pulumi/command`'s
 * remote.Command), atomically (temp file + rename), mode 0600, every other registry's entry kept. The
 * secret travels on stdin only, never on a command line or in the output; a changed password changes the
 * stdin, which runs the command again; a new server name or faasd host replaces it (the old host's entry removed
 * first); destroy removes only this entry. faasd matches the key against
 * the image reference's host exactly, so it is the registry's `server` (`registry.example.com`, port 443
 * implied, or `host:port`).
 */
export class FaasdRegistryCredentials extends pulumi.ComponentResource {
    readonly command: command.remote.Command;

    constructor(name: string, args: FaasdRegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("faasreg:faas:FaasdRegistryCredentials", name, {}, opts);
        const registry = pulumi.output(args.registry);
        const stdin = pulumi.secret(
            registry.apply((r) => JSON.stringify({ server: r.server, auth: Buffer.from(`${r.username}:${r.password}`, "utf8").toString("base64") })),
        );
        const c = args.connection;
        this.command = new command.remote.Command(
            `${name}-command`,
            {
                connection: {
                    host: c.host,
                    user: c.user ?? "root",
                    port: c.port ?? 22,
                    ...(c.privateKey === undefined ? {} : { privateKey: pulumi.secret(c.privateKey) }),
                    ...(c.hostKey === undefined ? {} : { hostKey: c.hostKey }),
                },
                create: mergeCommand(),
                // The server is no secret; it only travels inside the secret login object.
                delete: pulumi.unsecret(registry.apply((r) => removeCommand(r.server))),
                stdin,
                // A new server name, or another faasd host, replaces the command: the old resource's delete removes
                // the old entry on the old host, then the new one is written. pulumi-command 1.2.1 does not replace on
                // a changed `connection` (it would only write the new host and leave the old host a valid password),
                // and a change of `delete` alone would not run. Delete first: two names of one host share one file.
                triggers: [pulumi.unsecret(registry.apply((r) => r.server)), c.host, c.user ?? "root", c.port ?? 22],
            },
            { parent: this, additionalSecretOutputs: ["stdin", "connection"], deleteBeforeReplace: true },
        );
        this.registerOutputs({});
    }
}
