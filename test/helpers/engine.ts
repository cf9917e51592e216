// A provider driven the way the Pulumi engine drives it, spoken to over gRPC with the SDK's own protobuf messages:
// the faasreg package's provider (provider/main.cjs, as the engine starts it from the stack's Pulumi.yaml), which
// serves every custom resource of the stack that is not a provider's of Pulumi's (the stack declares no dynamic
// resource since 12-04). configure() gets the configuration as the engine sends it (secrets wrapped),
// check()/diff() the engine's unknown marker in previews.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";

const requireSdk = createRequire(require.resolve("@pulumi/pulumi"));
// The SDK's generated gRPC code is plain JavaScript without usable types here.
/* eslint-disable @typescript-eslint/no-explicit-any */
const grpc = requireSdk("@grpc/grpc-js") as any;
const provrpc = requireSdk("./proto/provider_grpc_pb") as any;
const provproto = requireSdk("./proto/provider_pb") as any;
const structproto = requireSdk("google-protobuf/google/protobuf/struct_pb") as any;
const rpc = requireSdk("./runtime/rpc") as { unknownValue: string; specialSigKey: string; specialSecretSig: string };
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The engine's marker for a value not known yet (preview). */
export const UNKNOWN = rpc.unknownValue;
const FAASREG = join(__dirname, "..", "..", "provider", "main.cjs");
/** The resource type of the URNs, unless withType() says another: the stack's function (its parent's type first). */
const TYPES = { faasreg: "faasreg:faas:Function$faasreg:index:Function" };

export type Props = Record<string, unknown>;

export interface DiffResult {
    changes: "none" | "some" | "unknown";
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/** How to start the host process: directly, or wrapped (e.g. `nsenter` into a test namespace). */
export interface HostOptions {
    wrap?: string[];
    env?: Record<string, string>;
}

export class EngineHarness {
    private constructor(
        private readonly child: ChildProcess,
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        private readonly client: any,
        readonly stderr: () => string,
        readonly project: string,
        readonly stack: string,
        private readonly type: string,
    ) {}

