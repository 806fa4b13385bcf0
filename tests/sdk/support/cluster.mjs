// A hubcast cluster for one test, as examples/cluster/run.sh starts one: Debian's redis-server on
// a unix socket, three hubcast nodes on it (--redis, --node-id) and Debian's nginx in front of them,
// round robin, configured from examples/cluster/nginx.conf.in. Everything lives in a fresh
// temporary folder and on ports the kernel picks, and is stopped and removed when the test ends.
//
// With HUBCAST_SDK_REDIS=cluster (`make sdk-test-redis-cluster`) the Redis is a Redis Cluster of
// three masters instead (docs/scale-out.md, "Redis Cluster"): three redis-server processes on
// loopback ports, joined by `redis-cli --cluster create`, and the nodes get a redis+cluster:// URL
// naming all three.
//
// The contract these helpers code against (docs/scale-out.md): a node started with --redis prints
// `hubcast node NAME (node key KEY) in the cluster on URL` besides the two lines of a single node
// (support/server.mjs); the first 8 characters of a connection id are the owning node's key.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { randomAccessKey, ServerAddress, startProcess, waitFor, withDeadline } from "./server.mjs";

const START_TIMEOUT_MS = 15_000; // two shared cores, possibly busy compiling
const STOP_TIMEOUT_MS = 5_000;
// Debian puts nginx in /usr/sbin, which is not on a normal user's PATH.
export const NGINX = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
const NGINX_CONFIG_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), "../../../examples/cluster/nginx.conf.in");
/** How many masters the Redis Cluster of HUBCAST_SDK_REDIS=cluster has. */
const REDIS_CLUSTER_MASTERS = 3;

/** HUBCAST_SDK_REDIS: "single" (unset, the default: one redis-server on a unix socket) or "cluster". */
export function redisMode() {
    const mode = process.env.HUBCAST_SDK_REDIS || "single";
    if (mode !== "single" && mode !== "cluster") {
        throw new Error(`HUBCAST_SDK_REDIS=${mode}: expected "cluster", or nothing (one Redis)`);
    }
    return mode;
}

