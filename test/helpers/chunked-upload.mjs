// A blob upload in CHUNKS, every request on a new connection, as `docker push` does across a load balancer:
// POST (start), N x PATCH, PUT ?digest=, then HEAD. Prints one JSON line: the upload's id, each status, and
// whether the blob is there. Usage: node chunked-upload.mjs BASE USER REPO BYTES CHUNKS (password on stdin).
import { createHash, randomBytes } from "node:crypto";
import https from "node:https";

const [base, user, repo, bytes, chunks] = process.argv.slice(2);
const password = await new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text.trim()));
});
const auth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
// A connection cut off mid-request is a failed step ({ status: "ECONNRESET", ... }), not a crash.
const send = (method, url, body, headers = {}) =>
    new Promise((resolve) => {
        const target = new URL(url, base);
        // agent: false: a new TCP (and TLS) connection per request, so the front may pick another replica.
        const req = https.request(target, { method, agent: false, headers: { authorization: auth, ...headers } }, (res) => {
            let text = "";
            res.on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode, location: res.headers.location, body: text }));
        });
        req.on("error", (e) => resolve({ status: e.code ?? "error", location: undefined, body: String(e.message) }));
        req.end(body);
    });
const blob = randomBytes(Number(bytes));
const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
const steps = [];
let r = await send("POST", `/v2/${repo}/blobs/uploads/`);
steps.push(r.status);
const uuid = /uploads\/([^?]+)/.exec(r.location ?? "")?.[1];
let location = r.location;
const size = Math.ceil(blob.length / Number(chunks));
let ok = r.status === 202;
for (let offset = 0; ok && offset < blob.length; offset += size) {
    const part = blob.subarray(offset, offset + size);
    r = await send("PATCH", location, part, {
        "content-type": "application/octet-stream",
        "content-range": `${offset}-${offset + part.length - 1}`,
        "content-length": part.length,
    });
    steps.push(r.status);
    ok = r.status === 202;
    if (!ok) steps.push(r.body.slice(0, 200));
    location = r.location ?? location;
}
if (ok) {
    r = await send("PUT", `${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`);
    steps.push(r.status);
    ok = r.status === 201;
    if (!ok) steps.push(r.body.slice(0, 200));
}
const head = ok ? (await send("HEAD", `/v2/${repo}/blobs/${digest}`)).status : 0;
process.stdout.write(`${JSON.stringify({ uuid, steps, stored: head === 200 })}\n`);
