import { createHmac } from "node:crypto";
import bcrypt from "bcryptjs";

/** One htpasswd user: plain values, only ever handled inside `apply` over secret outputs. */
export interface HtpasswdUser {
    username: string;
    password: string;
}

/**
 * The bcrypt salt for one user, derived from the user's credentials with HMAC-SHA256 keyed by a stack
 * secret. bcryptjs's own `hashSync(pw, cost)` draws a random salt, which would rewrite the htpasswd file
 * (and replace the registry container) on every `pulumi up`. A keyed hash keeps the file byte-identical
 * for the same config, changes exactly one line when one password changes, and without the key the salt
 * tells an attacker nothing.
 */
export function deriveSalt(key: string, user: HtpasswdUser, cost: number): string {
    const digest = createHmac("sha256", key).update(`${user.username}\u0000${user.password}`).digest();
    const rounds = String(cost).padStart(2, "0");
    return `$2b$${rounds}$${bcrypt.encodeBase64(digest.subarray(0, 16), 16)}`;
}

/** `username:bcrypt-hash`, one line of the registry's htpasswd file. */
export function htpasswdLine(key: string, user: HtpasswdUser, cost: number): string {
    return `${user.username}:${bcrypt.hashSync(user.password, deriveSalt(key, user, cost))}`;
}

/**
 * The whole htpasswd file. The inputs must already be validated (see `validateUsername` and
 * `validatePassword`): one malformed line makes the registry answer 400 to every authenticated request.
 */
export function renderHtpasswd(key: string, users: readonly HtpasswdUser[], cost: number): string {
    return `${users.map((u) => htpasswdLine(key, u, cost)).join("\n")}\n`;
}
