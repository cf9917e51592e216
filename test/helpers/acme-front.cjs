// Stands in, inside a test lab, for Let's Encrypt's production directory URL, which Debian's registry
// binary has built in (it has no `directoryurl` setting): serves GET /directory with the directory of the
// ACME server at argv[4] (pebble, whose own URLs the client then uses directly). HTTPS on argv[2]:443 with
// the certificate and key files argv[3].{pem,key}.
const https = require("node:https");
const fs = require("node:fs");

const [address, certBase, upstream] = process.argv.slice(2);
const server = https.createServer({ cert: fs.readFileSync(`${certBase}.pem`), key: fs.readFileSync(`${certBase}.key`) }, async (req, res) => {
    if (req.url !== "/directory") {
        res.writeHead(404).end();
        return;
    }
    try {
        const reply = await fetch(upstream);
        res.writeHead(reply.status, { "content-type": "application/json" }).end(await reply.text());
    } catch (error) {
        res.writeHead(502).end(String(error));
    }
});
server.listen(443, address, () => process.stdout.write("ready\n"));
