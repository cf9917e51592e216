import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import dockerignore from "@balena/dockerignore";
import { isAbsolute, join, relative, resolve } from "node:path";
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { checkStringMap, unknownKeysNamed } from "../problems";

/** How to build a function's image (the docker provider builds it on its Docker host and pushes it). */
export interface FunctionBuild {
    /** The build context folder, relative to the project root. */
    context: string;
    /** The Dockerfile, relative to the context. Defaults to "Dockerfile". */
    dockerfile?: string;
    args?: Record<string, string>;
    target?: string;
    platform?: string;
}

export const BUILD_KEYS = ["context", "dockerfile", "args", "target", "platform"];

/** Absolute paths of the context and Dockerfile (relative paths are taken from the project root). */
export function buildPaths(build: Pick<FunctionBuild, "context" | "dockerfile">, root = process.cwd()): { context: string; dockerfile: string } {
    const context = isAbsolute(build.context) ? build.context : resolve(root, build.context);
    return { context, dockerfile: resolve(context, build.dockerfile ?? "Dockerfile") };
}

/** Why `build` cannot be used (undefined when it can). Reads the file system: the context must exist now. */
export function checkBuild(build: unknown, root = process.cwd()): { path: string; message: string } | undefined {
    if (typeof build !== "object" || build === null || Array.isArray(build))
        return { path: "build", message: "must be an object {context, dockerfile?, args?, target?, platform?}" };
    const unknown = Object.keys(build).filter((k) => !BUILD_KEYS.includes(k));
    if (unknown.length > 0)
        return { path: "build", message: `has unknown key(s) ${unknownKeysNamed(unknown, BUILD_KEYS)}: allowed are ${BUILD_KEYS.join(", ")}` };
    const b = build as Record<string, unknown>;
    if (typeof b.context !== "string" || b.context === "")
        return { path: "build.context", message: "is required: the build context folder, relative to the project root" };
    for (const key of ["dockerfile", "target", "platform"]) {
        if (b[key] !== undefined && typeof b[key] !== "string") return { path: `build.${key}`, message: "must be a string" };
    }
    const argsProblem = checkStringMap(b.args);
    if (argsProblem !== undefined) return { path: "build.args", message: argsProblem };
    const { context, dockerfile } = buildPaths(b as unknown as FunctionBuild, root);
    if (!existsSync(context) || !statSync(context).isDirectory())
        return { path: "build.context", message: `${context} is not a folder: give the build context, relative to the project root` };
    if (!existsSync(dockerfile) || !statSync(dockerfile).isFile()) {
        return { path: "build.dockerfile", message: `${dockerfile} does not exist: add a Dockerfile to the context, or set build.dockerfile` };
    }
    return undefined;
}

/** Every entry of the context as `docker build` archives it: files, and symbolic links as links (not followed). */
function contextEntries(dir: string, base = dir): { path: string; link?: string }[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = join(dir, e.name);
        const path = relative(base, full).split("\\").join("/");
        if (e.isSymbolicLink()) return [{ path, link: readlinkSync(full) }];
        if (e.isDirectory()) return contextEntries(full, base);
        return e.isFile() ? [{ path }] : [];
    });
}

/**
 * A tag derived from what the build sees: the files of the context that `.dockerignore` lets through (by
 * path and content; symbolic links by their target, as docker archives them), the Dockerfile, and the
 * build options. The same sources give the same tag on every run (no timestamp), so an unchanged build
 * shows no diff; any change the build can see gives a new tag, hence a new digest. `@balena/dockerignore`
 * applies Docker's own matching rules (its `*`, `**` and `!` differ from .gitignore's).
 */
export function contextTag(build: FunctionBuild, root = process.cwd()): string {
    const paths = buildPaths(build, root);
    // `docker build LINK` builds the folder the link points to.
    const context = realpathSync(paths.context);
    const ignoreFile = join(context, ".dockerignore");
    const ignored = dockerignore().add(existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "");
    const entries = contextEntries(context)
        .filter((e) => !ignored.ignores(e.path))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const hash = createHash("sha256");
    for (const entry of entries) {
        hash.update(`${entry.path}\0`);
        hash.update(entry.link === undefined ? readFileSync(join(context, entry.path)) : `symlink:${entry.link}`);
        hash.update("\0");
    }
    hash.update(readFileSync(paths.dockerfile));
    hash.update(JSON.stringify({ args: build.args ?? {}, target: build.target ?? null, platform: build.platform ?? null }));
    return `src-${hash.digest("hex").slice(0, 16)}`;
}

/** `linux/arm64/v8` -> `linux-arm64-v8`, for a tag. */
export function platformTag(platform: string): string {
    return platform.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/** A repository name Docker accepts, from a function name: lowercase, separators only inside. */
export function repositoryName(service: string): string {
    return (
        service
            .toLowerCase()
            .replace(/[^a-z0-9._-]+/g, "-")
            .replace(/^[._-]+|[._-]+$/g, "") || "function"
    );
}

/**
 * Builds the function's image on the docker provider's host and pushes it into our registry with the
 * registry's credentials (a secret). `repoDigest` (`server/namespace/name@sha256:...`) is what the
 * function deploys: a content change rolls the function, an unchanged build changes nothing.
 */
export function buildFunctionImage(
    name: string,
    build: Omit<FunctionBuild, "args"> & { args?: pulumi.Input<Record<string, string>> },
    imageName: string,
    registry: pulumi.Input<{ server: string; username: string; password: string }>,
    opts: pulumi.CustomResourceOptions,
    /** The Docker host's platform (DockerPlatform), for a build that names none. */
    hostPlatform?: pulumi.Output<string>,
): docker.Image {
    const { context, dockerfile } = buildPaths(build);
    // The platform is always declared (unset, the provider would build for the machine running pulumi), and one
    // that comes from the host goes into the tag, so images built for two platforms never share a tag.
    const platform = build.platform ?? hostPlatform;
    const tagged = build.platform !== undefined || hostPlatform === undefined ? imageName : hostPlatform.apply((p) => `${imageName}-${platformTag(p)}`);
    return new docker.Image(
        name,
        {
            imageName: tagged,
            build: {
                context: relative(process.cwd(), context) || ".",
                dockerfile: relative(process.cwd(), dockerfile),
                args: build.args,
                target: build.target,
                platform,
            },
            registry,
            skipPush: false,
        },
        opts,
    );
}
