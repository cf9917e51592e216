// The bad-input matrix, shared by the bad-input test and the secret-leak scan.
import { makeCaSignedCertificate, makeCertificate } from "./helpers/tls";

const { cert, key } = makeCertificate("registry.example.com");
/** Signed by a private CA, given as users give it: the chain without its root. */
const PRIVATE = makeCaSignedCertificate(["registry.example.com"]);
const OTHER_CA = makeCaSignedCertificate(["registry.example.com"]).ca;
const CERT = (extra: Record<string, string>) => ({
    "registry:host": "registry.example.com",
    "registry:tls": "certificate",
    "registry:certificate": PRIVATE.cert,
    "registry:privateKey": PRIVATE.key,
    ...extra,
});
const LE = { "registry:host": "registry.example.com", "registry:email": "ops@example.com" };
const FAAS = { ...LE, "faas:gateway": "https://gateway.example.com", "faas:password": "gateway-password" };
const KUBECONFIG = "apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: https://k8s.example.com:6443}\n";
const fns = (list: unknown) => ({ ...FAAS, "faas:functions": JSON.stringify(list) });
/** s3 storage whose secret key is in plaintext in the stack file. */
const S3_PLAIN_KEY = {
    ...LE,
    "registry:storage": "s3",
    "registry:s3Bucket": "b",
    "registry:s3Region": "eu-west-1",
    "registry:s3AccessKey": "AKIA0",
    "registry:s3SecretKey": "s3-secret-plain",
};
const fn = (extra: Record<string, unknown>) => fns([{ service: "hello", image: "team/hello:1", ...extra }]);

/** [name, config, the key the one error names, its message, keys deliberately NOT set as secrets] */
export type Case = [name: string, config: Record<string, string>, key: string, message: RegExp, plaintext?: string[]];

/** A host key in the form ssh-keyscan prints (its blob names its type). */
export const FAASD_KEY = { "faas:sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ6sqy7qq5dbTdOCvRaWTafNJ8eSxpQwnR3k2fgGJg5T" };

