import { DEFAULT_HTTPS_PORT, DEFAULT_PORT, type PrivateRegistryArgs } from "./args";

/** Where the registry answers, derived from plain arguments (no Outputs), so previews know it. */
export function registryEndpoint(args: PrivateRegistryArgs): { server: string; url: string; probeUrl: string } {
    const mode = args.tls.mode;
    if (mode === "none") {
        const bind = args.bindAddress ?? "127.0.0.1";
        const host = args.host ?? (bind.includes(":") ? `[${bind}]` : bind);
        const server = `${host}:${args.port ?? DEFAULT_PORT}`;
        return { server, url: `http://${server}`, probeUrl: `http://${server}/v2/` };
    }
    const httpsPort = args.httpsPort ?? DEFAULT_HTTPS_PORT;
    const server = httpsPort === 443 ? `${args.host}` : `${args.host}:${httpsPort}`;
    return { server, url: `https://${server}`, probeUrl: `https://${server}/v2/` };
}
