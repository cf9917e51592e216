// A program that gives PrivateRegistry a too-short password as a secret Output, run in its own process
// by test/components.validation.test.ts: the check runs when the Output resolves and fails the program,
// as it would fail `pulumi up`. Prints each failure message it sees, one per line.
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "./mocks";

process.on("unhandledRejection", (reason) => {
    process.stdout.write(`${JSON.stringify(String((reason as Error)?.message ?? reason))}\n`);
});

async function main(): Promise<void> {
    await installMocks();
    const { PrivateRegistry } = await import("../../components/registry");
    new PrivateRegistry("late", { tls: { mode: "none" }, users: [{ username: "ci", password: pulumi.secret("short-Secret") }] });
    await new Promise((r) => setTimeout(r, 1500));
}

void main();
