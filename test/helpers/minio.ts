// A real S3 server for the tests: MinIO (FAASREG_MINIO_BIN; .ci/run unpacks ../shared/minio/minio.tar.xz,
// built with `go install github.com/minio/minio@<pinned pseudo-version>`, docs/building.md). One server
// per call, on free loopback ports, its data in a temp folder, root credentials made here. Requests are
// signed with `aws4` (AWS Signature V4), as any S3 client signs them.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import aws4 from "aws4";
import type { Lab } from "./lab";
import { freePort } from "./real-registry";

export const MINIO_BIN_ENV = "FAASREG_MINIO_BIN";

/** Why MinIO cannot run here (undefined when it can). */
export function minioSkipReason(): string | undefined {
    const path = process.env[MINIO_BIN_ENV];
    if (path === undefined || path === "")
        return `${MINIO_BIN_ENV} is not set (a MinIO server binary; .ci/run unpacks ../shared/minio/minio.tar.xz and sets it: export FAASREG_MINIO_BIN="$(../shared/minio/unpack)")`;
    if (!existsSync(path)) return `${MINIO_BIN_ENV}=${path} does not exist`;
    return undefined;
}

export interface Minio {
    /** The URL servers use (in a lab: its address there). */
    endpoint: string;
    region: string;
    accessKey: string;
    secretKey: string;
    /** A signed S3 request; the body as text. */
    s3: (method: string, path: string, body?: string) => Promise<{ status: number; body: string }>;
    createBucket: (name: string) => Promise<void>;
    /** Every object key under `prefix` in `bucket`, and the bytes they hold. */
    objects: (bucket: string, prefix?: string) => Promise<{ keys: string[]; bytes: number }>;
    logs: () => string;
    stop: () => Promise<void>;
}

/**
 * `inLab`: run it inside that lab's namespaces, listening on `address`:9000 (what the registry there is
 * given), reached from here through a relay.
 */
export async function startMinio(inLab?: { lab: Lab; address: string }): Promise<Minio> {
    const reason = minioSkipReason();
    if (reason !== undefined) throw new Error(reason);
    const dir = mkdtempSync(join(tmpdir(), "faasreg-minio-"));
    const [port, consolePort] = inLab === undefined ? [await freePort(), await freePort()] : [9000, 9001];
    const listen = inLab?.address ?? "127.0.0.1";
    const accessKey = `test${randomBytes(6).toString("hex")}`;
    const secretKey = randomBytes(24).toString("base64url");
    const region = "us-east-1";
    const argv = [
        ...(inLab?.lab.wrap() ?? []),
        process.env[MINIO_BIN_ENV] as string,
        "server",
        join(dir, "data"),
        "--address",
        `${listen}:${port}`,
        "--console-address",
        `127.0.0.1:${consolePort}`,
        "--quiet",
    ];
    const child: ChildProcess = spawn(argv[0], argv.slice(1), {
        env: { PATH: process.env.PATH, HOME: dir, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_REGION: region, MINIO_BROWSER: "off" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    // The endpoint as servers see it; requests from here go through the relay when it runs in a lab.
    const endpoint = `http://${listen}:${port}`;
    const local = inLab === undefined ? `127.0.0.1:${port}` : `127.0.0.1:${await inLab.lab.relay(port, listen)}`;
    const s3 = async (method: string, path: string, body?: string) => {
        const signed = aws4.sign(
            { host: local, method, path, service: "s3", region, body, headers: {} },
            { accessKeyId: accessKey, secretAccessKey: secretKey },
        );
        const res = await fetch(`http://${local}${path}`, { method, headers: signed.headers as Record<string, string>, body });
        return { status: res.status, body: await res.text() };
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`minio exited ${child.exitCode}: ${output}`);
        const ready = await fetch(`http://${local}/minio/health/ready`).then(
            (r) => r.status === 200,
            () => false,
        );
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`minio not ready within 30 s: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
    }
    return {
        endpoint,
        region,
        accessKey,
        secretKey,
        s3,
        createBucket: async (name) => {
            const r = await s3("PUT", `/${name}`);
            if (r.status !== 200) throw new Error(`create bucket ${name}: ${r.status} ${r.body}`);
        },
        objects: async (bucket, prefix = "") => {
            const keys: string[] = [];
            let bytes = 0;
            let token: string | undefined;
            do {
                const query = `list-type=2&prefix=${encodeURIComponent(prefix)}${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
                const r = await s3("GET", `/${bucket}?${query}`);
                if (r.status !== 200) throw new Error(`list ${bucket}: ${r.status} ${r.body}`);
                for (const m of r.body.matchAll(/<Contents><Key>([^<]+)<\/Key>.*?<Size>(\d+)<\/Size>/g)) {
                    keys.push(m[1]);
                    bytes += Number(m[2]);
                }
                token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(r.body)?.[1];
            } while (token !== undefined);
            return { keys, bytes };
        },
        logs: () => output,
        stop: async () => {
            if (child.exitCode === null) {
                await new Promise<void>((resolve) => {
                    child.once("exit", () => resolve());
                    child.kill("SIGTERM");
                    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
                });
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
