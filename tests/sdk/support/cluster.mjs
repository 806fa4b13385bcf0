// A hubcast cluster for one test, as examples/cluster/run.sh starts one: Debian's redis-server on
// a unix socket, three hubcast nodes on it (--redis, --node-id) and Debian's nginx in front of them,
// round robin, configured from examples/cluster/nginx.conf.in. Everything lives in a fresh
// temporary folder and on ports the kernel picks, and is stopped and removed when the test ends.
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

/** redis-server and nginx processes still running, killed if the test process ends early. */
const running = new Set();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts redis-server, `nodes` hubcast nodes and nginx, and resolves once nginx listens. The test
 * context `t` stops everything when the test ends: nginx, then the nodes, then Redis. `nodeArgs`
 * are given to every node (e.g. `--config` with the hubs' event handlers).
 */
export async function startCluster(t, { nodes = 3, accessKeys = [randomAccessKey()], nodeArgs = [] } = {}) {
    const cluster = new Cluster(mkdtempSync(join(tmpdir(), "hubcast-cluster-")), accessKeys, nodeArgs);
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
    constructor(folder, accessKeys, nodeArgs) {
        this.folder = folder;
        this.accessKeys = accessKeys;
        this.nodeArgs = nodeArgs;
        this.redisSocket = join(folder, "redis.sock");
        /** support/server.mjs Server objects, each with its `name` and `nodeKey`. */
        this.nodes = [];
        this.port = undefined;
        this.redis = undefined;
        this.nginx = undefined;
    }

    async start(nodeCount) {
        this.redis = spawnTracked(
            "redis-server",
            ["--port", "0", "--unixsocket", this.redisSocket, "--unixsocketperm", "700", "--dir", this.folder,
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", join(this.folder, "redis.log")],
            "redis-server (scripts/install-deps.sh installs it)",
        );
        const redisOutcome = await waitFor(async () => (this.redis.status ? "exited" : (await this.redisCommand("PING")) === "PONG"), {
            timeoutMs: START_TIMEOUT_MS,
            what: `redis-server to answer on ${this.redisSocket}`,
        });
        if (redisOutcome === "exited") {
            const { error, code, signal, stderr } = this.redis.status;
            throw error ?? new Error(`redis-server exited (code ${code}, signal ${signal}): ${stderr}`);
        }

        const names = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
        const started = await Promise.allSettled(
            names.map((name) =>
                startProcess(undefined, {
                    accessKeys: this.accessKeys,
                    args: ["--redis", `unix://${this.redisSocket}`, "--node-id", name, "--trusted-proxy", "127.0.0.1", ...this.nodeArgs],
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
        if (this.redis) results.push(...(await Promise.allSettled([this.redis.terminate()])));
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

    /** One command to this cluster's Redis; resolves with its reply (arrays as arrays). */
    async redisCommand(...args) {
        return withDeadline(redisCommand(this.redisSocket, args), STOP_TIMEOUT_MS, `Redis to answer ${args[0]}`);
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

/** A child process with `exited` (resolves with {code, signal}) and a bounded `terminate()`. */
export function spawnTracked(program, args, what) {
    const child = spawn(program, args, { stdio: ["ignore", "ignore", "pipe"] });
    running.add(child);
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
        stderr += chunk;
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

/** Sends one command over RESP and parses the one reply. */
function redisCommand(socketPath, args) {
    return new Promise((resolve, reject) => {
        const socket = createConnection(socketPath);
        let buffer = Buffer.alloc(0);
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
