import { createHash } from "node:crypto";

/** Whether `value` is a Kubernetes namespace name (an RFC 1123 label: lower-case letters, digits and '-', at most 63). */
export function isKubernetesNamespace(value: unknown): value is string {
    return typeof value === "string" && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value);
}

/**
 * A DNS label (lower-case letters, digits and '-', at most `max` characters) from `prefix`: the prefix as it is
 * whenever it is one already (so names given before stay), else lower-cased, other characters as '-', cut, and
 * suffixed with 6 hex digits of a SHA-256 of the whole prefix, so two prefixes never share a label.
 */
export function dnsLabel(prefix: string, max: number): string {
    const suffix = createHash("sha256").update(prefix).digest("hex").slice(0, 6);
    const label = prefix
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "");
    return label === prefix && label.length <= max ? label : `${label.slice(0, max - suffix.length - 1).replace(/-+$/, "")}-${suffix}`;
}
