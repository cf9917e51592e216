import * as pulumi from "@pulumi/pulumi";

/**
 * What a provider computes (a generated password, the Swarm manager's node id, an image's digest or platform),
 * unknown rather than undefined where the provider did not report it. The real engine always reports these; Pulumi's
 * standard unit-test mocks (its testing guide: `newResource` returns the inputs as the state) report nothing
 * computed, and a stack that derived an HMAC or a tag from `undefined` would throw in its users' own tests. Unknown,
 * everything derived from it is skipped, as in a first preview.
 */
export function computed<T>(value: pulumi.Output<T>): pulumi.Output<T> {
    const unknown = pulumi.output(pulumi.unknown) as unknown as pulumi.Output<T>;
    return value.apply((v): pulumi.Input<T> => (v === undefined ? unknown : v)) as pulumi.Output<T>;
}
