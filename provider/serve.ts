// Serves the provider to the engine (main.cjs loads this).
import { createRequire } from "node:module";
import * as provider from "@pulumi/pulumi/provider";
import { setWarningSink } from "../components/check-process";
import { adaptServer } from "./configure";
import { faasregProvider, previewUpdate } from "./index";

/**
 * The provider's warnings (a preview that cannot reach the Docker engine or the cluster, a function left running)
 * through the engine's Log service at `address` (the engine passes it as the first argument): the Node.js
 * language host runs this provider as a plugin and keeps its stderr from `pulumi`'s output. On stderr when the
 * engine cannot be reached (the tests' gRPC harness has no engine).
 */
function warningsToEngine(address: string | undefined): void {
    if (address === undefined) return;
    /* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's generated gRPC code, plain JavaScript */
    const fromSdk = createRequire(require.resolve("@pulumi/pulumi"));
    const grpc = fromSdk("@grpc/grpc-js") as any;
    const engrpc = fromSdk("./proto/engine_grpc_pb") as any;
    const engproto = fromSdk("./proto/engine_pb") as any;
    const engine = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
    /* eslint-enable @typescript-eslint/no-explicit-any */
    setWarningSink(
        (message) =>
            new Promise<void>((resolve) => {
                const request = new engproto.LogRequest();
                request.setSeverity(engproto.LogSeverity.WARNING);
                request.setMessage(message);
                engine.log(request, { deadline: Date.now() + 5_000 }, (error: Error | null) => {
                    if (error !== null) process.stderr.write(`warning: ${message}\n`);
                    resolve();
                });
            }),
    );
}

// Before main registers the server's service: the provider's configuration reaches ./configure.ts, and it previews.
adaptServer(previewUpdate);
warningsToEngine(process.argv[2]);
void provider.main(faasregProvider, process.argv.slice(2));
