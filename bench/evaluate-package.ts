// One evaluation under mocks, in a fresh process, of N functions declared through the faasreg package (its SDK as
// `pulumi package gen-sdk` makes it, FAASREG_BENCH_SDK), or of N bare CustomResources without inputs: the SDK's
// own floor per resource, the baseline the per-function figures are read against. Prints elapsed and CPU ms.
import { createRequire } from "node:module";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "../test/helpers/mocks";
import { FUNCTION_TOKEN } from "../provider/schema";

/** A resource with no inputs: what the SDK spends on any resource. */
class Empty extends pulumi.CustomResource {
    constructor(name: string) {
        super("bench:index:Empty", name, {});
    }
}

async function main(): Promise<void> {
    if (process.env.BENCH_SOURCE_MAPS === "false") process.setSourceMapsEnabled(false);
    const mode = process.argv[2];
    const n = Number(process.argv[3] ?? "1");
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const recorded = await installMocks();
    pulumi.runtime.setAllConfig({ "project:gatewayPassword": "bench-gateway-password", "project:registryPassword": "bench-registry-password" }, [
        "project:gatewayPassword",
        "project:registryPassword",
    ]);
    if (mode === "package") {
        // The SDK `pulumi package gen-sdk` generated (bench/run.ts). Its function.ts, not its index.ts: the index's lazy
        // exports are getters esbuild (tsx, this process's loader) shadows with its own; ts-node, Pulumi's, keeps them.
        const faasreg = createRequire(__filename)(join(process.env.FAASREG_BENCH_SDK as string, "function")) as {
            Function: new (name: string, args: Record<string, unknown>) => pulumi.CustomResource;
        };
        // As the package's examples write it: the credentials secret, registryAuth made from the registry password.
        const config = new pulumi.Config("project");
        const gatewayPassword = config.requireSecret("gatewayPassword");
        const registryAuth = config.requireSecret("registryPassword").apply((p) => Buffer.from(`ci:${p}`).toString("base64"));
        for (let i = 0; i < n; i++) {
            new faasreg.Function(`fn-${i}`, {
                gatewayUrl: "https://gateway.example.com",
                gatewayPassword,
                service: `fn-${i}`,
                image: `registry.example.com/team/fn-${i}:1`,
                registryServer: "registry.example.com",
                registryAuth,
                labels: { index: String(i) },
            });
        }
    } else if (mode === "baseline") {
        for (let i = 0; i < n; i++) new Empty(`r-${i}`);
    } else throw new Error(`mode ${mode}: package or baseline`);
    await settle(recorded, 50);
    const elapsed = performance.now() - started - 50;
    const cpu = process.cpuUsage(cpuStarted);
    const type = mode === "package" ? FUNCTION_TOKEN : "bench:index:Empty";
    const count = recorded.filter((r) => r.type === type).length;
    if (count !== n) throw new Error(`expected ${n} ${type}, got ${count}`);
    process.stdout.write(`${JSON.stringify({ mode, functions: n, ms: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
}

main().catch((error) => {
    process.stderr.write(`${error}\n`);
    process.exit(1);
});
