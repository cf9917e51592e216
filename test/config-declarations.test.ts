// Pulumi.yaml, config/, the README and the examples describe the same keys.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../config";
import { checkStackFile, stackFileSource } from "../config/check";
import { parseStackConfig } from "../config/parse";
import { PULUMI_YAML, renderPulumiYaml } from "../scripts/pulumi-yaml";
import { evaluateStack } from "./helpers/stack";

const ROOT = join(__dirname, "..");
const declared = CONFIG_KEYS.map((k) => k.key).sort();

describe("config declarations", () => {
    it("Pulumi.yaml is generated from config/schema.ts and up to date", () => {
        expect(readFileSync(PULUMI_YAML, "utf8")).toBe(renderPulumiYaml());
    });

    it("the program is transpiled only: Pulumi reads noCheck from tsconfig.pulumi.json's own compilerOptions (it does not follow extends)", () => {
        const pulumiTsconfig = parse(readFileSync(join(ROOT, "tsconfig.pulumi.json"), "utf8"));
        expect(pulumiTsconfig.compilerOptions.noCheck).toBe(true);
        expect(pulumiTsconfig.extends).toBe("./tsconfig.json");
        // npm run typecheck still checks everything.
        expect(parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")).compilerOptions.noCheck).toBeUndefined();
    });

    it("Pulumi.yaml declares every key in template.config, in the shape Pulumi accepts", () => {
        const project = parse(readFileSync(PULUMI_YAML, "utf8"));
        expect(project.name).toBe("faas-registry");
        expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true, tsconfig: "tsconfig.pulumi.json" } });
        // Typed declarations outside the project's namespace are rejected by Pulumi: none at the top level.
        expect(project.config).toBeUndefined();
        const config = project.template.config as Record<string, Record<string, unknown>>;
        expect(Object.keys(config).sort()).toEqual(declared);
        for (const [key, entry] of Object.entries(config)) {
            expect(
                Object.keys(entry).every((f) => ["description", "default", "secret"].includes(f)),
                key,
            ).toBe(true);
            expect(typeof entry.description).toBe("string");
            if (entry.default !== undefined) expect(typeof entry.default, key).toBe("string");
        }
    });

    it("config/ reads exactly the declared keys", () => {
        const read = new Set<string>();
        const recording = { get: (k: string) => (read.add(k), undefined), isSecret: () => false };
        parseStackConfig(recording);
        parseStackConfig({ ...recording, get: (k: string) => (read.add(k), k === "faas:gateway" ? "https://gateway.example.com" : undefined) });
        // The docker provider's connection keys are read in swarm mode (the Swarm gate reaches the engine as it does).
        parseStackConfig({ ...recording, get: (k: string) => (read.add(k), k === "registry:mode" ? "swarm" : undefined) });
        expect([...read].sort()).toEqual(declared);
    });

    it("the README's configuration table has a row for every key", () => {
        const readme = readFileSync(join(ROOT, "README.md"), "utf8");
        for (const key of declared) expect(readme, key).toMatch(new RegExp(`^\\| \`${key}\` \\|`, "m"));
    });
});

describe("examples", () => {
    const dir = join(ROOT, "examples");
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

    it("cover the local default, a VM with Let's Encrypt and two users, the same with three functions, faasd, and Swarm mode", () => {
        expect(files.sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.faasd.yaml", "Pulumi.swarm.yaml", "Pulumi.vm-functions.yaml", "Pulumi.vm.yaml"]);
    });

    it.each(files)("%s passes config:check and evaluates under mocks", async (file) => {
        const text = readFileSync(join(dir, file), "utf8");
        expect(checkStackFile(text)).toEqual([]);
        const config = parse(text).config as Record<string, unknown>;
        const source = stackFileSource(config);
        const values = Object.fromEntries(Object.keys(config).map((k) => [k, source.get(k) as string]));
        const { recorded } = await evaluateStack(values, { secretKeys: Object.keys(config).filter((k) => source.isSecret(k)) });
        // The registry: a container, or in Swarm mode a service.
        const registryType = config["registry:mode"] === "swarm" ? "docker:index/service:Service" : "docker:index/container:Container";
        expect(recorded.some((r) => r.type === registryType)).toBe(true);
        const functions = ((config["faas:functions"] as unknown[]) ?? []).length;
        expect(recorded.filter((r) => r.type === "faasreg:faas:Function")).toHaveLength(functions);
        if (file === "Pulumi.vm-functions.yaml") expect(functions).toBe(3);
    });
});
