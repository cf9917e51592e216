// One evaluation of index.ts under mocks with N functions, in a fresh process (fresh module cache).
// Prints the elapsed milliseconds from config to the last resource registered. Used by bench/run.ts.
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "../test/helpers/mocks";

async function main(): Promise<void> {
    if (process.env.BENCH_SOURCE_MAPS === "false") process.setSourceMapsEnabled(false);
    const n = Number(process.argv[2] ?? "1");
    const functions = Array.from({ length: n }, (_, i) => ({ service: `fn-${i}`, image: `team/fn-${i}:1`, labels: { index: String(i) } }));
    // Load the provider SDKs first: their load time is the same for every N and only adds noise.
    await Promise.all([import("@pulumi/docker"), import("@pulumi/command"), import("@pulumi/random")]);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const recorded = await installMocks();
    pulumi.runtime.setAllConfig(
        {
            "registry:host": "registry.example.com",
            "registry:email": "ops@example.com",
            "faas:gateway": "https://gateway.example.com",
            "faas:password": "bench-gateway-password",
            "faas:functions": JSON.stringify(functions),
        },
        ["faas:password"],
    );
    await import("../index");
    await settle(recorded, 50);
    // settle() waits 50 ms of quiet after the last registration: not part of the work.
    const elapsed = performance.now() - started - 50;
    const cpu = process.cpuUsage(cpuStarted);
    // The functions' resources (the faasreg package's).
    const deployments = recorded.filter((r) => r.type === "faasreg:index:Function").length;
    if (deployments !== n) throw new Error(`expected ${n} function deployments, got ${deployments}`);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write(`${JSON.stringify({ functions: n, ms: elapsed, cpuMs, resources: recorded.length })}\n`);
}

main().catch((error) => {
    process.stderr.write(`${error}\n`);
    process.exit(1);
});
