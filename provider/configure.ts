// The provider's own configuration (the gateway a program's functions deploy to, and its credentials), as the engine
// hands it to Configure, and its previews. @pulumi/pulumi/provider's server answers Configure without reading it
// (3.248 to 3.276: server.js `configure` only sets acceptSecrets, and the Provider interface has no configure), and
// hands Create and Update no `preview` flag. So three gRPC methods of the server's service are wrapped here, before
// grpc-js binds them: Configure (its request read; the provider says it previews), and Create and Update in a
// preview (answered here, nothing done). Everything else is the SDK's server, untouched.
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

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's generated gRPC messages, plain JavaScript */
type Callback = (error: unknown, reply?: any) => void;
type Method = (call: { request: any }, callback: Callback) => void;

/**
 * What an Update in a preview reports as the resource's state: by default the new inputs (what the engine assumes
 * of a provider that does not preview), or what the resource predicts (provider/index.ts, previewUpdate).
 */
export type PreviewUpdate = (id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * Makes the SDK's provider server pass Configure's arguments to setProviderConfig, and answer the previews of
 * Create (the inputs as the state: nothing is created) and Update (`previewUpdate`: nothing is changed). Call once,
 * before `provider.main`: it wraps the methods of the ResourceProvider service that main registers.
 */
export function adaptServer(previewUpdate: PreviewUpdate): void {
    // The grpc-js and messages that @pulumi/pulumi's server requires (one copy in this tree, but resolved from there to be sure).
    const fromSdk = createRequire(require.resolve("@pulumi/pulumi/provider/server"));
    const grpc = fromSdk("@grpc/grpc-js") as { Server: { prototype: { addService(service: object, implementation: object): void } } };
    const provproto = fromSdk("../proto/provider_pb") as any;
    const structproto = fromSdk("google-protobuf/google/protobuf/struct_pb") as any;
    const proto = grpc.Server.prototype;
    const addService = proto.addService;
    proto.addService = function (service: object, implementation: Record<string, unknown>) {
        const original = (name: string) => implementation[name] as Method | undefined;
        const configure = original("configure");
        const create = original("create");
        const update = original("update");
        if ("configure" in service && configure !== undefined && create !== undefined && update !== undefined) {
            implementation.configure = (call: { request: any }, callback: Callback) => {
                // Older engines send only the flat variables (`faasreg:config:gatewayUrl`, secrets in clear).
                const variables = () =>
                    Object.fromEntries(
                        [...(call.request.getVariablesMap().entries() as Iterable<[string, string]>)].map(([k, v]) => [k.slice(k.lastIndexOf(":") + 1), v]),
                    );
                setProviderConfig(call.request.getArgs()?.toJavaScript() ?? variables());
                // The engine then calls Create and Update in previews too, and shows what they report.
                configure.call(implementation, call, (error, reply) => callback(error, reply?.setSupportspreview(true) ?? reply));
            };
            implementation.create = (call: { request: any }, callback: Callback) => {
                if (!call.request.getPreview()) return create.call(implementation, call, callback);
                // What the engine reports for a provider that does not preview: the inputs, no id.
                callback(undefined, new provproto.CreateResponse().setProperties(call.request.getProperties()));
            };
            implementation.update = (call: { request: any }, callback: Callback) => {
                if (!call.request.getPreview()) return update.call(implementation, call, callback);
                const r = call.request;
                previewUpdate(r.getId(), r.getUrn(), r.getOlds().toJavaScript(), r.getNews().toJavaScript()).then(
                    (state) => callback(undefined, new provproto.UpdateResponse().setProperties(structproto.Struct.fromJavaScript(state))),
                    (error: Error) => callback({ code: 2, details: error.message }),
                );
            };
        }
        addService.call(this, service, implementation);
    };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
