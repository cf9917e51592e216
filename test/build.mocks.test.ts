// Functions with build: the image is built and pushed into the stack's registry, and deployed by digest.
import { cpSync, mkdirSync, symlinkSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contextTag } from "../components/faas/build";
import { fakeRandom, findResource, isSecretWrapped, unwrap } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";

const IMAGE = "docker:index/image:Image";
const PLATFORM = "faasreg:faas:DockerPlatform";
const FUNCTION = "faasreg:index:Function";
const GATE = "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$command:local:Command::registry-ready";
const stack = (functions: unknown[]) => ({
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    "faas:gateway": "https://gateway.example.com",
    "faas:password": "gateway-password-1",
    "faas:functions": JSON.stringify(functions),
});
const HELLO = { service: "Hello_Fn", build: { context: "test/fixtures/hello-fn", args: { GREETING: "hi" } } };

describe("function images built from source", () => {
    const temp = mkdtempSync(join(tmpdir(), "faasreg-build-"));
    afterAll(() => rmSync(temp, { recursive: true, force: true }));

    it("builds and pushes after the registry's readiness gate, with its credentials as a secret", async () => {
        const { recorded } = await evaluateStack(stack([HELLO]));
        const image = findResource(recorded, IMAGE, "Hello_Fn-image");
        const tag = contextTag(HELLO.build);
        expect(tag).toMatch(/^src-[0-9a-f]{16}$/);
        // Built for the Docker host's platform (asked from its engine), named in the tag.
        expect(image.inputs.imageName).toBe(`registry.example.com/functions/hello_fn:${tag}-linux-amd64`);
        expect(image.inputs.build).toEqual({
            context: "test/fixtures/hello-fn",
            dockerfile: "test/fixtures/hello-fn/Dockerfile",
            args: { GREETING: "hi" },
            platform: "linux/amd64",
        });
        expect(image.dependencies).toContain(GATE);
        expect(isSecretWrapped(image.inputs.registry)).toBe(true);
        expect(unwrap(image.inputs.registry)).toEqual({
            server: "registry.example.com",
            username: "admin",
            password: fakeRandom("registry-password-admin", 40),
        });
    });

    it("deploys the function by the pushed digest", async () => {
        const { recorded } = await evaluateStack(stack([HELLO]));
        const fn = unwrap(findResource(recorded, FUNCTION, "Hello_Fn-deployment").inputs) as Record<string, unknown>;
        expect(fn.image).toMatch(/^registry\.example\.com\/functions\/hello_fn@sha256:[0-9a-f]{64}$/);
        expect(findResource(recorded, FUNCTION, "Hello_Fn-deployment").dependencies).toContain(
            "urn:pulumi:test::faas-registry::docker:index/image:Image::Hello_Fn-image",
        );
    });

    it("declares identical inputs for an unchanged context, and a new tag when a file changes", async () => {
        const context = join(temp, "fn");
        cpSync(join(__dirname, "fixtures", "hello-fn"), context, { recursive: true });
        const fn = { service: "hello", build: { context: relative(process.cwd(), context) } };
        const images = (r: Awaited<ReturnType<typeof evaluateStack>>) =>
            JSON.stringify(r.recorded.filter((x) => x.type === IMAGE || x.type === PLATFORM || x.type === FUNCTION));
        const first = await evaluateStack(stack([fn]));
        const second = await evaluateStack(stack([fn]));
        expect(images(second)).toBe(images(first));
        writeFileSync(join(context, "handler.sh"), '#!/bin/sh\necho "hello, changed"\n');
        const third = await evaluateStack(stack([fn]));
        const name = (r: typeof first) => findResource(r.recorded, IMAGE, "hello-image").inputs.imageName as string;
        expect(name(third)).not.toBe(name(first));
        expect(name(third)).toMatch(/^registry\.example\.com\/functions\/hello:src-[0-9a-f]{16}-linux-amd64$/);
    });

    it("pushes under the given name when image is set, and keeps prebuilt images (pinned by digest too)", async () => {
        const digest = `sha256:${"c".repeat(64)}`;
        const { recorded } = await evaluateStack(
            stack([
                { service: "hello", image: "team/hello:v2", build: { context: "test/fixtures/hello-fn" } },
                { service: "prebuilt", image: `team/prebuilt@${digest}` },
            ]),
        );
        expect(findResource(recorded, IMAGE, "hello-image").inputs.imageName).toBe("registry.example.com/team/hello:v2-linux-amd64");
        expect(recorded.filter((r) => r.type === IMAGE)).toHaveLength(1);
        expect((unwrap(findResource(recorded, FUNCTION, "prebuilt-deployment").inputs) as { image: string }).image).toBe(
            `registry.example.com/team/prebuilt@${digest}`,
        );
    });

    it("tags by what docker build sees: .dockerignore'd files do not count, symbolic links count by their target", () => {
        const context = join(temp, "ignore-fn");
        cpSync(join(__dirname, "fixtures", "hello-fn"), context, { recursive: true });
        const build = { context };
        writeFileSync(join(context, ".dockerignore"), "*.log\nnotes/\n!notes/keep.txt\n");
        const base = contextTag(build);
        // Ignored: a log file, a folder; a change inside them changes nothing.
        writeFileSync(join(context, "debug.log"), "one");
        mkdirSync(join(context, "notes"));
        writeFileSync(join(context, "notes", "todo.txt"), "x");
        expect(contextTag(build)).toBe(base);
        writeFileSync(join(context, "debug.log"), "two");
        expect(contextTag(build)).toBe(base);
        // Docker's `!` exception inside an ignored folder: that file is sent, so it counts.
        writeFileSync(join(context, "notes", "keep.txt"), "kept");
        const withKept = contextTag(build);
        expect(withKept).not.toBe(base);
        // A link is archived as a link: its target counts, not the target's content.
        writeFileSync(join(context, "a.txt"), "a");
        writeFileSync(join(context, "b.txt"), "b");
        symlinkSync("a.txt", join(context, "current"));
        const toA = contextTag(build);
        writeFileSync(join(context, "a.txt"), "a, changed");
        const toAChanged = contextTag(build);
        expect(toAChanged).not.toBe(toA);
        rmSync(join(context, "current"));
        symlinkSync("b.txt", join(context, "current"));
        expect(contextTag(build)).not.toBe(toAChanged);
        // The context given as a link is the folder it points to.
        symlinkSync(context, join(temp, "link-to-fn"));
        expect(contextTag({ context: join(temp, "link-to-fn") })).toBe(contextTag(build));
    });

    it("builds for the platform the Docker host reports, not the machine running pulumi; a named platform wins", async () => {
        // A stack whose Docker host is arm64 (what its engine reports through the DockerPlatform resource).
        const arm = await evaluateStack(
            {
                ...stack([HELLO, { service: "fixed", build: { context: "test/fixtures/hello-fn", platform: "linux/amd64" } }]),
                "docker:host": "ssh://ops@vm.example.com",
            },
            { hostPlatform: "linux/arm64" },
        );
        const image = findResource(arm.recorded, IMAGE, "Hello_Fn-image");
        expect((unwrap(image.inputs.build) as { platform: string }).platform).toBe("linux/arm64");
        expect(image.inputs.imageName).toMatch(/:src-[0-9a-f]{16}-linux-arm64$/);
        // The same sources built for amd64 get another tag: two platforms never overwrite each other.
        const amd = await evaluateStack(stack([HELLO]));
        expect(findResource(amd.recorded, IMAGE, "Hello_Fn-image").inputs.imageName).not.toBe(image.inputs.imageName);
        const fixed = findResource(arm.recorded, IMAGE, "fixed-image");
        expect((unwrap(fixed.inputs.build) as { platform: string }).platform).toBe("linux/amd64");
        expect(fixed.inputs.imageName).toMatch(/:src-[0-9a-f]{16}$/);
        // The host is asked through the docker provider's own connection keys.
        const platform = findResource(arm.recorded, PLATFORM, "docker-host-platform");
        expect(unwrap(platform.inputs.connection)).toEqual({ host: "ssh://ops@vm.example.com" });
    });
});
