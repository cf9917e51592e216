import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
