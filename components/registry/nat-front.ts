// `swarm.front: "nat"`: the kernel, not a proxy, stands between the published port and the replicas. The
// replicas terminate TLS themselves (the given certificate), so a layer's bytes cross the front's network
// namespace as forwarded packets: no process reads or writes them. Measured (docs/performance.md, "The NAT front
// in the stack"): the whole machine spends about what it spends for a registry container per byte pulled (2.7 s
// per GB, against 2.6; Caddy's front 3.3), and a pull runs 17 % slower than from a registry container (Caddy's 28 %).

/** Seconds between two lookups of the replicas' addresses (`tasks.SERVICE` in Docker's embedded DNS). */
export const NAT_REFRESH_SECONDS = 1;

/**
 * Seconds a replica goes on accepting connections after Swarm tells it to stop. Swarm takes a stopping task out
 * of `tasks.SERVICE` first (and waits 2 s for gossip); the front then drops it within NAT_REFRESH_SECONDS plus
 * a lookup. A kernel NAT cannot retry a refused connection on another replica (Caddy does), so the replica
 * must outlive the front's last rule that names it: then a rolling update loses no pull.
 */
export const REPLICA_STOP_PAUSE_SECONDS = 3;

/** The nat table's chain the front's balancing rules live in; the built-in chains jump to it. */
const CHAIN = "FAASREG_FRONT";

/**
 * The front task's command: a shell as PID 1 that
 * - sends new TCP connections to the task's port 443 on to a replica (DNAT, round robin: rule i of n takes
 *   every (n-i)th connection that reaches it, so each replica gets one in n), and rewrites their source to the
 *   front's address on the overlay (MASQUERADE) so the replies come back through it;
 * - looks up `tasks.SERVICE` every NAT_REFRESH_SECONDS and, when the healthy replicas change, replaces the rules
 *   in one `iptables-restore` (a connection already open keeps its replica: conntrack holds it);
 * - keeps the last rules when a lookup finds nothing (a DNS hiccup must not cut the registry off; with every
 *   replica gone, connections fail either way), and says so in the task's log.
 * Rules go into chains of their own: Docker's embedded DNS has rules of its own in the same network namespace.
 * The task needs NET_ADMIN and net.ipv4.ip_forward=1, both in its own network namespace only.
 */
export function natFrontCommand(o: { service: string; port: number }): string[] {
    const lookup = [
        `nslookup -type=a tasks.${o.service} 2>/dev/null`,
        // busybox prints the server first, then `Name:` and one `Address[ N]: IP` line per record.
        `awk '/^Name:/ { found = 1; next } found && /^Address/ { sub(/^Address( [0-9]+)?:[ \\t]*/, ""); if ($1 ~ /^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/) print $1 }'`,
        "sort -u",
    ].join(" | ");
    const script = [
        "set -eu",
        `iptables -t nat -N ${CHAIN}`,
        `iptables -t nat -A PREROUTING -p tcp --dport 443 -j ${CHAIN}`,
        "iptables -t nat -A POSTROUTING -p tcp -m conntrack --ctstate DNAT --ctorigdstport 443 -j MASQUERADE",
        "trap 'exit 0' TERM INT",
        "last= warned=",
        "while :; do",
        `    replicas=$(${lookup} || true)`,
        '    if [ -z "$replicas" ]; then',
        `        [ -n "$warned" ] || echo "front: tasks.${o.service} lists no healthy replica; keeping the rules for: $(echo \${last:-none})"`,
        "        warned=1",
        "    else",
        "        warned=",
        '        if [ "$replicas" != "$last" ]; then',
        '            n=$(echo "$replicas" | wc -l)',
        "            i=0",
        `            { echo '*nat'; echo ':${CHAIN} - [0:0]'`,
        "              for ip in $replicas; do",
        "                  left=$((n - i))",
        `                  if [ "$left" -gt 1 ]; then echo "-A ${CHAIN} -p tcp -m statistic --mode nth --every $left --packet 0 -j DNAT --to-destination $ip:${o.port}"`,
        `                  else echo "-A ${CHAIN} -p tcp -j DNAT --to-destination $ip:${o.port}"; fi`,
        "                  i=$((i + 1))",
        "              done",
        "              echo COMMIT; } | iptables-restore --noflush",
        '            echo "front: forwarding to $(echo $replicas)"',
        "            last=$replicas",
        "        fi",
        "    fi",
        `    sleep ${NAT_REFRESH_SECONDS} & wait $!`,
        "done",
    ].join("\n");
    return ["/bin/sh", "-c", script];
}

/**
 * The replica's command with `front: "nat"`: `prelude` (reading secrets into the environment), then the
 * registry as a child, and on SIGTERM a pause of REPLICA_STOP_PAUSE_SECONDS before the registry gets it (and
 * drains its open requests, `http.draintimeout`). The task exits with the registry's status.
 */
export function pausedStopCommand(prelude: string[], serve: string): string[] {
    return [
        "/bin/sh",
        "-c",
        [
            ...prelude,
            `${serve} &`,
            "pid=$!",
            `trap 'sleep ${REPLICA_STOP_PAUSE_SECONDS}; kill -TERM $pid' TERM INT`,
            "set +e",
            "wait $pid",
            "status=$?",
            // A signal interrupts `wait` (status above 128): the registry is still draining, wait for it.
            'while [ "$status" -gt 128 ] && kill -0 $pid 2>/dev/null; do wait $pid; status=$?; done',
            'exit "$status"',
        ].join("\n"),
    ];
}
