// What the Node.js language host runs (package.json's main). Plain JavaScript on purpose: were the plugin
// TypeScript (PulumiPlugin.yaml typescript: true), the host's ts-node would compile it with the tsconfig.json of
// the directory pulumi runs in, the CONSUMER's program (run-plugin reads ./tsconfig.json there), and type-check
// it on every start. tsx transpiles our TypeScript instead (esbuild: no type check; npm run typecheck does that).
require("tsx/cjs/api").register();
require("./serve.ts");
