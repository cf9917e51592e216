// Loads a dynamic provider from its serialized text exactly as Pulumi's dynamic-provider host does
// (`requireFromString(text).handler()`), in a process of its own, and runs the calls it is given on
// stdin ({ providerText, calls: [{ method, args }] }). Prints one JSON result per call.
const requireFromString = require("require-from-string");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => {
    input += c;
});
process.stdin.on("end", async () => {
    const { providerText, calls } = JSON.parse(input);
    const provider = requireFromString(providerText).handler();
    for (const call of calls) {
        try {
            const result = await provider[call.method](...call.args);
            process.stdout.write(`${JSON.stringify({ method: call.method, ok: true, result: result ?? null })}\n`);
        } catch (error) {
            process.stdout.write(`${JSON.stringify({ method: call.method, ok: false, error: String(error && error.message) })}\n`);
        }
    }
});
