// The README and docs/ link to each other's sections: every link to a heading must land on one (a moved or renamed
// section would leave a reader at the top of a long page).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const FILES = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped, spaces as '-'. */
function anchor(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

function anchors(file: string): Set<string> {
    const text = readFileSync(join(ROOT, file), "utf8").replace(/```[\s\S]*?```/g, "");
    return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
}

describe("links between the README and docs/", () => {
    it.each(FILES)("every section link in %s lands on a heading", (file) => {
        const text = readFileSync(join(ROOT, file), "utf8").replace(/```[\s\S]*?```/g, "");
        const broken: string[] = [];
        for (const m of text.matchAll(/\]\(([^)\s]*)#([^)\s]+)\)/g)) {
            const target = m[1] === "" ? file : join(file.includes("/") ? "docs" : "", m[1]).replace(/^docs\/\.\.\//, "");
            if (!FILES.includes(target) || !anchors(target).has(m[2])) broken.push(`${m[1]}#${m[2]}`);
        }
        expect(broken).toEqual([]);
    });

    it("leads a newcomer to their own VM within the first 150 lines", () => {
        const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
        expect(lines.findIndex((l) => l === "## Your own VM")).toBeLessThan(150);
    });
});
