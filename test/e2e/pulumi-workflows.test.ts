// The commands our users type, run as written with the real Pulumi CLI (FAASREG_PULUMI_BIN), in a lab whose
// Docker engine is "the local engine" (/var/run/docker.sock inside it), in a copy of the repository (so the dev
// stack's state and Pulumi.<stack>.yaml never land in this checkout):
// - `npm run up`, the README's main job: the dev stack comes up, the README's login line works with the password
//   `npm run -s pulumi -- stack output registryPassword --show-secrets` prints, a second `npm run up` changes
//   nothing, `npm run destroy` cleans up;
// - the preview workflow (.github/workflows/preview.yml) on a pull request: its `run:` steps as written, then what
//   its pulumi/actions step runs (`pulumi preview --diff`), against a local backend, for a fresh stack whose
//   generated passwords are not known yet.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type DockerEngine, Lab, labSkipReason, waitFor } from "../helpers/lab";
import { changeSummary, ownCliEnvironment, PROJECT_ROOT, pulumiSkipReason, runInLab } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { importRegistryImage } from "../helpers/registry-image";
import { DEFAULT_REGISTRY_IMAGE } from "../../components/registry/args";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/pulumi-workflows.test.ts", labSkipReason({ dockerd: true }), registrySkipReason(), pulumiSkipReason());

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; name?: string };
type Workflow = { env?: Record<string, string>; jobs: Record<string, { steps: Step[] }> };

