import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh self-signed certificate for `host` (and 127.0.0.1), made with the openssl CLI. */
export function makeCertificate(host: string): { cert: string; key: string } {
    const dir = mkdtempSync(join(tmpdir(), "faasreg-cert-"));
    try {
        execFileSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                `/CN=${host}`,
                "-addext",
                `subjectAltName=DNS:${host},IP:127.0.0.1`,
                "-keyout",
                join(dir, "key.pem"),
                "-out",
                join(dir, "cert.pem"),
            ],
            { stdio: "ignore" },
        );
        return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** A throwaway CA and a certificate it signs for the given DNS names and IPs (for servers the code under test must trust). */
export function makeCaSignedCertificate(names: string[], ips: string[] = []): { ca: string; cert: string; key: string } {
    const dir = mkdtempSync(join(tmpdir(), "faasreg-ca-"));
    const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    try {
        run([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=faasreg test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        run([
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            `/CN=${names[0]}`,
            "-keyout",
            "key.pem",
            "-out",
            "req.csr",
        ]);
        const san = [...names.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(",");
        writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
        run([
            "x509",
            "-req",
            "-in",
            "req.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "cert.pem",
        ]);
        const read = (f: string) => readFileSync(join(dir, f), "utf8");
        return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
