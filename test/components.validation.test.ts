// The components used directly (not through config/): bad arguments throw before anything is declared,
// naming the argument; a bad secret that is still an Output fails inside apply without quoting it.
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, outputValue, type RecordedResource } from "./helpers/mocks";

let recorded: RecordedResource[];
let PrivateRegistry: typeof import("../components/registry").PrivateRegistry;
let FaasFunction: typeof import("../components/faas").FaasFunction;

beforeAll(async () => {
    recorded = await installMocks();
    ({ PrivateRegistry } = await import("../components/registry"));
    ({ FaasFunction } = await import("../components/faas"));
});

describe("PrivateRegistry arguments", () => {
    it.each([
        [{ tls: { mode: "none" }, users: [{ username: "a:b" }] }, /users\[0\]\.username: "a:b" contains ':'/],
        [{ tls: { mode: "letsencrypt", email: "ops@example.com" }, users: [{ username: "ci" }] }, /host: is required with tls "letsencrypt"/],
        [{ host: "r.example.com", tls: { mode: "certificate", certificate: "x" }, users: [{ username: "ci" }] }, /tls\.privateKey: is required/],
        [{ tls: { mode: "none" }, users: [{ username: "ci" }], bcryptCost: 40 }, /bcryptCost: must be between 4 and 31/],
        [
            { host: "r.example.com", tls: { mode: "letsencrypt", email: "o@example.com" }, users: [{ username: "ci" }], image: "registry:2" },
            /image: registry:2 is a 2\.x registry/,
        ],
    ])("rejects %j before declaring anything", (args, message) => {
        const before = recorded.length;
        expect(() => new PrivateRegistry("bad", args as never)).toThrow(message);
        expect(recorded.length).toBe(before);
    });

    it("checks a password given as an Output when it resolves, failing the program without quoting it", () => {
        // In its own process: the failure surfaces as the program's unhandled rejection, as in `pulumi up`.
        // It exits non-zero (the failed program leaves Pulumi's promises pending); its output is what counts.
        const out = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/late-password-program.ts"], { encoding: "utf8" }).stdout;
        const messages = out
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string);
        expect(messages.length).toBeGreaterThan(0);
        for (const message of messages) {
            expect(message).toMatch(/PrivateRegistry "late": users\[0\]\.password is 12 characters long; at least 16 are required/);
            expect(message).not.toContain("short-Secret");
        }
    });
});

describe("FaasFunction arguments", () => {
    const gateway = { url: "https://gateway.example.com" };
    it.each([
        [{ gateway, service: "bad name", image: "r.example.com/team/fn:1" }, /service: "bad name" is not a valid function name/],
        [{ gateway: { url: "ftp://x" }, service: "fn", image: "r.example.com/team/fn:1" }, /gateway\.url: "ftp:\/\/x" is not an http\(s\) URL/],
        [
            { gateway, service: "fn", image: "r.example.com/fn:1", registry: { server: "r.example.com", username: "u", password: "p" } },
            /image: .*has no namespace/,
        ],
        [{ gateway, service: "fn", image: "r.example.com/team/fn:1", limits: { gpu: "1" } }, /limits: has unknown key\(s\) "gpu"/],
        [
            { gateway, service: "fn", image: "r.example.com/team/fn:1", registryAuth: "x", registry: { server: "r", username: "u", password: "p" } },
            /registryAuth: give either/,
        ],
    ])("rejects %j before declaring anything", (args, message) => {
        const before = recorded.length;
        expect(() => new FaasFunction("bad", args as never)).toThrow(message);
        expect(recorded.length).toBe(before);
    });
});

describe("FaasFunction outputs", () => {
    // The outputs read from the deployment's status are made on access; registryAuth stays a secret there too.
    it("gives registryAuth as a secret, and the URL, replicas and reported image from the deployment", async () => {
        const registry = { server: "r.example.com", username: "ci", password: "registry-password-0123456789" };
        const fn = new FaasFunction("outputs", {
            gateway: { url: "https://gateway.example.com/", password: "gateway-password-0123" },
            service: "outputs",
            image: "r.example.com/team/fn:1",
            registry,
        });
        expect(await pulumi.isSecret(fn.registryAuth)).toBe(true);
        expect(await outputValue(fn.registryAuth)).toBe(Buffer.from("ci:registry-password-0123456789").toString("base64"));
        expect(await outputValue(fn.url)).toBe("https://gateway.example.com/function/outputs");
        // The same URL when the gateway's URL is known only at run time.
        const later = new FaasFunction("outputs-later", {
            gateway: { url: pulumi.output("https://gateway.example.com//"), password: "gateway-password-0123" },
            service: "later",
            image: "r.example.com/team/fn:1",
            registry,
        });
        expect(await outputValue(later.url)).toBe("https://gateway.example.com/function/later");
        // The mocks' state is the inputs: no status yet, as in state older than it.
        expect(await outputValue(fn.replicas)).toBe(0);
        expect(await outputValue(fn.availableReplicas)).toBe(0);
        expect(await outputValue(fn.reportedImage)).toBeUndefined();
    });
});
