/** A Docker image reference split the way Docker (and faas-swarm) split it. */
export interface ImageRef {
    /** The registry host[:port], when the first component looks like one. */
    domain?: string;
    /** Repository path without the domain: `team/fn`. */
    path: string;
    tag?: string;
    digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses `host:5000/team/fn:1@sha256:...`; undefined when it is not a valid reference. */
export function parseImageRef(ref: string): ImageRef | undefined {
    if (typeof ref !== "string" || ref.length === 0 || ref.length > 1024 || /\s/.test(ref)) return undefined;
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) return undefined;
    }
    let tag: string | undefined;
    const lastColon = rest.lastIndexOf(":");
    if (lastColon > rest.lastIndexOf("/")) {
        tag = rest.slice(lastColon + 1);
        rest = rest.slice(0, lastColon);
        if (!TAG.test(tag)) return undefined;
    }
    const parts = rest.split("/");
    let domain: string | undefined;
    // Docker's rule: the first component is a registry host when it has a '.' or a ':' or is localhost.
    if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")) {
        domain = parts.shift();
        if (!/^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+)(:[0-9]{1,5})?$/.test(domain as string)) return undefined;
    }
    if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
    return { domain, path: parts.join("/"), tag, digest };
}

/**
 * Why `image` cannot be pulled from our registry `server` by faas-swarm with `registryAuth`
 * (undefined when it can). faas-swarm derives the credentials' server from the reference: `host/fn:1`
 * silently becomes docker.io, `host:5000/fn:1` and `fn` are rejected; only `server/namespace/name`
 * works.
 */
export function checkPrivateImage(image: string, server: string): string | undefined {
    const ref = parseImageRef(image);
    const form = `${server}/namespace/name[:tag|@sha256:digest]`;
    if (ref === undefined) return `"${image}" is not a valid image reference: write ${form}`;
    if (ref.domain === undefined) {
        return `"${image}" names no registry, so it would be pulled from Docker Hub, not from our registry: write ${form}`;
    }
    if (ref.domain.toLowerCase() !== server.toLowerCase()) {
        return `"${image}" is in registry ${ref.domain}, but the registry credentials are for ${server}: push the image to ${server} and write ${form}`;
    }
    if (!ref.path.includes("/")) {
        return `"${image}" has no namespace: faas-swarm sends "host/name" references to docker.io (and rejects "host:port/name"): write ${form}`;
    }
    return undefined;
}
