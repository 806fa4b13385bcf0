// Starts the real hubcast binary on an ephemeral loopback port for one test, and the deadline
// helpers every test waits with (style rule 16: every wait has a deadline, no fixed sleeps).
//
// The binary contract these helpers code against:
//   hubcast --listen 127.0.0.1:0 --access-key KEY [--access-key KEY2] [--workers N]
//           [--keepalive-seconds N]
// prints `hubcast listening on http://127.0.0.1:PORT` and the connection string
// `Endpoint=http://127.0.0.1;Port=PORT;AccessKey=KEY;Version=1.0;` on stdout; on SIGTERM it
// disconnects every client (system/disconnected + close 1001) and exits 0 within 5 s.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { after } from "node:test";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const START_TIMEOUT_MS = 15_000; // two shared cores, possibly busy compiling
const STOP_TIMEOUT_MS = 5_000; // the binary contract: exit within 5 s of SIGTERM

/** Servers still running, killed if the test process ends early. */
const running = new Set();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

export function binaryPath() {
    const path = process.env.HUBCAST_BINARY;
    if (!path) {
        throw new Error("HUBCAST_BINARY is not set: run `make sdk-test`, or set it to the absolute path of build/hubcast");
    }
    if (!existsSync(path)) {
        throw new Error(`HUBCAST_BINARY=${path} does not exist: build it first (make build)`);
    }
    return path;
}

export function randomAccessKey() {
    return randomBytes(24).toString("base64url");
}

/**
 * Starts hubcast on 127.0.0.1:0 and resolves once it printed its port and connection string.
 * Pass the test context `t` to stop the server (SIGKILL if still running) when the test ends.
 *
 * With HUBCAST_SDK_NODES=N (N > 1, `make sdk-test-cluster`) the "server" is N nodes over Redis
 * behind nginx round robin instead (support/cluster.mjs), with the same interface: every client
 * and REST call of the test goes through nginx to the next node, so a test written for one node
 * runs again with its callers and recipients spread over the cluster (docs/testing.md).
 */
export async function startServer(t, options = {}) {
    const nodes = Number(process.env.HUBCAST_SDK_NODES ?? "1");
    if (nodes > 1) {
        const { startClusterAsServer } = await import("./cluster.mjs");
        return startClusterAsServer(t, nodes, options);
    }
    return startProcess(t, options);
}

/** startServer() for one process, whatever HUBCAST_SDK_NODES says (a cluster's nodes). */
export async function startProcess(t, { accessKeys = [randomAccessKey()], workers, keepaliveSeconds, args = [] } = {}) {
    const argv = ["--listen", "127.0.0.1:0"];
    for (const key of accessKeys) argv.push("--access-key", key);
    if (workers !== undefined) argv.push("--workers", String(workers));
    if (keepaliveSeconds !== undefined) argv.push("--keepalive-seconds", String(keepaliveSeconds));
    argv.push(...args);

    const child = spawn(binaryPath(), argv, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    const server = new Server(child, accessKeys);
    t?.after(() => server.kill());

    try {
        await withDeadline(server.ready, START_TIMEOUT_MS, "hubcast to print its port and connection string");
    } catch (err) {
        server.kill();
        throw new Error(`${err.message}\n--- hubcast stdout ---\n${server.stdout.join("\n")}\n--- hubcast stderr ---\n${server.stderr}`);
    }
    return server;
}

/**
 * What a test reaches a server at, from its `port` and `connectionString`: shared by one process
 * (Server) and a cluster standing in for one (support/cluster.mjs).
 */
export class ServerAddress {
    get httpUrl() {
        return `http://127.0.0.1:${this.port}`;
    }

    get wsUrl() {
        return `ws://127.0.0.1:${this.port}`;
    }

    /** A server SDK client for `hub`, built from the connection string the server printed. */
    serviceClient(hub, connectionString = this.connectionString) {
        return new WebPubSubServiceClient(connectionString, hub);
    }

    /** The connection string for another access key (one of --access-key, or a wrong one). */
    connectionStringWithKey(key) {
        return this.connectionString.replace(/AccessKey=[^;]*/, `AccessKey=${key}`);
    }

    /** `{token, baseUrl, url}` signed locally by @azure/web-pubsub with the access key. */
    async clientAccess(hub, options = {}, connectionString = this.connectionString) {
        return this.serviceClient(hub, connectionString).getClientAccessToken(options);
    }
}

class Server extends ServerAddress {
    constructor(child, accessKeys) {
        super();
        this.child = child;
        this.accessKeys = accessKeys;
        this.stdout = [];
        this.stderr = "";
        this.port = undefined;
        this.connectionString = undefined;
        /** Resolves with {code, signal} when the process has exited. */
        this.exited = new Promise((resolve) => {
            child.once("exit", (code, signal) => {
                running.delete(child);
                this.exitStatus = { code, signal };
                resolve(this.exitStatus);
            });
        });
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk) => {
            this.stderr += chunk;
        });
        this.ready = new Promise((resolve, reject) => {
            child.once("error", reject);
            this.exited.then(({ code, signal }) =>
                reject(new Error(`hubcast exited before it was ready (code ${code}, signal ${signal})`)),
            );
            createInterface({ input: child.stdout }).on("line", (line) => {
                this.stdout.push(line);
                const listening = /^hubcast listening on http:\/\/127\.0\.0\.1:(\d+)\s*$/.exec(line);
                if (listening) this.port = Number(listening[1]);
                if (line.startsWith("Endpoint=")) this.connectionString = line.trim();
                if (this.port !== undefined && this.connectionString !== undefined) resolve(this);
            });
        });
    }

    /** The address of each process serving (this one): where per-process counters are read. */
    get processUrls() {
        return [this.httpUrl];
    }

    /** Sends SIGTERM and waits (bounded) for the exit; returns {code, signal}. */
    async terminate(timeoutMs = STOP_TIMEOUT_MS) {
        if (this.exitStatus) return this.exitStatus;
        this.child.kill("SIGTERM");
        return withDeadline(this.exited, timeoutMs, "hubcast to exit after SIGTERM");
    }

    kill() {
        if (!this.exitStatus) this.child.kill("SIGKILL");
    }
}

/** Rejects with a clear message if `promise` has not settled within `timeoutMs`. */
export async function withDeadline(promise, timeoutMs, what) {
    let timer;
    const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    });
    try {
        return await Promise.race([promise, deadline]);
    } finally {
        clearTimeout(timer);
    }
}

/**
 * Polls `predicate` (sync or async) until it returns a truthy value, which is returned; fails
 * after `timeoutMs`. The short poll interval is not a wait for a result, the deadline is.
 */
export async function waitFor(predicate, { timeoutMs = 5_000, intervalMs = 10, what = "a condition" } = {}) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    for (;;) {
        try {
            const value = await predicate();
            if (value) return value;
        } catch (err) {
            lastError = err;
        }
        if (Date.now() >= deadline) {
            const detail = lastError ? ` (last error: ${lastError.message})` : "";
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

/**
 * The official client SDK keeps keep-alive timers running for up to ~40 s after stop() (spec
 * 9.6a), which would keep each test file's process alive. Once every test in the file has
 * reported, end the process explicitly, keeping the exit code node:test set for failures.
 * Call once at the top level of each *.test.mjs file.
 */
export function exitPromptlyWhenDone() {
    after(() => {
        setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
    });
}
