// The stack under Pulumi's own unit-testing pattern, as users test their stacks (Pulumi's testing guide:
// `setMocks` whose newResource returns the inputs as the state, nothing computed). No provider answers: the
// Docker host's platform, the Swarm gate's node id, image digests and generated passwords are all absent.
// Every mode must still evaluate to the end, with no error and no rejected Output.
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findResource } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";
import { FAASD_KEY } from "./config.bad-input.cases";

const BUILD = { service: "built", build: { context: "test/fixtures/hello-fn" } };
const STACKS: Record<string, Record<string, string>> = {
    "the dev stack": { "registry:tls": "none" },
    "a VM with Let's Encrypt and functions, one built without a platform": {
        "docker:host": "ssh://deploy@vm.example.com",
        "registry:host": "registry.example.com",
        "registry:email": "ops@example.com",
        "faas:gateway": "https://gateway.example.com",
        "faas:password": "gateway-password-1",
        "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1" }, BUILD]),
    },
    "faasd with a built function": {
        "docker:host": "ssh://deploy@vm.example.com",
        "registry:host": "registry.example.com",
        "registry:email": "ops@example.com",
        "faas:gateway": "https://gateway.example.com",
        "faas:password": "gateway-password-1",
        "faas:backend": "faasd",
        "faas:sshHost": "vm.example.com",
        ...FAASD_KEY,
        "faas:functions": JSON.stringify([BUILD]),
    },
    "registry:mode swarm with Redis and Let's Encrypt": {
        "docker:host": "ssh://deploy@manager.example.com",
        "registry:mode": "swarm",
        "registry:host": "registry.example.com",
        "registry:email": "ops@example.com",
        "registry:replicas": "3",
        "registry:redis": "service",
    },
};

describe("the stack under Pulumi's standard unit-test mocks (inputs echoed as state)", () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    beforeEach(() => {
        rejections.length = 0;
        process.on("unhandledRejection", onRejection);
    });
    afterEach(() => {
        process.off("unhandledRejection", onRejection);
    });

    for (const [what, config] of Object.entries(STACKS)) {
        it(`evaluates ${what} to the end, every export settled, nothing rejected`, async () => {
            const { recorded, exports } = await evaluateStack(config, { echoInputs: true });
            expect(recorded.length).toBeGreaterThan(3);
            // Every export settles (known or not): an apply that throws would reject here.
            for (const [name, value] of Object.entries(exports)) {
                if (pulumi.Output.isInstance(value))
                    await expect((value as unknown as { promise: () => Promise<unknown> }).promise(), name).resolves.not.toThrow();
            }
            await new Promise((r) => setTimeout(r, 50));
            expect(rejections.map(String)).toEqual([]);
        });
    }

    it("declares a built image whose host platform is not reported, its tag unknown as in a first preview", async () => {
        const { recorded } = await evaluateStack(STACKS["a VM with Let's Encrypt and functions, one built without a platform"], { echoInputs: true });
        const image = findResource(recorded, "docker:index/image:Image", "built-image");
        expect(image.inputs.imageName).toBeUndefined();
        expect(findResource(recorded, "faasreg:index:Function", "built-deployment").inputs.image).toBeUndefined();
    });
});
