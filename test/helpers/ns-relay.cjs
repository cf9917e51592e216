// Runs inside a test namespace (started there with `nsenter -n`): listens on a unix socket that the test
// process can reach, and connects each client to the address named in the client's first line
// ("HOST:PORT\n") inside the namespace. With it the test process reaches servers in a private network
// namespace, which is what keeps them from colliding with anything on the host.
const net = require("node:net");

const [socketPath] = process.argv.slice(2);
const server = net.createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
        head = Buffer.concat([head, chunk]);
        const nl = head.indexOf(10);
        if (nl < 0) return;
        client.off("data", onData);
        client.pause();
        const target = head.subarray(0, nl).toString();
        const rest = head.subarray(nl + 1);
        const colon = target.lastIndexOf(":");
        const upstream = net.connect({ host: target.slice(0, colon), port: Number(target.slice(colon + 1)) }, () => {
            if (rest.length > 0) upstream.write(rest);
            client.pipe(upstream);
            upstream.pipe(client);
            client.resume();
        });
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
    };
    client.on("data", onData);
});
server.listen(socketPath, () => process.stdout.write("ready\n"));
