import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Each file gets its own process: Pulumi's runtime state (mocks, config) is per process.
        pool: "forks",
        testTimeout: 60_000,
        hookTimeout: 60_000,
    },
});
