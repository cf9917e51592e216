// The provider's own configuration (the gateway a program's functions deploy to, and its credentials), as the engine
// hands it to Configure. @pulumi/pulumi/provider's server answers Configure without reading it (3.248 to 3.276:
// server.js `configure` only sets acceptSecrets, and the Provider interface has no configure), so its request is
// read here, on its way into that server: the one gRPC method of the server's service that is wrapped, before
// grpc-js binds it. Everything else is the SDK's server, untouched.
import { createRequire } from "node:module";
import { isUnknown } from "../components/faas/unknown";
import { unwrap } from "./function";
import { PROVIDER_CONFIG } from "./schema";

/** What a program may set on the provider (`faasreg:gatewayUrl`... or an explicit provider's inputs). */
export interface ProviderConfig {
    gatewayUrl?: string;
    gatewayUsername?: string;
    gatewayPassword?: string;
}

/** The schema's configuration keys. */
const PROVIDER_CONFIG_KEYS = Object.keys(PROVIDER_CONFIG) as (keyof ProviderConfig)[];

let current: ProviderConfig = {};

/** The configuration the engine last sent (empty until Configure, and for a provider configured with nothing). */
export function providerConfig(): ProviderConfig {
    return current;
}

/** Sets the configuration from Configure's arguments (the engine's property struct, secrets wrapped). Exported for the tests. */
export function setProviderConfig(args: Record<string, unknown> | undefined): void {
    const { plain } = unwrap(args ?? {});
    const next: ProviderConfig = {};
    for (const key of PROVIDER_CONFIG_KEYS) {
        const value = plain[key];
        // Unknown during a preview (the engine's sentinel string) or empty: as if unset.
        if (typeof value === "string" && value !== "" && !isUnknown(value)) next[key] = value;
    }
    current = next;
}

interface ConfigureCall {
    request: { getArgs(): { toJavaScript(): Record<string, unknown> } | undefined; getVariablesMap(): { entries(): Iterable<[string, string]> } };
}

/**
 * Makes the SDK's provider server pass Configure's arguments to setProviderConfig. Call once, before
 * `provider.main`: it wraps the `configure` method of the ResourceProvider service that main registers.
 */
export function captureConfigure(): void {
    // The grpc-js that @pulumi/pulumi's server requires (one copy in this tree, but resolved from there to be sure).
    const fromSdk = createRequire(require.resolve("@pulumi/pulumi/provider/server"));
    const grpc = fromSdk("@grpc/grpc-js") as { Server: { prototype: { addService(service: object, implementation: object): void } } };
    const proto = grpc.Server.prototype;
    const addService = proto.addService;
    proto.addService = function (service: object, implementation: Record<string, unknown>) {
        const configure = implementation.configure as ((call: ConfigureCall, callback: unknown) => void) | undefined;
        if ("configure" in service && typeof configure === "function") {
            implementation.configure = (call: ConfigureCall, callback: unknown) => {
                // Older engines send only the flat variables (`faasreg:config:gatewayUrl`, secrets in clear).
                const variables = () => Object.fromEntries([...call.request.getVariablesMap().entries()].map(([k, v]) => [k.slice(k.lastIndexOf(":") + 1), v]));
                setProviderConfig(call.request.getArgs()?.toJavaScript() ?? variables());
                configure.call(implementation, call, callback);
            };
        }
        addService.call(this, service, implementation);
    };
}
