import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { deriveSalt, renderHtpasswd } from "../components/registry/htpasswd";

const KEY = "stack-http-secret-0123456789";
const USERS = [
    { username: "ci", password: "generated-password-aaaaaaaaaaaaaaa" },
    { username: "alice", password: "alice-chose-a:long-one" },
    { username: "bob", password: "bob-chose-another-one" },
];

describe("htpasswd", () => {
    it("is byte-identical for the same users, key and cost", () => {
        expect(renderHtpasswd(KEY, USERS, 4)).toBe(
            renderHtpasswd(
                KEY,
                USERS.map((u) => ({ ...u })),
                4,
            ),
        );
    });

    it("changes exactly the line of the user whose password changed", () => {
        const before = renderHtpasswd(KEY, USERS, 4).split("\n");
        const after = renderHtpasswd(
            KEY,
            USERS.map((u) => (u.username === "alice" ? { ...u, password: "alice-rotated-her-password" } : u)),
            4,
        ).split("\n");
        expect(after.filter((line, i) => line !== before[i])).toEqual([after[1]]);
        expect(after[1].startsWith("alice:$2b$04$")).toBe(true);
    });

    it("writes bcrypt entries the registry's bcrypt accepts, one user per line, newline-terminated", () => {
        const text = renderHtpasswd(KEY, USERS, 5);
        expect(text.endsWith("\n")).toBe(true);
        const lines = text.trimEnd().split("\n");
        expect(lines).toHaveLength(3);
        lines.forEach((line, i) => {
            const colon = line.indexOf(":");
            expect(line.slice(0, colon)).toBe(USERS[i].username);
            expect(bcrypt.compareSync(USERS[i].password, line.slice(colon + 1))).toBe(true);
            expect(bcrypt.getRounds(line.slice(colon + 1))).toBe(5);
        });
    });

    it("derives different salts for different users, passwords and keys, and none without the key", () => {
        const salts = new Set([
            deriveSalt(KEY, USERS[0], 4),
            deriveSalt(KEY, { ...USERS[0], password: `${USERS[0].password}x` }, 4),
            deriveSalt(KEY, { ...USERS[0], username: "cj" }, 4),
            deriveSalt(`${KEY}x`, USERS[0], 4),
        ]);
        expect(salts.size).toBe(4);
        for (const salt of salts) expect(salt).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{22}$/);
    });
});
