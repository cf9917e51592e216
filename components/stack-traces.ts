/**
 * Runs `declare` (resource declarations, synchronous) without the stack trace the Pulumi SDK captures for every
 * promise it makes while a resource is declared (@pulumi/pulumi runtime/debuggable.js: `new Error().stack`, about 60
 * per function, each kept only to be printed if the program exits with that promise still pending).
 *
 * Under `pulumi up` the program runs with source maps (the language host registers source-map-support), so each of
 * those traces maps its frames through the sources' maps when it is captured: two thirds of the time the stack spends
 * per function (`BENCH_ONLY=eval`, docs/performance.md). With `Error.stackTraceLimit` at 0 they cost nothing. It is
 * restored before `declare` returns or throws, and an error thrown inside gets its stack from here, so a mistake
 * still shows where it was made. A promise-leak report names the promise's context either way (`_debugCtx`).
 */
export function withoutPromiseStackTraces<T>(declare: () => T): T {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return declare();
    } catch (error) {
        Error.stackTraceLimit = limit;
        // Made inside the window, it has no frames: give it the caller's.
        if (error instanceof Error && !String(error.stack).includes("\n    at ")) Error.captureStackTrace(error, withoutPromiseStackTraces);
        throw error;
    } finally {
        Error.stackTraceLimit = limit;
    }
}
