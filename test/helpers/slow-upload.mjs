// A push that is still in flight when the registry is replaced: uploads BYTES random bytes as one blob (POST to
// start, then one PUT with the digest), sending at most RATE bytes per second, with basic auth (the password on
// stdin), trusting the CA file in NODE_EXTRA_CA_CERTS. Prints {"status", "digest", "error"}: 201 means the
// registry stored it.
// usage: node slow-upload.mjs BASE_URL REPOSITORY USER RATE BYTES
import { createHash, randomBytes } from "node:crypto";
import https from "node:https";

const [base, repository, user, rate, size] = process.argv.slice(2);
const password = await new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text.trim()));
});
const auth = `${user}:${password}`;
const data = randomBytes(Number(size));
const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;

function call(method, url, body) {
    return new Promise((resolve) => {
        const req = https.request(
            url,
            { method, auth, headers: body === undefined ? {} : { "content-type": "application/octet-stream", "content-length": body.length } },
            (res) => {
                res.resume();
                res.on("end", () => resolve({ status: res.statusCode, location: res.headers.location }));
            },
        );
        req.on("error", (e) => resolve({ error: e.message }));
        if (body === undefined) {
            req.end();
            return;
        }
        // Send in 64 kB pieces, no faster than RATE.
        const started = Date.now();
        let sent = 0;
        const next = () => {
            if (sent >= body.length) {
                req.end();
                return;
            }
            const piece = body.subarray(sent, sent + 65536);
            sent += piece.length;
            req.write(piece);
            setTimeout(next, Math.max(0, started + (sent / Number(rate)) * 1000 - Date.now()));
        };
        next();
    });
}

const start = await call("POST", `${base}/v2/${repository}/blobs/uploads/`);
if (start.status !== 202) {
    process.stdout.write(JSON.stringify({ ...start, step: "start" }));
} else {
    const location = new URL(start.location, base);
    location.searchParams.set("digest", digest);
    const put = await call("PUT", location.href, data);
    process.stdout.write(JSON.stringify({ status: put.status, error: put.error, digest }));
}