describe.skipIf(skip !== undefined)("what users type, for real: npm run up (the README's main job) and the preview workflow", () => {
    let lab: Lab;
    let docker: DockerEngine;
    let project: string;
    // A user's own Pulumi home (login, selected stacks), with the plugins linked in.
    const sh = (command: string, env: NodeJS.ProcessEnv = {}, input?: string) =>
        runInLab(lab, ["bash", "-c", command], {
            cwd: project,
            input,
            env: { ...ownCliEnvironment(lab), HOME: "/root", DOCKER_CONFIG: join(lab.dir, "docker-cli"), ...env },
        });
    /** The README's "Your own VM" block, its lines as written. */
    const vmBlock = () => {
        const readme = readFileSync(join(project, "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("## Your own VM"));
        return (/```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? "").split("\n").map((l) => l.replace(/\s+#.*$/, ""));
    };

    beforeAll(async () => {
        // The user's home is /root here, as Pulumi expands `file://~` from the passwd entry, not $HOME: an overlay,
        // so what the README's steps write there stays in the lab.
        lab = await Lab.start("pulumi-workflows", { overlays: ["/root"] });
        docker = await lab.startDockerd({ defaultSocket: true });
        // The dev stack's default image, as a developer's engine has it cached (nothing can be pulled here).
        importRegistryImage(docker, lab.dir, DEFAULT_REGISTRY_IMAGE);
        // A clean checkout: the tracked files, and this checkout's node_modules (npm ci would download them again).
        project = join(lab.dir, "project");
        const files = spawnSync("git", ["ls-files"], { cwd: PROJECT_ROOT, encoding: "utf8" }).stdout.trim().split("\n");
        for (const file of files) {
            mkdirSync(dirname(join(project, file)), { recursive: true });
            cpSync(join(PROJECT_ROOT, file), join(project, file));
        }
        symlinkSync(join(PROJECT_ROOT, "node_modules"), join(project, "node_modules"));
    }, 120_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("the README's first steps for your own VM work as written: login to a state folder, a passphrase, stack init", async () => {
        const steps = vmBlock();
        const first = steps.slice(0, steps.findIndex((l) => l.startsWith("pulumi stack init")) + 1);
        expect(first[0]).toMatch(/^mkdir -p ~\/\.pulumi-state && pulumi login file:\/\/~\/\.pulumi-state/);
        // The passphrase is typed at `read -rs`.
        const r = await sh(first.join("\n"), {}, "prod-passphrase-0123\n");
        expect(r.status, r.out).toBe(0);
        expect((await sh("pulumi stack --show-name")).stdout.trim()).toBe("prod");
    }, 120_000);

    it("npm run up brings the dev stack up; the README's login line works; a second npm run up changes nothing", async () => {
        const up = await sh("npm run up");
        expect(up.status, up.out).toBe(0);
        process.stderr.write(`pulumi-workflows: npm run up (the dev stack, first time) took ${up.ms} ms\n`);
        expect(up.stderr).toMatch(/PULUMI_CONFIG_PASSPHRASE is not set; using the fixed passphrase/);
        expect(up.stdout).toMatch(/The registry is up at http:\/\/127\.0\.0\.1:5000 \(user: admin\)/);
        // The README's line, as written.
        const readme = readFileSync(join(project, "README.md"), "utf8");
        const login =
            /^npm run -s pulumi -- stack output registryPassword --show-secrets \\\n\s+\| docker login 127\.0\.0\.1:5000 -u admin --password-stdin$/m.exec(
                readme,
            );
        expect(login, "the README's login line").not.toBeNull();
        const loggedIn = await sh((login as RegExpExecArray)[0].replace("\\\n", " "));
        expect(loggedIn.status, loggedIn.out).toBe(0);
        expect(loggedIn.out).toMatch(/Login Succeeded/);
        const password = (await sh("npm run -s pulumi -- stack output registryPassword --show-secrets")).stdout.trim();
        // Generated once by npm run up (30 random bytes, base64url) and kept in the dev stack's config.
        expect(password).toMatch(/^[A-Za-z0-9_-]{40}$/);
        expect(up.out.includes(password)).toBe(false);
        importRegistryImage(docker, lab.dir, "127.0.0.1:5000/team/app:1");
        const push = await sh("docker push 127.0.0.1:5000/team/app:1");
        expect(push.status, push.out).toBe(0);
        const again = await sh("npm run up -- --expect-no-changes");
        expect(again.status, again.out).toBe(0);
        expect(changeSummary(again.out)).toEqual({ unchanged: expect.any(Number) });
        process.stderr.write(`pulumi-workflows: npm run up with nothing to do took ${again.ms} ms\n`);
        const preview = await sh("npm run preview -- --expect-no-changes");
        expect(preview.status, preview.out).toBe(0);
        // The dev stack never became the selected one: plain pulumi still acts on the user's own stack.
        expect((await sh("pulumi stack --show-name")).stdout.trim()).toBe("prod");
        const own = await sh("pulumi config set registry:host registry.example.com", { PULUMI_CONFIG_PASSPHRASE: "prod-passphrase-0123" });
        expect(own.status, own.out).toBe(0);
    }, 300_000);

    it("npm run destroy works outside a terminal, keeps the data volume; the next npm run up keeps the password (the old docker login works)", async () => {
        const destroy = await sh("npm run destroy");
        expect(destroy.status, destroy.out).toBe(0);
        expect(docker.must(["ps", "-a", "--format", "{{.Names}}"]).trim()).toBe("");
        expect(docker.must(["volume", "ls", "--format", "{{.Name}}"]).trim()).toBe("faas-registry-dev-registry-data");
        // Port 5000 taken by another program (as AirPlay takes it on macOS): npm run up says which key to set.
        const squatter = lab.spawn("squatter", [
            process.execPath,
            "-e",
            'require("http").createServer((q, s) => s.end("not a registry")).listen(5000, "127.0.0.1", () => console.log("listening"))',
        ]);
        const gone = new Promise((resolve) => squatter.once("exit", resolve));
        try {
            await waitFor("the squatter on 5000", async () => /listening/.test(lab.log("squatter")), 15_000);
            const taken = await sh("npm run up");
            expect(taken.status).not.toBe(0);
            expect(taken.stderr).toMatch(/port 5000 on 127\.0\.0\.1 is taken by another program .*\n.*\n.*npm run -s pulumi -- config set registry:port 5001/);
        } finally {
            squatter.kill("SIGKILL");
            await gone;
        }
        // As a server binds (SO_REUSEADDR: the squatter's closed connections may linger in TIME_WAIT).
        const bindable = `python3 -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 5000)); s.listen()'`;
        await waitFor("port 5000 free again", async () => (await sh(bindable)).status === 0, 15_000).catch(async (e) => {
            throw new Error(`${e.message}: ${(await sh(`${bindable}; ss -ltnp`)).out}`);
        });
        const up = await sh("npm run up");
        expect(up.status, up.out).toBe(0);
        // The login made before the destroy still works: the image in the kept volume pulls with it.
        docker.must(["rmi", "127.0.0.1:5000/team/app:1"]);
        const pull = await sh("docker pull 127.0.0.1:5000/team/app:1");
        expect(pull.status, pull.out).toBe(0);
        // The README's "To remove everything", as written.
        const readme = readFileSync(join(project, "README.md"), "utf8");
        const block = /To remove everything:\n\n```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
        expect(block).toMatch(/^npm run destroy$/m);
        const removed = await sh(block.replace(/\s+#.*$/gm, ""));
        expect(removed.status, removed.out).toBe(0);
        expect(existsSync(join(project, ".pulumi-state"))).toBe(false);
        expect(existsSync(join(project, "Pulumi.dev.yaml"))).toBe(false);
        expect(docker.must(["volume", "ls", "--format", "{{.Name}}"]).trim()).toBe("");
    }, 300_000);

    it("the preview workflow's steps, as written, preview a fresh stack: everything to create, passwords unknown, no secret", async () => {
        const workflow = parse(readFileSync(join(project, ".github", "workflows", "preview.yml"), "utf8")) as Workflow;
        const stackName = workflow.env?.PULUMI_STACK as string;
        // A fresh stack of that name (the README's steps above made one in the user's own backend, with another passphrase).
        rmSync(join(project, `Pulumi.${stackName}.yaml`), { force: true });
        const backend = `file://${join(lab.dir, "ci-state")}`;
        mkdirSync(join(lab.dir, "ci-state"));
        const env = { PULUMI_STACK: stackName, PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "ci-passphrase-0123", KNOWN_HOSTS: "" };
        // The stack file a team commits: set up as the README says (a secret user password included).
        const setup = await sh(
            [
                `pulumi stack init ${stackName} --secrets-provider passphrase`,
                "pulumi config set registry:tls none",
                `pulumi config set docker:host ${docker.host}`,
                `pulumi config set --path 'registry:users[0].username' ci`,
                `pulumi config set --secret --path 'registry:users[0].password' 'ci-Secret-Password-0123456789'`,
            ].join(" && "),
            env,
        );
        expect(setup.status, setup.out).toBe(0);
        const preview = workflow.jobs.preview.steps;
        for (const step of preview.filter((s) => s.run !== undefined && s.run !== "npm ci")) {
            const r = await sh(step.run as string, { ...env, ...step.env });
            expect(r.status, `${step.name}: ${r.out}`).toBe(0);
        }
        // The pulumi/actions step: command preview, diff, no refresh, on PULUMI_STACK.
        const action = preview.find((s) => s.uses?.startsWith("pulumi/actions@")) as Step;
        expect(action.with).toMatchObject({ command: "preview", diff: true, refresh: false });
        const r = await sh(`pulumi preview --diff --non-interactive --stack ${stackName}`, env);
        expect(r.status, r.out).toBe(0);
        expect(changeSummary(r.out)).toMatchObject({ create: expect.any(Number) });
        expect(r.out).not.toMatch(/to (update|replace|delete)/);
        expect(r.out.includes("ci-Secret-Password-0123456789")).toBe(false);
        // The generated HTTP secret (and everything derived from it) is not known before the first up.
        expect(r.out).toMatch(/\[secret\]/);
        writeFileSync(join(lab.dir, "preview.txt"), r.out);
    }, 300_000);
});
