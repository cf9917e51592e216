import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Each file gets its own process: Pulumi's runtime state (mocks, config) is per process.
        pool: "forks",
        testTimeout: 60_000,
        // In CI, also a JSON report: .ci/run prints the plain "N passed, N failed" summary from it.
        reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
        hookTimeout: 60_000,
    },
});
