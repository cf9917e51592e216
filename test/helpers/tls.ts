import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A new P-256 key, for `openssl req`. */
const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Runs openssl steps in a temporary folder, returns the files asked for, and removes the folder. */
function withOpenssl<T extends string>(steps: (dir: string) => string[][], files: readonly T[]): Record<T, string> {
    const dir = mkdtempSync(join(tmpdir(), "faasreg-cert-"));
    try {
        for (const args of steps(dir)) execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
        return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, `${f}.pem`), "utf8")])) as Record<T, string>;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** A fresh self-signed certificate for `host` (and 127.0.0.1), made with the openssl CLI. */
export function makeCertificate(host: string): { cert: string; key: string } {
    return withOpenssl(
        () => [
            [
                "req",
                "-x509",
                ...NEW_KEY,
                "-days",
                "2",
                "-subj",
                `/CN=${host}`,
                "-addext",
                `subjectAltName=DNS:${host},IP:127.0.0.1`,
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ],
        ],
        ["cert", "key"],
    );
}

/** A throwaway CA and a certificate it signs for the given DNS names and IPs (for servers the code under test must trust). */
export function makeCaSignedCertificate(names: string[], ips: string[] = []): { ca: string; cert: string; key: string } {
    return withOpenssl(
        (dir) => {
            const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(",");
            writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
            return [
                ["req", "-x509", ...NEW_KEY, "-days", "2", "-subj", "/CN=faasreg test CA", "-keyout", "ca-key.pem", "-out", "ca.pem"],
                ["req", ...NEW_KEY, "-subj", `/CN=${names[0]}`, "-keyout", "key.pem", "-out", "req.csr"],
                [
                    "x509",
                    "-req",
                    "-in",
                    "req.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca-key.pem",
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    "ext.cnf",
                    "-out",
                    "cert.pem",
                ],
            ];
        },
        ["ca", "cert", "key"],
    );
}

/** A CA, a server certificate it signs (names and IPs) and a client certificate it signs: mutual TLS, as a Docker engine on tcp://:2376 wants. */
export function makeMutualTls(names: string[], ips: string[] = []): { ca: string; cert: string; key: string; clientCert: string; clientKey: string } {
    const files = withOpenssl(
        (dir) => {
            const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(",");
            writeFileSync(join(dir, "server.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
            writeFileSync(join(dir, "client.cnf"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
            const sign = (name: string, ext: string) => [
                "x509",
                "-req",
                "-in",
                `${name}.csr`,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext,
                "-out",
                `${name}.pem`,
            ];
            return [
                ["req", "-x509", ...NEW_KEY, "-days", "2", "-subj", "/CN=faasreg test CA", "-keyout", "ca-key.pem", "-out", "ca.pem"],
                ["req", ...NEW_KEY, "-subj", `/CN=${names[0]}`, "-keyout", "server-key.pem", "-out", "server.csr"],
                sign("server", "server.cnf"),
                ["req", ...NEW_KEY, "-subj", "/CN=faasreg test client", "-keyout", "client-key.pem", "-out", "client.csr"],
                sign("client", "client.cnf"),
            ];
        },
        ["ca", "server", "server-key", "client", "client-key"],
    );
    return { ca: files.ca, cert: files.server, key: files["server-key"], clientCert: files.client, clientKey: files["client-key"] };
}