    /** Starts the provider (as the engine does) and connects to the port it prints. */
    static async start(
        options: HostOptions & { project?: string; stack?: string; connect?: (port: number) => Promise<number>; host?: keyof typeof TYPES } = {},
    ): Promise<EngineHarness> {
        const project = options.project ?? "faas-registry";
        const stack = options.stack ?? "test";
        const host = options.host ?? "faasreg";
        const argv = [...(options.wrap ?? []), process.execPath, FAASREG, "127.0.0.1:1"];
        const child = spawn(argv[0], argv.slice(1), {
            cwd: process.cwd(),
            env: { ...process.env, PULUMI_PROJECT: project, PULUMI_STACK: stack, ...(options.env ?? {}) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stderr?.on("data", (d) => {
            err += d;
        });
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`the provider host printed no port within 20 s: ${err}`)), 20_000);
            child.stdout?.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.on("exit", (code) => reject(new Error(`the provider host exited ${code}: ${err}`)));
        });
        const reachable = options.connect ? await options.connect(port) : port;
        const client = new provrpc.ResourceProviderClient(`127.0.0.1:${reachable}`, grpc.credentials.createInsecure());
        return new EngineHarness(child, client, () => err, project, stack, TYPES[host]);
    }

    /** The same provider process, its URNs of another resource type (the faasreg provider serves several: `PARENT$TYPE`). */
    withType(type: string): EngineHarness {
        return new EngineHarness(this.child, this.client, this.stderr, this.project, this.stack, type);
    }

    urn(name: string): string {
        return `urn:pulumi:${this.stack}::${this.project}::${this.type}::${name}`;
    }

    private call<T>(method: string, request: unknown): Promise<T> {
        return new Promise<T>((resolve, reject) => {
            this.client[method](request, (error: Error | null, reply: T) => (error ? reject(error) : resolve(reply)));
        });
    }

    /**
     * configure(): the provider's own inputs, as the engine sends them, the secret keys wrapped as secrets.
     */
    async configure(config: Record<string, string>, secretKeys: readonly string[] = []): Promise<{ supportsPreview: boolean }> {
        const args: Props = {};
        for (const [k, v] of Object.entries(config)) {
            args[k] = secretKeys.includes(k) ? { [rpc.specialSigKey]: rpc.specialSecretSig, value: v } : v;
        }
        const req = new provproto.ConfigureRequest();
        req.setArgs(structproto.Struct.fromJavaScript(args));
        req.setAcceptsecrets(true);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const reply: any = await this.call("configure", req);
        return { supportsPreview: reply.getSupportspreview() };
    }

    async check(name: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
        const req = new provproto.CheckRequest();
        req.setUrn(this.urn(name));
        req.setOlds(structproto.Struct.fromJavaScript(olds));
        req.setNews(structproto.Struct.fromJavaScript(news));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const reply: any = await this.call("check", req);
        return {
            inputs: reply.getInputs().toJavaScript(),
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            failures: reply.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(name: string, id: string, olds: Props, news: Props): Promise<DiffResult> {
        const req = new provproto.DiffRequest();
        req.setId(id);
        req.setUrn(this.urn(name));
        req.setOlds(structproto.Struct.fromJavaScript(olds));
        req.setNews(structproto.Struct.fromJavaScript(news));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const reply: any = await this.call("diff", req);
        const changes = reply.getChanges();
        const kinds = provproto.DiffResponse.DiffChanges;
        return {
            changes: changes === kinds.DIFF_SOME ? "some" : changes === kinds.DIFF_NONE ? "none" : "unknown",
            replaces: reply.getReplacesList(),
            deleteBeforeReplace: reply.getDeletebeforereplace(),
        };
    }

    /** `preview`: as the engine calls a provider that says it previews, during `pulumi preview`. */
    async create(name: string, props: Props, preview = false): Promise<{ id: string; outs: Props }> {
        const req = new provproto.CreateRequest();
        req.setUrn(this.urn(name));
        req.setProperties(structproto.Struct.fromJavaScript(props));
        req.setPreview(preview);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const reply: any = await this.call("create", req);
        return { id: reply.getId(), outs: reply.getProperties().toJavaScript() };
    }

    async read(name: string, id: string, props: Props): Promise<{ id: string; props: Props }> {
        const req = new provproto.ReadRequest();
        req.setId(id);
        req.setUrn(this.urn(name));
        req.setProperties(structproto.Struct.fromJavaScript(props));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const reply: any = await this.call("read", req);
        return { id: reply.getId(), props: reply.getProperties()?.toJavaScript() ?? {} };
    }

    async update(name: string, id: string, olds: Props, news: Props, preview = false): Promise<Props> {
        const req = new provproto.UpdateRequest();
        req.setId(id);
        req.setUrn(this.urn(name));
        req.setOlds(structproto.Struct.fromJavaScript(olds));
        req.setNews(structproto.Struct.fromJavaScript(news));
        req.setPreview(preview);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const reply: any = await this.call("update", req);
        return reply.getProperties().toJavaScript();
    }

    async delete(name: string, id: string, props: Props): Promise<void> {
        const req = new provproto.DeleteRequest();
        req.setId(id);
        req.setUrn(this.urn(name));
        req.setProperties(structproto.Struct.fromJavaScript(props));
        await this.call("delete", req);
    }

    async stop(): Promise<void> {
        this.client.close();
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            this.child.once("exit", () => resolve());
            this.child.kill("SIGTERM");
            setTimeout(() => this.child.kill("SIGKILL"), 3000).unref();
        });
    }
}

/** The message of a gRPC error as the engine would print it (without gRPC's "2 UNKNOWN: " prefix). */
export function engineMessage(error: unknown): string {
    const e = error as { details?: string; message?: string };
    return e.details ?? e.message ?? String(error);
}
