// The machine's limit for the registry's data path: the same bytes over TLS to a server that does nothing
// else (no auth, no hashing, no storage). PUT anything: the body is read and dropped, 201. GET anything: FILE
// from disk, as the registry serves a blob. Run inside the bench's lab, beside the registry.
// Usage: node tls-copy.mjs PORT CERT_FILE KEY_FILE FILE; prints "listening on PORT" when ready.
import { createReadStream, readFileSync, statSync } from "node:fs";
import { createServer } from "node:https";

const [port, certFile, keyFile, file] = process.argv.slice(2);
createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    if (req.method === "PUT") {
        req.on("data", () => {});
        req.on("end", () => {
            res.writeHead(201, { "content-length": "0" });
            res.end();
        });
        return;
    }
    // Stat per request: the bench writes a new blob (same size) every round.
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(statSync(file).size) });
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
}).listen(Number(port), "0.0.0.0", () => process.stdout.write(`listening on ${port}\n`));
