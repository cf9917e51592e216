// Pulumi.yaml's `template.config` is generated from config/schema.ts, the one table of config keys:
//   npx tsx scripts/pulumi-yaml.ts --write     rewrites Pulumi.yaml
// test/config-declarations.test.ts fails when Pulumi.yaml is out of date.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { CONFIG_KEYS } from "../config/schema";

export const PULUMI_YAML = join(__dirname, "..", "Pulumi.yaml");

const HEADER = `# One stack: a private Docker registry and the FaaS functions whose images live in it.
#
# Config keys live in the \`registry:\` and \`faas:\` namespaces (and the docker provider's own \`docker:host\`).
# Pulumi accepts \`type\` declarations only for keys in the project's own namespace ("Configuration key
# 'x:y' is not namespaced by the project and should not define a type"), so every key is declared under
# \`template.config\` (description, default, secret), which \`pulumi new\` uses to prompt. The types are
# enforced by config/ before anything is declared. This section is generated from config/schema.ts by
# \`npx tsx scripts/pulumi-yaml.ts --write\`; a test fails when it is out of date.
# Check a stack's config offline: npm run config:check -- Pulumi.STACK.yaml
name: faas-registry
description: A private Docker registry (CNCF distribution) and FaaS functions deployed from it
runtime:
  name: nodejs
  options:
    typescript: true
    # ts-node transpiles only (noCheck there): npm run typecheck and CI check the types, once.
    tsconfig: tsconfig.pulumi.json
main: index.ts
# The functions are resources of this repository's own package, faasreg (provider/, served from its source by the
# Node.js language host): the engine starts it from here, as it would a provider it downloaded.
plugins:
  providers:
    - name: faasreg
      path: ./provider
`;

export function renderPulumiYaml(): string {
    const config: Record<string, Record<string, unknown>> = {};
    for (const k of CONFIG_KEYS) {
        const kind = `${k.type}${k.secret === "yes" ? ", secret" : k.secret === "partly" ? ", passwords secret" : ""}`;
        const entry: Record<string, unknown> = { description: `(${kind}) ${k.description}` };
        // Defaults as strings: that is how Pulumi hands config values to programs.
        if (k.default !== undefined) entry.default = Array.isArray(k.default) ? JSON.stringify(k.default) : String(k.default);
        if (k.secret === "yes") entry.secret = true;
        config[k.key] = entry;
    }
    return `${HEADER}${stringify({ template: { config } }, { lineWidth: 0 })}`;
}

if (require.main === module) {
    const rendered = renderPulumiYaml();
    if (process.argv.includes("--write")) writeFileSync(PULUMI_YAML, rendered);
    else if (readFileSync(PULUMI_YAML, "utf8") !== rendered) {
        process.stderr.write("Pulumi.yaml is out of date: npx tsx scripts/pulumi-yaml.ts --write\n");
        process.exit(1);
    }
}
