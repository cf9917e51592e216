// The bad-input matrix, shared by the bad-input test and the secret-leak scan.
import { makeCertificate } from "./helpers/tls";

const { cert, key } = makeCertificate("registry.example.com");
const LE = { "registry:host": "registry.example.com", "registry:email": "ops@example.com" };
const FAAS = { ...LE, "faas:gateway": "https://gateway.example.com", "faas:password": "gateway-password" };
const fns = (list: unknown) => ({ ...FAAS, "faas:functions": JSON.stringify(list) });
const fn = (extra: Record<string, unknown>) => fns([{ service: "hello", image: "team/hello:1", ...extra }]);

/** [name, config, the key the one error names, its message, keys deliberately NOT set as secrets] */
export type Case = [name: string, config: Record<string, string>, key: string, message: RegExp, plaintext?: string[]];

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
    ["certificate without a certificate", { "registry:tls": "certificate", "registry:host": "registry.example.com", "registry:privateKey": key }, "registry:certificate", /is required with tls "certificate"/],
    ["certificate without a key", { "registry:tls": "certificate", "registry:host": "registry.example.com", "registry:certificate": cert }, "registry:privateKey", /is required with tls "certificate"/],
    ["a certificate that is not PEM", { "registry:tls": "certificate", "registry:host": "registry.example.com", "registry:certificate": "not a cert", "registry:privateKey": key }, "registry:certificate", /is not PEM/],
    ["none bound to all interfaces", { "registry:tls": "none", "registry:bindAddress": "0.0.0.0" }, "registry:bindAddress", /allowed only on a loopback address/],
    ["a bind address that is not an IP", { ...LE, "registry:bindAddress": "eth0" }, "registry:bindAddress", /must be an IP address/],
    ["none on a remote docker host", { "registry:tls": "none", "docker:host": "ssh://ops@vm.example.com" }, "registry:tls", /docker:host is ssh:\/\/ops@vm\.example\.com/],
    ["an empty user list", { ...LE, "registry:users": "[]" }, "registry:users", /needs at least one user/],
    ["users not a list", { ...LE, "registry:users": '{"username":"ci"}' }, "registry:users", /must be a list, got an object/],
    ["a user that is not an object", { ...LE, "registry:users": '["ci"]' }, "registry:users[0]", /must be an object/],
    ["an empty username", { ...LE, "registry:users": '[{"username":""}]' }, "registry:users[0].username", /must not be empty/],
    ["a username with ':'", { ...LE, "registry:users": '[{"username":"ci:bot"}]' }, "registry:users[0].username", /contains ':', whitespace or a control character/],
    ["a username with a space", { ...LE, "registry:users": '[{"username":"ci bot"}]' }, "registry:users[0].username", /contains ':', whitespace/],
    ["a duplicate username", { ...LE, "registry:users": '[{"username":"ci"},{"username":"ci"}]' }, "registry:users[1].username", /appears more than once/],
    ["an unknown user key", { ...LE, "registry:users": '[{"username":"ci","pass":"x"}]' }, "registry:users[0]", /unknown key\(s\) pass/],
    ["an empty password", { ...LE, "registry:users": '[{"username":"ci","password":""}]' }, "registry:users[0].password", /must not be empty/],
    ["a short password", { ...LE, "registry:users": '[{"username":"ci","password":"short"}]' }, "registry:users[0].password", /at least 16 are required/],
    ["a password over 72 bytes", { ...LE, "registry:users": JSON.stringify([{ username: "ci", password: "é".repeat(40) }]) }, "registry:users[0].password", /80 bytes long; bcrypt reads at most 72/],
    ["a password in plaintext config", { ...LE, "registry:users": '[{"username":"ci","password":"a-long-enough-password"}]' }, "registry:users", /holds a password in plaintext/, ["registry:users"]],
    ["a bcrypt cost of 3", { ...LE, "registry:bcryptCost": "3" }, "registry:bcryptCost", /between 4 and 31/],
    ["a bcrypt cost of 32", { ...LE, "registry:bcryptCost": "32" }, "registry:bcryptCost", /between 4 and 31/],
    ["a bcrypt cost that is not a number", { ...LE, "registry:bcryptCost": "fast" }, "registry:bcryptCost", /must be an integer, got "fast"/],
    ["port 0", { ...LE, "registry:port": "0" }, "registry:port", /between 1 and 65535, got 0/],
    ["port 70000", { ...LE, "registry:port": "70000" }, "registry:port", /between 1 and 65535, got 70000/],
    ["an https port that is not a number", { ...LE, "registry:httpsPort": "443a" }, "registry:httpsPort", /must be an integer/],
    ["retainData not a boolean", { ...LE, "registry:retainData": "yes" }, "registry:retainData", /must be true or false/],
    ["a 2.x image with letsencrypt", { ...LE, "registry:image": "registry:2.8.3" }, "registry:image", /ACMEv1, which Let's Encrypt switched off/],
    ["an invalid image reference", { ...LE, "registry:image": "Registry::3" }, "registry:image", /is not an image reference/],
    ["a readiness timeout of 0", { ...LE, "registry:readinessTimeoutSeconds": "0" }, "registry:readinessTimeoutSeconds", /between 1 and 3600/],
    ["faas:functions not a list", { ...FAAS, "faas:functions": '{"service":"hello"}' }, "faas:functions", /must be a list, got an object/],
    ["faas:functions without faas:gateway", { ...LE, "faas:functions": '[{"service":"hello","image":"team/hello:1"}]' }, "faas:gateway", /is not set, but faas:functions lists functions/],
    ["a gateway URL that is not http(s)", { ...FAAS, "faas:gateway": "ftp://gateway.example.com" }, "faas:gateway", /is not an http\(s\) URL/],
    ["a gateway URL with credentials", { ...FAAS, "faas:gateway": "https://admin:pw@gateway.example.com" }, "faas:gateway", /must not contain credentials/],
    ["a gateway password in plaintext", { ...LE, "faas:gateway": "https://gateway.example.com", "faas:password": "x" }, "faas:password", /plaintext/, ["faas:password"]],
    ["a gateway username that is a list", { ...FAAS, "faas:username": '["admin"]' }, "faas:username", /must be a string, got a list/],
    ["a network that is an object", { ...FAAS, "faas:network": '{"name":"x"}' }, "faas:network", /must be a string, got an object/],
    ["a function without a service", fns([{ image: "team/hello:1" }]), "faas:functions[0].service", /is required/],
    ["an invalid service name", fn({ service: "hello world" }), "faas:functions[0].service", /not a valid function name/],
    ["an image in another registry", fn({ image: "ghcr.io/team/hello:1" }), "faas:functions[0].image", /is in registry ghcr\.io, but the registry credentials are for registry\.example\.com/],
    ["an image without a namespace", fn({ image: "hello:1" }), "faas:functions[0].image", /has no namespace/],
    ["duplicate services", fns([{ service: "hello", image: "team/hello:1" }, { service: "hello", image: "team/hello:2" }]), "faas:functions[1].service", /appears more than once/],
    ["envVars that are not a string map", fn({ envVars: { PORT: 8080 } }), "faas:functions[0].envVars", /"PORT" is number 8080: quote the value/],
    ["labels that are a list", fn({ labels: ["a"] }), "faas:functions[0].labels", /must be a map of strings/],
    ["annotations with a non-string", fn({ annotations: { a: true } }), "faas:functions[0].annotations", /must be a map of strings/],
    ["limits with unknown keys", fn({ limits: { memory: "128m", gpu: "1" } }), "faas:functions[0].limits", /unknown key\(s\) "gpu"/],
    ["requests with a numeric cpu", fn({ requests: { cpu: 0.5 } }), "faas:functions[0].requests", /"cpu" must be a string/],
    ["constraints that are not strings", fn({ constraints: [1] }), "faas:functions[0].constraints", /must be a list of strings/],
    ["an unknown function key", fn({ replicas: 3 }), "faas:functions[0]", /unknown key\(s\) replicas/],
    ["a build context that does not exist", fns([{ service: "hello", build: { context: "test/fixtures/no-such-folder" } }]), "faas:functions[0].build.context", /no-such-folder is not a folder/],
    ["a build without its Dockerfile", fns([{ service: "hello", build: { context: "test/fixtures/hello-fn", dockerfile: "Missing.Dockerfile" } }]), "faas:functions[0].build.dockerfile", /Missing\.Dockerfile does not exist/],
    ["a build pushed to another registry", fns([{ service: "hello", image: "ghcr.io/team/hello:1", build: { context: "test/fixtures/hello-fn" } }]), "faas:functions[0].image", /is in registry ghcr\.io, but a function with build is pushed into our registry/],
    ["unknown build keys", fns([{ service: "hello", build: { context: "test/fixtures/hello-fn", tags: ["x"] } }]), "faas:functions[0].build", /unknown key\(s\) tags/],
    ["a function with neither image nor build", fns([{ service: "hello" }]), "faas:functions[0].image", /is required/],
];

