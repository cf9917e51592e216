// What the Pulumi engine sends for a value that is not known yet (during `pulumi preview`, and the preview
// inside `pulumi up`): this string, at any depth of a resource's inputs, in check() and diff().
// It is `unknownValue` in @pulumi/pulumi/runtime/rpc; a test keeps the two equal. Kept here as a constant
// because the provider's function code (provider/function.ts) does not load all of the SDK.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** Whether the value, or anything inside it, is not known yet. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
    return false;
}
