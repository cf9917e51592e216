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

/** The openssl steps of a throwaway CA (ca.pem, ca-key.pem) and a server certificate NAME.pem/NAME-key.pem it signs. */
function caAndServer(dir: string, names: string[], ips: string[], name: string): string[][] {
    const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(",");
    writeFileSync(join(dir, "server.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    return [
        ["req", "-x509", ...NEW_KEY, "-days", "2", "-subj", "/CN=faasreg test CA", "-keyout", "ca-key.pem", "-out", "ca.pem"],
        ...signed(name, `/CN=${names[0]}`, "server.cnf"),
    ];
}

/** The openssl steps of a key NAME-key.pem and a certificate NAME.pem for SUBJECT, signed by ca.pem with the extensions file. */
function signed(name: string, subject: string, extensions: string): string[][] {
    return [
        ["req", ...NEW_KEY, "-subj", subject, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`],
        [
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
            extensions,
            "-out",
            `${name}.pem`,
        ],
    ];
}

/** A throwaway CA and a certificate it signs for the given DNS names and IPs (for servers the code under test must trust). */
export function makeCaSignedCertificate(names: string[], ips: string[] = []): { ca: string; cert: string; key: string } {
    const files = withOpenssl((dir) => caAndServer(dir, names, ips, "server"), ["ca", "server", "server-key"]);
    return { ca: files.ca, cert: files.server, key: files["server-key"] };
}

/** A CA, a server certificate it signs (names and IPs) and a client certificate it signs: mutual TLS, as a Docker engine on tcp://:2376 wants. */
export function makeMutualTls(names: string[], ips: string[] = []): { ca: string; cert: string; key: string; clientCert: string; clientKey: string } {
    const files = withOpenssl(
        (dir) => {
            writeFileSync(join(dir, "client.cnf"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
            return [...caAndServer(dir, names, ips, "server"), ...signed("client", "/CN=faasreg test client", "client.cnf")];
        },
        ["ca", "server", "server-key", "client", "client-key"],
    );
    return { ca: files.ca, cert: files.server, key: files["server-key"], clientCert: files.client, clientKey: files["client-key"] };
}

/** One certificate a throwaway CA signs: its subject, its DNS names and IPs, what it is for. */
export interface Issued {
    name: string;
    subject: string;
    names?: string[];
    ips?: string[];
    usage: "server" | "client" | "server,client";
}

/** A throwaway CA and every certificate asked for (a cluster's: the API server's, the admin's, the kubelet's...). */
export function makeCaIssuing(certs: Issued[]): { ca: string; caKey: string } & Record<string, { cert: string; key: string }> {
    const files = withOpenssl(
        (dir) => [
            ["req", "-x509", ...NEW_KEY, "-days", "2", "-subj", "/CN=faasreg test cluster CA", "-keyout", "ca-key.pem", "-out", "ca.pem"],
            ...certs.flatMap((c) => {
                const san = [...(c.names ?? []).map((n) => `DNS:${n}`), ...(c.ips ?? []).map((i) => `IP:${i}`)].join(",");
                const usage = c.usage.split(",").map((u) => (u === "server" ? "serverAuth" : "clientAuth"));
                writeFileSync(
                    join(dir, `${c.name}.cnf`),
                    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=${usage.join(",")}\n${san ? `subjectAltName=${san}\n` : ""}`,
                );
                return signed(c.name, c.subject, `${c.name}.cnf`);
            }),
        ],
        ["ca", "ca-key", ...certs.flatMap((c) => [c.name, `${c.name}-key`])],
    );
    const issued = Object.fromEntries(certs.map((c) => [c.name, { cert: files[c.name], key: files[`${c.name}-key`] }]));
    return { ...issued, ca: files.ca, caKey: files["ca-key"] } as { ca: string; caKey: string } & Record<string, { cert: string; key: string }>;
}
