// The platform itself, for the bench's side-by-side figures: plain HTTP to the gateway, as a user with
// curl would do, then GET /system/function/NAME every 50 ms until the function has an available replica
// running IMAGE. Runs inside the test lab (next to the gateway, like the provider it is compared with).
// Input on stdin: {url, authorization, method, image, services, body}; prints {"ms": N, "startedAt": EPOCH_MS}.
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { url, authorization, method, image, services, body } = JSON.parse(input);
const startedAt = Date.now();
const started = performance.now();
await Promise.all(
    services.map(async (service) => {
        const r = await fetch(`${url}/system/functions`, { method, headers: { authorization }, body: JSON.stringify({ ...body, service, image }) });
        if (r.status !== 202 && r.status !== 200) throw new Error(`${method} ${service} answered ${r.status}: ${await r.text()}`);
        for (;;) {
            const fn = await (await fetch(`${url}/system/function/${service}`, { headers: { authorization } })).json();
            if (fn.availableReplicas >= 1 && fn.image.startsWith(image)) return;
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
    }),
);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, startedAt })}\n`);