/** redis-server and nginx processes still running, killed if the test process ends early. */
const running = new Set();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts redis-server (or, with HUBCAST_SDK_REDIS=cluster, a Redis Cluster of three), `nodes`
 * hubcast nodes and nginx, and resolves once nginx listens. The test context `t` stops everything
 * when the test ends: nginx, then the nodes, then Redis. `nodeArgs` are given to every node (e.g.
 * `--config` with the hubs' event handlers).
 */
export async function startCluster(t, { nodes = 3, accessKeys = [randomAccessKey()], nodeArgs = [] } = {}) {
    const mode = redisMode();
    const cluster = new Cluster(mkdtempSync(join(tmpdir(), "hubcast-cluster-")), accessKeys, nodeArgs, mode);
    t.after(() => cluster.stop());
    try {
        await cluster.start(nodes);
    } catch (err) {
        await cluster.stop();
        throw err;
    }
    return cluster;
}

class Cluster {
    constructor(folder, accessKeys, nodeArgs, redisMode) {
        this.folder = folder;
        this.accessKeys = accessKeys;
        this.nodeArgs = nodeArgs;
        /** "single" or "cluster" (HUBCAST_SDK_REDIS). */
        this.redisMode = redisMode;
        /**
         * The redis-server processes, one or REDIS_CLUSTER_MASTERS: each `{process, address, log}`,
         * `address` being what redisCommand takes (a socket path, or {host, port}).
         */
        this.redisServers = [];
        /** What every node gets as --redis. */
        this.redisUrl = undefined;
        /** support/server.mjs Server objects, each with its `name` and `nodeKey`. */
        this.nodes = [];
        this.port = undefined;
        this.nginx = undefined;
    }

    async start(nodeCount) {
        if (this.redisMode === "cluster") {
            await this.startRedisCluster();
        } else {
            const socket = join(this.folder, "redis.sock");
            this.redisServers.push(
                await startRedisServer(
                    () => ({
                        address: socket,
                        args: ["--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", this.folder],
                    }),
                    join(this.folder, "redis.log"),
                ),
            );
            this.redisUrl = `unix://${socket}`;
        }

        const names = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
        const started = await Promise.allSettled(
            names.map((name) =>
                startProcess(undefined, {
                    accessKeys: this.accessKeys,
                    args: ["--redis", this.redisUrl, "--node-id", name, "--trusted-proxy", "127.0.0.1", ...this.nodeArgs],
                }),
            ),
        );
        this.nodes = started.filter((r) => r.status === "fulfilled").map((r) => r.value);
        const failed = started.find((r) => r.status === "rejected");
        if (failed) throw failed.reason;
        for (const [i, node] of this.nodes.entries()) {
            node.name = names[i];
            const line = await waitFor(() => node.stdout.find((l) => l.startsWith(`hubcast node ${node.name} (node key `)), {
                timeoutMs: START_TIMEOUT_MS,
                what: `node ${node.name} to print its node key (stdout: ${node.stdout.join(" | ")})`,
            });
            node.nodeKey = /\(node key ([A-Za-z0-9_-]{8})\)/.exec(line)[1];
        }
        await this.startNginx();
    }

    /**
     * Three redis-server processes in cluster mode on loopback ports, each in its own folder, made
     * one cluster of three masters (no replicas) by `redis-cli --cluster create`; resolves once
     * every one of them reports `cluster_state:ok`, with `redisUrl` the redis+cluster:// URL.
     */
    async startRedisCluster() {
        const taken = new Set();
        /** A free port not yet handed to this cluster (the kernel may hand out one twice). */
        const port = async () => {
            for (;;) {
                const candidate = await freePort();
                if (!taken.has(candidate)) {
                    taken.add(candidate);
                    return candidate;
                }
            }
        };
        for (let n = 1; n <= REDIS_CLUSTER_MASTERS; n++) {
            const dir = join(this.folder, String(n));
            const config = join(this.folder, `nodes-${n}.conf`);
            mkdirSync(dir);
            this.redisServers.push(
                await startRedisServer(async () => {
                    const [clientPort, busPort] = [await port(), await port()];
                    rmSync(config, { force: true }); // written by an attempt that found a port taken
                    return {
                        address: { host: "127.0.0.1", port: clientPort },
                        args: ["--cluster-enabled", "yes", "--cluster-config-file", config,
                            "--cluster-node-timeout", "2000", "--port", String(clientPort), "--cluster-port", String(busPort),
                            "--bind", "127.0.0.1", "--protected-mode", "no", "--dir", dir],
                    };
                }, join(dir, "redis.log")),
            );
        }
        const seeds = this.redisServers.map(({ address }) => `${address.host}:${address.port}`);

        const create = spawnTracked("redis-cli", ["--cluster", "create", ...seeds, "--cluster-replicas", "0", "--cluster-yes"], "redis-cli", {
            env: { ...process.env, TERM: "dumb" },
        });
        let created;
        try {
            created = await withDeadline(create.exited, START_TIMEOUT_MS, `redis-cli --cluster create ${seeds.join(" ")}`);
        } catch (err) {
            create.child.kill("SIGKILL");
            throw new Error(`${err.message}\n--- redis-cli ---\n${create.output()}${this.redisLogs()}`);
        }
        if (created.error || created.code !== 0) {
            const how = created.error ? created.error.message : `exited (code ${created.code}, signal ${created.signal})`;
            throw new Error(`redis-cli --cluster create ${how}:\n${create.output()}${this.redisLogs()}`);
        }

        try {
            await waitFor(
                async () => {
                    for (const server of this.redisServers) {
                        const info = await redisCommand(server.address, ["CLUSTER", "INFO"]);
                        if (!/^cluster_state:ok\r?$/m.test(info)) return false;
                    }
                    return true;
                },
                { timeoutMs: START_TIMEOUT_MS, intervalMs: 50, what: `every Redis Cluster node (${seeds.join(", ")}) to report cluster_state:ok` },
            );
        } catch (err) {
            throw new Error(`${err.message}\n--- redis-cli ---\n${create.output()}${this.redisLogs()}`);
        }
        this.redisUrl = `redis+cluster://${seeds.join(",")}`;
    }

    /** Every redis-server's log, for an error message. */
    redisLogs() {
        return this.redisServers.map(({ log }) => `\n--- ${log} ---\n${readLog(log)}`).join("");
    }

    /** nginx balancing over the nodes. */
    async startNginx() {
        const dir = join(this.folder, "nginx");
        mkdirSync(dir);
        const template = readFileSync(NGINX_CONFIG_TEMPLATE, "utf8");
        const servers = this.nodes.map((node) => `        server 127.0.0.1:${node.port};\n`).join("");
        const configFor = (port) =>
            template.replaceAll("@DIR@", dir).replaceAll("@PORT@", String(port)).replace("@SERVERS@\n", servers);
        ({ nginx: this.nginx, port: this.port } = await launchNginx(dir, configFor));
    }

    /** Stops nginx, then the nodes (each deletes its presence in Redis as it exits), then Redis. */
    async stop() {
        if (this.stopped) return;
        this.stopped = true;
        const results = [];
        if (this.nginx) results.push(...(await Promise.allSettled([this.nginx.terminate()])));
        results.push(...(await Promise.allSettled(this.nodes.map((node) => node.terminate()))));
        for (const node of this.nodes) node.kill();
        results.push(...(await Promise.allSettled(this.redisServers.map((server) => server.process.terminate()))));
        rmSync(this.folder, { recursive: true, force: true });
        const failed = results.find((r) => r.status === "rejected");
        if (failed) throw failed.reason;
    }

    /** The balancer's connection string, in the form `make run` prints. */
    get connectionString() {
        return `Endpoint=http://127.0.0.1;Port=${this.port};AccessKey=${this.accessKeys[0]};Version=1.0;`;
    }

    /**
     * A server SDK client for `hub` through the balancer, over plain HTTP, with no retries: a retry
     * would hide a server error and move the balancer's turn.
     */
    serviceClient(hub) {
        return new WebPubSubServiceClient(this.connectionString, hub, {
            allowInsecureConnection: true,
            retryOptions: { maxRetries: 0 },
        });
    }

    /** `{token, baseUrl, url}` for the balancer (what support/clients.mjs connectSdkClient calls). */
    async clientAccess(hub, options = {}) {
        return this.serviceClient(hub).getClientAccessToken(options);
    }

    /** The node that owns `connectionId` (its first 8 characters are the node key). */
    nodeOf(connectionId) {
        const node = this.nodes.find((n) => n.nodeKey === connectionId.slice(0, 8));
        if (!node) throw new Error(`connection id ${connectionId} names no node of this cluster`);
        return node;
    }

    /**
     * One command to this cluster's Redis (on a Redis Cluster, to its first master, which answers
     * MOVED for a key another master holds); resolves with its reply (arrays as arrays).
     */
    async redisCommand(...args) {
        return redisCommand(this.redisServers[0].address, args);
    }
}

/**
 * A cluster of `nodes` standing in for one server (support/server.mjs startServer with
 * HUBCAST_SDK_NODES): the options of a single server go to every node, and the object answers as
 * a single server does, its address being nginx's.
 */
export async function startClusterAsServer(t, nodes, { accessKeys = [randomAccessKey()], workers, keepaliveSeconds, args = [] } = {}) {
    const nodeArgs = [...args];
    if (workers !== undefined) nodeArgs.push("--workers", String(workers));
    if (keepaliveSeconds !== undefined) nodeArgs.push("--keepalive-seconds", String(keepaliveSeconds));
    return new ClusterAsServer(await startCluster(t, { nodes, accessKeys, nodeArgs }));
}

class ClusterAsServer extends ServerAddress {
    constructor(cluster) {
        super();
        this.cluster = cluster;
        this.accessKeys = cluster.accessKeys;
        this.port = cluster.port;
        this.connectionString = cluster.connectionString;
    }

    get stdout() {
        return this.cluster.nodes.flatMap((node) => node.stdout);
    }

    get stderr() {
        return this.cluster.nodes.map((node) => node.stderr).join("");
    }

    /** What a test does to the server's process, it does to every node's (a SIGHUP reload). */
    get child() {
        return { kill: (signal) => this.cluster.nodes.forEach((node) => node.child.kill(signal)) };
    }

    get processUrls() {
        return this.cluster.nodes.map((node) => node.httpUrl);
    }

    /**
     * SIGTERM to every node, each ending its clients as one server does (disconnected, 1001, through
     * nginx), then the rest of the cluster. The nodes' exit status, when they all agree.
     */
    async terminate() {
        const statuses = await Promise.all(this.cluster.nodes.map((node) => node.terminate()));
        await this.cluster.stop();
        const differing = statuses.find((s) => s.code !== statuses[0].code || s.signal !== statuses[0].signal);
        return differing ? { statuses } : statuses[0];
    }

    kill() {
        this.cluster.stop().catch(() => {});
    }
}

/**
 * Starts one redis-server in the foreground, without persistence, logging to `log`, with the
 * arguments and address `where()` gives (`{args, address}`), and resolves with
 * `{process, address, log}` once it answers PING there. A TCP port another process took
 * meanwhile makes it start again on the ports the next `where()` gives.
 */
async function startRedisServer(where, log) {
    let lastError;
    for (let attempt = 0; attempt < 5; attempt++) {
        const { args, address } = await where();
        const shown = typeof address === "string" ? address : `${address.host}:${address.port}`;
        rmSync(log, { force: true });
        const redis = spawnTracked(
            "redis-server",
            [...args, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", log],
            "redis-server (scripts/install-deps.sh installs it)",
        );
        let outcome;
        try {
            // Each PING bounded: whatever took a TCP port meanwhile may accept and never answer.
            outcome = await waitFor(async () => (redis.status ? "exited" : (await redisCommand(address, ["PING"], 1_000)) === "PONG"), {
                timeoutMs: START_TIMEOUT_MS,
                what: `redis-server to answer on ${shown}`,
            });
        } catch (err) {
            redis.child.kill("SIGKILL");
            throw new Error(`${err.message}\n--- ${log} ---\n${readLog(log)}`);
        }
        if (outcome !== "exited") return { process: redis, address, log };
        const { error, code, signal } = redis.status;
        if (error) throw error;
        lastError = `redis-server on ${shown} exited (code ${code}, signal ${signal}): ${redis.output()}\n--- ${log} ---\n${readLog(log)}`;
        if (!/Address already in use/.test(lastError)) break;
    }
    throw new Error(lastError);
}

function readLog(path) {
    return existsSync(path) ? readFileSync(path, "utf8") : "(no log)";
}

/**
 * A child process with `exited` (resolves with {code, signal, stderr}), `output()` (its stdout
 * and stderr so far) and a bounded `terminate()`. `options.env` replaces the environment.
 */
export function spawnTracked(program, args, what, { env } = {}) {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"], env });
    running.add(child);
    let stderr = "";
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
        output += chunk;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
        stderr += chunk;
        output += chunk;
    });
    const exited = new Promise((resolve) => {
        child.once("error", (err) => {
            running.delete(child);
            resolve({ error: new Error(`cannot start ${what}: ${err.message}`) });
        });
        child.once("exit", (code, signal) => {
            running.delete(child);
            resolve({ code, signal, stderr });
        });
    });
    const tracked = {
        child,
        exited,
        /** {code, signal} once the process has exited. */
        status: undefined,
        output: () => output,
        async terminate() {
            if (tracked.status) return tracked.status;
            child.kill("SIGTERM");
            try {
                return await withDeadline(exited, STOP_TIMEOUT_MS, `${program} to exit after SIGTERM`);
            } catch (err) {
                child.kill("SIGKILL");
                throw err;
            }
        },
    };
    exited.then((s) => {
        tracked.status = s;
    });
    return tracked;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
/**
 * Starts Debian's nginx in the foreground from `dir`, with the configuration `configFor(port)`
 * for a loopback port the kernel just handed out. Another process may take that port first, so a
 * failed bind is retried on another. Resolves with `{nginx, port}` once nginx listens.
 */
export async function launchNginx(dir, configFor) {
    let lastError;
    for (let attempt = 0; attempt < 5; attempt++) {
        const port = await freePort();
        writeFileSync(join(dir, "nginx.conf"), configFor(port));
        const errorLog = join(dir, "error.log");
        // -e: nginx opens its built-in error log (/var/log/nginx) before it reads the configuration.
        const nginx = spawnTracked(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", errorLog], "nginx (scripts/install-deps.sh installs it)");
        // nginx writes its pid file once its listening socket is bound, and exits if the bind fails.
        const outcome = await waitFor(() => (nginx.status ? "exited" : existsSync(join(dir, "nginx.pid")) && "listening"), {
            timeoutMs: START_TIMEOUT_MS,
            what: "nginx to listen or exit",
        });
        if (outcome === "listening") return { nginx, port };
        lastError = existsSync(errorLog) ? readFileSync(errorLog, "utf8") : "(no error log)";
        if (!/Address already in use/.test(lastError)) break;
    }
    throw new Error(`nginx did not start:\n${lastError}`);
}

export async function freePort() {
    const server = createServer();
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return port;
}

/**
 * Sends one command over RESP to `address`, a unix socket's path or `{host, port}`, and parses
 * the one reply; fails (and closes the connection) if nothing comes for `timeoutMs`.
 */
function redisCommand(address, args, timeoutMs = STOP_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
        const socket = createConnection(typeof address === "string" ? { path: address } : address);
        let buffer = Buffer.alloc(0);
        socket.setTimeout(timeoutMs, () => {
            socket.destroy();
            reject(new Error(`timed out after ${timeoutMs} ms waiting for Redis to answer ${args[0]}`));
        });
        socket.on("error", reject);
        socket.once("connect", () => {
            const parts = [`*${args.length}\r\n`];
            for (const arg of args) parts.push(`$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`);
            socket.write(parts.join(""));
        });
        socket.on("data", (chunk) => {
            buffer = Buffer.concat([buffer, chunk]);
            let parsed;
            try {
                parsed = parseReply(buffer, 0);
            } catch (err) {
                socket.destroy();
                reject(err);
                return;
            }
            if (parsed) {
                socket.end();
                resolve(parsed.value);
            }
        });
        socket.once("close", () => reject(new Error(`Redis closed the connection before answering ${args[0]}`)));
    });
}

/** Parses one RESP2 reply at `offset`; undefined while it is incomplete. Errors throw. */
function parseReply(buffer, offset) {
    const lineEnd = buffer.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const type = String.fromCharCode(buffer[offset]);
    const line = buffer.toString("utf8", offset + 1, lineEnd);
    const next = lineEnd + 2;
    switch (type) {
        case "+":
            return { value: line, end: next };
        case "-":
            throw new Error(`Redis: ${line}`);
        case ":":
            return { value: Number(line), end: next };
        case "$": {
            const length = Number(line);
            if (length < 0) return { value: null, end: next };
            if (buffer.length < next + length + 2) return undefined;
            return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
        }
        case "*": {
            const count = Number(line);
            const values = [];
            let at = next;
            for (let i = 0; i < count; i++) {
                const element = parseReply(buffer, at);
                if (!element) return undefined;
                values.push(element.value);
                at = element.end;
            }
            return { value: values, end: at };
        }
        default:
            throw new Error(`Redis: unexpected reply type ${JSON.stringify(type)}`);
    }
}