export const BAD_INPUT: Case[] = [
    ["a missing host with letsencrypt", { "registry:email": "ops@example.com" }, "registry:host", /is required with tls "letsencrypt"/],
    ["a host with a scheme", { ...LE, "registry:host": "https://registry.example.com" }, "registry:host", /not a bare host name/],
    ["a host with a port", { ...LE, "registry:host": "registry.example.com:5000" }, "registry:host", /not a bare host name/],
    ["a single-label host with letsencrypt", { ...LE, "registry:host": "localhost" }, "registry:host", /single-label/],
    ["an IP host with letsencrypt", { ...LE, "registry:host": "203.0.113.7" }, "registry:host", /DNS names only/],
    ["a host with an invalid label", { ...LE, "registry:host": "-bad.example.com" }, "registry:host", /not a valid DNS name/],
    ["a host given as an object", { ...LE, "registry:host": '{"name":"x"}' }, "registry:host", /must be a string, got an object/],
    ["letsencrypt without an email", { "registry:host": "registry.example.com" }, "registry:email", /is required with tls "letsencrypt"/],
    ["a malformed email", { ...LE, "registry:email": "ops-at-example.com" }, "registry:email", /not an e-mail address/],
    ["an unknown tls mode", { ...LE, "registry:tls": "acme" }, "registry:tls", /must be "letsencrypt", "certificate" or "none"/],
    [
        "certificate without a certificate",
        { "registry:tls": "certificate", "registry:host": "registry.example.com", "registry:privateKey": key },
        "registry:certificate",
        /is required with tls "certificate"/,
    ],
    [
        "certificate without a key",
        { "registry:tls": "certificate", "registry:host": "registry.example.com", "registry:certificate": cert },
        "registry:privateKey",
        /is required with tls "certificate"/,
    ],
    [
        "a certificate that is not PEM",
        { "registry:tls": "certificate", "registry:host": "registry.example.com", "registry:certificate": "not a cert", "registry:privateKey": key },
        "registry:certificate",
        /is not PEM/,
    ],
    [
        "none bound to all interfaces",
        { "registry:tls": "none", "registry:bindAddress": "0.0.0.0" },
        "registry:bindAddress",
        /allowed only on a loopback address/,
    ],
    ["a bind address that is not an IP", { ...LE, "registry:bindAddress": "eth0" }, "registry:bindAddress", /must be an IP address/],
    // The engine reports the canonical form and the provider compares literally: the registry would be replaced on every up.
    [
        "a bind address in a long IPv6 form",
        { "registry:tls": "none", "registry:bindAddress": "0:0:0:0:0:0:0:1" },
        "registry:bindAddress",
        /write it as ::1, the form the Docker engine reports back/,
    ],
    ["a bind address as an IPv4-mapped IPv6", { ...LE, "registry:bindAddress": "::ffff:10.0.0.5" }, "registry:bindAddress", /write it as 10\.0\.0\.5/],
    ["a bind address in upper case", { ...LE, "registry:bindAddress": "2001:DB8::5" }, "registry:bindAddress", /write it as 2001:db8::5/],
    [
        "none on a remote docker host",
        { "registry:tls": "none", "docker:host": "ssh://ops@vm.example.com" },
        "registry:tls",
        /docker:host is ssh:\/\/ops@vm\.example\.com/,
    ],
    ["an empty user list", { ...LE, "registry:users": "[]" }, "registry:users", /needs at least one user/],
    ["users not a list", { ...LE, "registry:users": '{"username":"ci"}' }, "registry:users", /must be a list, got an object/],
    ["a user that is not an object", { ...LE, "registry:users": '["ci"]' }, "registry:users[0]", /must be an object/],
    ["an empty username", { ...LE, "registry:users": '[{"username":""}]' }, "registry:users[0].username", /must not be empty/],
    [
        "a username with ':'",
        { ...LE, "registry:users": '[{"username":"ci:bot"}]' },
        "registry:users[0].username",
        /contains ':', whitespace or a control character/,
    ],
    ["a username with a space", { ...LE, "registry:users": '[{"username":"ci bot"}]' }, "registry:users[0].username", /contains ':', whitespace/],
    ["a duplicate username", { ...LE, "registry:users": '[{"username":"ci"},{"username":"ci"}]' }, "registry:users[1].username", /appears more than once/],
    ["an unknown user key", { ...LE, "registry:users": '[{"username":"ci","pass":"x"}]' }, "registry:users[0]", /unknown key\(s\) pass/],
    ["an empty password", { ...LE, "registry:users": '[{"username":"ci","password":""}]' }, "registry:users[0].password", /must not be empty/],
    ["a short password", { ...LE, "registry:users": '[{"username":"ci","password":"short"}]' }, "registry:users[0].password", /at least 16 are required/],
    [
        "a password over 72 bytes",
        { ...LE, "registry:users": JSON.stringify([{ username: "ci", password: "é".repeat(40) }]) },
        "registry:users[0].password",
        /80 bytes long; bcrypt reads at most 72/,
    ],
    [
        "a password in plaintext config",
        { ...LE, "registry:users": '[{"username":"ci","password":"a-long-enough-password"}]' },
        "registry:users[0].password",
        /is stored in plaintext in the stack file: set it as a secret, pulumi config set --secret --path 'registry:users\[0\]\.password'/,
        ["registry:users"],
    ],
    ["a bcrypt cost of 3", { ...LE, "registry:bcryptCost": "3" }, "registry:bcryptCost", /between 4 and 31/],
    ["a bcrypt cost of 32", { ...LE, "registry:bcryptCost": "32" }, "registry:bcryptCost", /between 4 and 31/],
    ["a bcrypt cost that is not a number", { ...LE, "registry:bcryptCost": "fast" }, "registry:bcryptCost", /must be an integer, got "fast"/],
    ["port 0", { ...LE, "registry:port": "0" }, "registry:port", /between 1 and 65535, got 0/],
    ["port 70000", { ...LE, "registry:port": "70000" }, "registry:port", /between 1 and 65535, got 70000/],
    ["an https port that is not a number", { ...LE, "registry:httpsPort": "443a" }, "registry:httpsPort", /must be an integer/],
    [
        "letsencrypt on an https port other than 443",
        { ...LE, "registry:httpsPort": "8443" },
        "registry:httpsPort",
        /TLS-ALPN-01 challenge .* always connects to port 443/,
    ],
    ["retainData not a boolean", { ...LE, "registry:retainData": "yes" }, "registry:retainData", /must be true or false/],
    ["a 2.x image with letsencrypt", { ...LE, "registry:image": "registry:2.8.3" }, "registry:image", /ACMEv1, which Let's Encrypt switched off/],
    ["an invalid image reference", { ...LE, "registry:image": "Registry::3" }, "registry:image", /is not an image reference/],
    ["a readiness timeout of 0", { ...LE, "registry:readinessTimeoutSeconds": "0" }, "registry:readinessTimeoutSeconds", /between 1 and 3600/],
    ["faas:functions not a list", { ...FAAS, "faas:functions": '{"service":"hello"}' }, "faas:functions", /must be a list, got an object/],
    [
        "faas:functions without faas:gateway",
        { ...LE, "faas:functions": '[{"service":"hello","image":"team/hello:1"}]' },
        "faas:gateway",
        /is not set, but faas:functions lists functions/,
    ],
    ["a gateway URL that is not http(s)", { ...FAAS, "faas:gateway": "ftp://gateway.example.com" }, "faas:gateway", /is not an http\(s\) URL/],
    ["a gateway URL with credentials", { ...FAAS, "faas:gateway": "https://admin:pw@gateway.example.com" }, "faas:gateway", /must not contain credentials/],
    [
        "a gateway password in plaintext",
        { ...LE, "faas:gateway": "https://gateway.example.com", "faas:password": "x" },
        "faas:password",
        /plaintext/,
        ["faas:password"],
    ],
    ["a gateway username that is a list", { ...FAAS, "faas:username": '["admin"]' }, "faas:username", /must be a string, got a list/],
    ["a network that is an object", { ...FAAS, "faas:network": '{"name":"x"}' }, "faas:network", /must be a string, got an object/],
    ["a function without a service", fns([{ image: "team/hello:1" }]), "faas:functions[0].service", /is required/],
    ["an invalid service name", fn({ service: "hello world" }), "faas:functions[0].service", /not a valid function name/],
    [
        "an image in another registry",
        fn({ image: "ghcr.io/team/hello:1" }),
        "faas:functions[0].image",
        /is in registry ghcr\.io, but the registry credentials are for registry\.example\.com/,
    ],
    ["an image without a namespace", fn({ image: "hello:1" }), "faas:functions[0].image", /has no namespace/],
    [
        "duplicate services",
        fns([
            { service: "hello", image: "team/hello:1" },
            { service: "hello", image: "team/hello:2" },
        ]),
        "faas:functions[1].service",
        /appears more than once/,
    ],
    ["envVars that are not a string map", fn({ envVars: { PORT: 8080 } }), "faas:functions[0].envVars", /"PORT" is number 8080: quote the value/],
    ["labels with a key named then (not a promise)", fn({ labels: { then: 1 } }), "faas:functions[0].labels", /"then" is number 1: quote the value/],
    ["labels that are a list", fn({ labels: ["a"] }), "faas:functions[0].labels", /must be a map of strings/],
    ["annotations with a non-string", fn({ annotations: { a: true } }), "faas:functions[0].annotations", /must be a map of strings/],
    ["limits with unknown keys", fn({ limits: { memory: "128m", gpu: "1" } }), "faas:functions[0].limits", /unknown key\(s\) "gpu"/],
    ["requests with a numeric cpu", fn({ requests: { cpu: 0.5 } }), "faas:functions[0].requests", /"cpu" must be a string/],
    ["constraints that are not strings", fn({ constraints: [1] }), "faas:functions[0].constraints", /must be a list of strings/],
    ["an unknown function key", fn({ replicas: 3 }), "faas:functions[0]", /unknown key\(s\) replicas/],
    [
        "a build context that does not exist",
        fns([{ service: "hello", build: { context: "test/fixtures/no-such-folder" } }]),
        "faas:functions[0].build.context",
        /no-such-folder is not a folder/,
    ],
    [
        "a build without its Dockerfile",
        fns([{ service: "hello", build: { context: "test/fixtures/hello-fn", dockerfile: "Missing.Dockerfile" } }]),
        "faas:functions[0].build.dockerfile",
        /Missing\.Dockerfile does not exist/,
    ],
    [
        "a build pushed to another registry",
        fns([{ service: "hello", image: "ghcr.io/team/hello:1", build: { context: "test/fixtures/hello-fn" } }]),
        "faas:functions[0].image",
        /is in registry ghcr\.io, but a function with build is pushed into our registry/,
    ],
    [
        "unknown build keys",
        fns([{ service: "hello", build: { context: "test/fixtures/hello-fn", tags: ["x"] } }]),
        "faas:functions[0].build",
        /unknown key\(s\) tags/,
    ],
    ["a function with neither image nor build", fns([{ service: "hello" }]), "faas:functions[0].image", /is required/],
    [
        "a backend that is not one of ours",
        { ...FAAS, "faas:backend": "nomad" },
        "faas:backend",
        /must be "swarm" \(faas-swarm\), "faasd" or "kubernetes" \(faas-netes\)/,
    ],
    ["faasd without an SSH host", { ...FAAS, ...FAASD_KEY, "faas:backend": "faasd" }, "faas:sshHost", /is required with faas:backend faasd/],
    [
        "faasd without a host key (unset means unchecked only when said)",
        { ...FAAS, "faas:backend": "faasd", "faas:sshHost": "vm.example.com" },
        "faas:sshHostKey",
        /is required with faas:backend faasd.*ssh-keyscan.*faas:sshSkipHostKeyCheck true/,
    ],
    [
        "an empty host key (a failed ssh-keyscan)",
        { ...FAAS, "faas:backend": "faasd", "faas:sshHost": "vm.example.com", "faas:sshHostKey": "" },
        "faas:sshHostKey",
        /is required with faas:backend faasd/,
    ],
    [
        "a host key that is not one",
        { ...FAAS, "faas:backend": "faasd", "faas:sshHost": "vm.example.com", "faas:sshHostKey": "garbage" },
        "faas:sshHostKey",
        /is not an SSH public host key: write it as TYPE BASE64/,
    ],
    [
        "a host key with ssh-keyscan's host name in front",
        { ...FAAS, "faas:backend": "faasd", "faas:sshHost": "vm.example.com", "faas:sshHostKey": `vm.example.com ${FAASD_KEY["faas:sshHostKey"]}` },
        "faas:sshHostKey",
        /starts with "vm.example.com", a host name/,
    ],
    [
        "a damaged host key",
        { ...FAAS, "faas:backend": "faasd", "faas:sshHost": "vm.example.com", "faas:sshHostKey": "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB" },
        "faas:sshHostKey",
        /is not a valid ssh-ed25519 key/,
    ],
    [
        "a host key and the skip switch both",
        { ...FAAS, ...FAASD_KEY, "faas:backend": "faasd", "faas:sshHost": "vm.example.com", "faas:sshSkipHostKeyCheck": "true" },
        "faas:sshSkipHostKeyCheck",
        /remove one of them/,
    ],
    [
        "an SSH private key in plaintext",
        { ...FAAS, ...FAASD_KEY, "faas:backend": "faasd", "faas:sshHost": "vm.example.com", "faas:sshPrivateKey": key },
        "faas:sshPrivateKey",
        /is stored in plaintext in the stack file: set it as a secret/,
        ["faas:sshPrivateKey"],
    ],
    [
        "faasd with a plain-HTTP registry",
        { "registry:tls": "none", "faas:gateway": "http://127.0.0.1:8080", "faas:backend": "faasd", "faas:sshHost": "vm.example.com", ...FAASD_KEY },
        "registry:tls",
        /faasd pulls over HTTPS only/,
    ],
    ["an SSH host with the swarm backend", { ...FAAS, "faas:sshHost": "vm.example.com" }, "faas:sshHost", /is set, but faas:backend is "swarm"/],
    [
        "a gateway password in plaintext without a gateway",
        { "registry:tls": "none", "faas:password": "gw-pass-plain" },
        "faas:password",
        /plaintext/,
        ["faas:password"],
    ],
    [
        "an ACME directory that is not https",
        { ...LE, "registry:acmeDirectory": "http://acme.internal/dir" },
        "registry:acmeDirectory",
        /must be "production", "staging" or the https URL/,
    ],
    [
        "the staging directory without its root",
        { ...LE, "registry:acmeDirectory": "staging" },
        "registry:acmeRoot",
        /is required with the ACME directory "staging".*staging root/,
    ],
    [
        "an ACME directory without letsencrypt",
        { "registry:tls": "none", "registry:acmeDirectory": "staging" },
        "registry:acmeDirectory",
        /applies to letsencrypt only/,
    ],
    ["s3 storage without a bucket", { ...LE, "registry:storage": "s3", "registry:s3Region": "eu-west-1" }, "registry:s3Bucket", /is required with s3 storage/],
    ["an s3 secret key in plaintext", S3_PLAIN_KEY, "registry:s3SecretKey", /plaintext/, ["registry:s3SecretKey"]],
    [
        "an s3 access key without its secret",
        { ...LE, "registry:storage": "s3", "registry:s3Bucket": "b", "registry:s3Region": "eu-west-1", "registry:s3AccessKey": "AKIA0" },
        "registry:s3SecretKey",
        /is required when the access key is set/,
    ],
    ["an unknown storage driver", { ...LE, "registry:storage": "gcs" }, "registry:storage", /must be "filesystem" or "s3"/],
    ["s3 keys with filesystem storage", { ...LE, "registry:s3Bucket": "b" }, "registry:s3Bucket", /is set but registry:storage is "filesystem"/],
    // registry:mode swarm
    ["an unknown registry mode", { ...LE, "registry:mode": "kubernetes" }, "registry:mode", /must be "container" or "swarm"/],
    ["zero replicas", { ...LE, "registry:mode": "swarm", "registry:replicas": "0" }, "registry:replicas", /whole number from 1 to 100, got 0/],
    ["replicas without swarm mode", { ...LE, "registry:replicas": "3" }, "registry:replicas", /applies to mode "swarm" only/],
    [
        "filesystem storage on a named volume spread over several nodes",
        { ...LE, "registry:mode": "swarm", "registry:spread": "true" },
        "registry:spread",
        /each write their own volume.*storage s3.*sharedPath/,
    ],
    [
        "s3 without a bucket in swarm mode",
        { ...LE, "registry:mode": "swarm", "registry:storage": "s3", "registry:s3Region": "eu-west-1" },
        "registry:s3Bucket",
        /is required with s3 storage/,
    ],
    ["a plaintext s3 secret key in swarm mode", { ...S3_PLAIN_KEY, "registry:mode": "swarm" }, "registry:s3SecretKey", /plaintext/, ["registry:s3SecretKey"]],
    [
        "letsencrypt in swarm mode without the front on 443",
        { ...LE, "registry:mode": "swarm", "registry:httpsPort": "8443" },
        "registry:httpsPort",
        /the front must be published on 443/,
    ],
    ["tls none in swarm mode", { "registry:mode": "swarm", "registry:tls": "none" }, "registry:tls", /publishes the front on every address/],
    [
        "a bind address in swarm mode",
        { ...LE, "registry:mode": "swarm", "registry:bindAddress": "10.0.0.5" },
        "registry:bindAddress",
        /cannot be used with mode "swarm"/,
    ],
    ["a relative shared path", { ...LE, "registry:mode": "swarm", "registry:sharedPath": "srv/registry" }, "registry:sharedPath", /absolute host path/],
    ["a Redis address without a port", { ...LE, "registry:mode": "swarm", "registry:redis": "redis.internal" }, "registry:redis", /HOST:PORT/],
    ["an unknown front", { ...LE, "registry:mode": "swarm", "registry:front": "haproxy" }, "registry:front", /must be "caddy" .* or "nat" .*, got "haproxy"/],
    [
        "the NAT front with Let's Encrypt",
        { ...LE, "registry:mode": "swarm", "registry:front": "nat" },
        "registry:front",
        /is "nat", but tls is "letsencrypt": .*Set tls "certificate"/,
    ],
    [
        "a Caddy image for the NAT front",
        CERT({ "registry:certificateRoot": PRIVATE.ca, "registry:mode": "swarm", "registry:front": "nat", "registry:frontImage": "caddy:2.9" }),
        "registry:frontImage",
        /is set but front is "nat": .*natImage/,
    ],
    [
        "a NAT image without the NAT front",
        { ...LE, "registry:mode": "swarm", "registry:natImage": "alpine:3" },
        "registry:natImage",
        /is set but front is not "nat"/,
    ],
    // faas:backend kubernetes: the cluster's kubeconfig, and the namespace of the pull secret.
    [
        "kubernetes without a kubeconfig",
        { ...FAAS, "faas:backend": "kubernetes" },
        "kubernetes:kubeconfig",
        /is required with faas:backend kubernetes: .*pulumi config set --secret kubernetes:kubeconfig/,
    ],
    [
        "a kubeconfig in plaintext",
        { ...FAAS, "faas:backend": "kubernetes", "kubernetes:kubeconfig": KUBECONFIG },
        "kubernetes:kubeconfig",
        /is stored in plaintext in the stack file: set it as a secret, pulumi config set --secret kubernetes:kubeconfig < kubeconfig/,
        ["kubernetes:kubeconfig"],
    ],
    [
        "a kubeconfig that is not one",
        { ...FAAS, "faas:backend": "kubernetes", "kubernetes:kubeconfig": "just text" },
        "kubernetes:kubeconfig",
        /is not a kubeconfig \(it has no clusters:\)/,
    ],
    [
        "a namespace that is no Kubernetes name",
        { ...FAAS, "faas:backend": "kubernetes", "kubernetes:kubeconfig": KUBECONFIG, "faas:namespace": "Open_FaaS" },
        "faas:namespace",
        /"Open_FaaS" is not a Kubernetes namespace name/,
    ],
    [
        "faas:namespace without kubernetes",
        { ...FAAS, "faas:namespace": "functions" },
        "faas:namespace",
        /is set, but faas:backend is "swarm": it applies to kubernetes only/,
    ],
    // Misspelled keys: `pulumi up` used to ignore them silently (production Let's Encrypt instead of staging).
    ["a misspelled acmeDirectory", { ...LE, "registry:acmedirectory": "staging" }, "registry:acmedirectory", /ignored: did you mean registry:acmeDirectory\?/],
    ["a misspelled email", { ...LE, "registry:emial": "ops@example.com" }, "registry:emial", /ignored: did you mean registry:email\?/],
    ["a misspelled gateway", { ...LE, "faas:gatway": "https://gateway.example.com" }, "faas:gatway", /ignored: did you mean faas:gateway\?/],
    ["a misspelled namespace", { ...LE, "regsitry:port": "5001" }, "regsitry:port", /ignored: did you mean registry:port\?/],
    [
        // Once, under the key the user set: not again per function (faas:functions[0].gateway.url is no config key).
        "a plain-HTTP gateway on another host, with a function",
        {
            ...LE,
            "faas:gateway": "http://gateway.example.com:8080",
            "faas:password": "gateway-password",
            "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1" }]),
        },
        "faas:gateway",
        /is plain HTTP to a host other than this machine: .*set faas:allowHttp true$/,
    ],
    [
        "a plain-HTTP gateway on another host",
        { ...LE, "faas:gateway": "http://gateway.example.com:8080" },
        "faas:gateway",
        /is plain HTTP to a host other than this machine: the gateway password and the registry credentials \(registryAuth\) would cross the network in clear\. Use https:\/\/, or.*set faas:allowHttp true/,
    ],
    // A certificate the readiness gate could not trust used to cost the whole readiness timeout (180 s).
    [
        "a private CA's certificate without its root",
        CERT({}),
        "registry:certificate",
        /is issued by "CN=faasreg test CA", which is neither in the chain nor a CA this machine trusts.*registry:certificateRoot < ca\.pem/,
    ],
    ["a root that did not sign the chain", CERT({ "registry:certificateRoot": OTHER_CA }), "registry:certificate", /is not that CA's certificate/],
    [
        "a certificate for another name",
        { ...CERT({}), "registry:certificate": makeCertificate("other.example.com").cert },
        "registry:certificate",
        /is not valid for registry\.example\.com \(its names: DNS:other\.example\.com/,
    ],
    ["a certificate root that is not PEM", CERT({ "registry:certificateRoot": "root" }), "registry:certificateRoot", /is not PEM/],
    [
        "a certificate root with letsencrypt",
        { ...LE, "registry:certificateRoot": PRIVATE.ca },
        "registry:certificateRoot",
        /is set but registry:tls is "letsencrypt"/,
    ],
];

/** The same private-CA certificate, with its root given: accepted (test/config.bad-input.test.ts). */
export const PRIVATE_CA_STACK = CERT({ "registry:certificateRoot": PRIVATE.ca });
export const PRIVATE_CA_ROOT = PRIVATE.ca;
