// Clients for the SDK tests: the official @azure/web-pubsub-client, and plain `ws` sockets for
// what the SDK hides (raw frames, close codes, HTTP status of a refused upgrade).
// Every wait is bounded (style rule 16).

import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import WebSocket from "ws";
import { waitFor, withDeadline } from "./server.mjs";

export const JSON_SUBPROTOCOL = "json.webpubsub.azure.v1";
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * An SDK client on `hub`, its URL minted by @azure/web-pubsub from the server's connection string
 * with `tokenOptions` ({userId, roles, groups, expirationTimeInMinutes}). Resolves once the
 * `connected` event arrived. The protocol is json.webpubsub.azure.v1 unless `clientOptions.protocol`
 * names another, such as protobufProtocol() from support/protobuf.mjs (protobuf.test.mjs). Both
 * reliable protocols, JSON and protobuf, are covered by reliable.test.mjs, which builds its reliable
 * SDK clients itself to put a proxy between them and the server.
 *
 * Test defaults differ from the SDK's in two ways, both so that a server fault shows up as a
 * test failure instead of being papered over: no automatic reconnect, and no message retries
 * (a rejected ack surfaces at once, not after three retries under new ackIds).
 */
export async function connectSdkClient(t, server, hub, tokenOptions = {}, clientOptions = {}) {
    const client = new WebPubSubClient(
        {
            getClientAccessUrl: async () => (await server.clientAccess(hub, tokenOptions)).url,
        },
        {
            protocol: WebPubSubJsonProtocol(),
            autoReconnect: false,
            messageRetryOptions: { maxRetries: 0 },
            ...clientOptions,
        },
    );
    const state = new SdkClient(client);
    t?.after(() => client.stop());
    const connected = new Promise((resolve) => client.on("connected", resolve));
    await withDeadline(client.start(), CONNECT_TIMEOUT_MS, `SDK client on hub ${hub} to open`);
    const event = await withDeadline(connected, CONNECT_TIMEOUT_MS, `the connected event on hub ${hub}`);
    state.connectionId = event.connectionId;
    state.userId = event.userId;
    return state;
}

class SdkClient {
    constructor(client) {
        this.client = client;
        /** `group-message` payloads ({group, fromUserId, dataType, data, ...}), in arrival order. */
        this.groupMessages = [];
        this.serverMessages = [];
        /** `disconnected` event arguments ({connectionId, message}). */
        this.disconnects = [];
        this.stopped = false;
        client.on("group-message", (e) => this.groupMessages.push(e.message));
        client.on("server-message", (e) => this.serverMessages.push(e.message));
        client.on("disconnected", (e) => this.disconnects.push(e));
        client.on("stopped", () => {
            this.stopped = true;
        });
    }

    /** Waits until a group message with this `data` (deep-equal for objects) has arrived. */
    async waitForGroupMessage(matches, what, timeoutMs = 5_000) {
        return waitFor(() => this.groupMessages.find(matches), { timeoutMs, what });
    }

    async waitForGroupMessageCount(count, timeoutMs = 5_000) {
        await waitFor(() => this.groupMessages.length >= count, {
            timeoutMs,
            what: `${count} group messages (have ${JSON.stringify(this.groupMessages)})`,
        });
        return this.groupMessages;
    }
}

/**
 * A plain WebSocket client. `protocol` is a subprotocol name, or undefined for a simple client;
 * `options` go to the `ws` constructor. Records every frame: text frames as strings, binary
 * frames as Buffers.
 */
export async function openRawClient(t, url, protocol, options = {}) {
    const ws = new WebSocket(url, protocol === undefined ? [] : [protocol], options);
    const raw = new RawClient(ws);
    t?.after(() => ws.terminate());
    await withDeadline(
        new Promise((resolve, reject) => {
            ws.once("open", resolve);
            ws.once("error", reject);
            ws.once("unexpected-response", (_req, res) => {
                res.resume();
                reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
            });
        }),
        CONNECT_TIMEOUT_MS,
        `a WebSocket to ${redactToken(url)} to open`,
    );
    return raw;
}

class RawClient {
    constructor(ws) {
        this.ws = ws;
        /** {binary: boolean, data: string | Buffer} in arrival order. */
        this.frames = [];
        this.pings = 0;
        this.closed = new Promise((resolve) => {
            ws.once("close", (code, reason) => {
                this.closeEvent = { code, reason: reason.toString() };
                resolve(this.closeEvent);
            });
        });
        ws.on("message", (data, isBinary) => {
            this.frames.push(isBinary ? { binary: true, data: Buffer.from(data) } : { binary: false, data: data.toString("utf8") });
        });
        ws.on("ping", () => {
            this.pings += 1;
        });
        ws.on("error", () => {}); // surfaced through `closed`
    }

    /** The subprotocol the server selected in its 101 response ('' when none). */
    get protocol() {
        return this.ws.protocol;
    }

    /** Text frames parsed as JSON (JSON subprotocol clients). */
    get messages() {
        return this.frames.filter((f) => !f.binary).map((f) => JSON.parse(f.data));
    }

    send(value) {
        this.ws.send(typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value));
    }

    async waitForFrames(count, timeoutMs = 5_000) {
        await waitFor(() => this.frames.length >= count, {
            timeoutMs,
            what: `${count} frames (have ${JSON.stringify(this.frames)})`,
        });
        return this.frames;
    }

    /** Waits for a parsed JSON message matching `predicate`; returns it. */
    async waitForMessage(predicate, what, timeoutMs = 5_000) {
        return waitFor(() => this.messages.find(predicate), {
            timeoutMs,
            what: `${what} (have ${JSON.stringify(this.frames)})`,
        });
    }

    async waitForClose(timeoutMs = 5_000) {
        return withDeadline(this.closed, timeoutMs, "the server to close the WebSocket");
    }
}

/**
 * Attempts a WebSocket upgrade that the server is expected to refuse; resolves with the HTTP
 * status and body of the refusal. Fails if the upgrade is accepted.
 */
export async function upgradeStatus(url, protocol = JSON_SUBPROTOCOL, timeoutMs = 5_000) {
    const ws = protocol === undefined ? new WebSocket(url) : new WebSocket(url, protocol);
    try {
        return await withDeadline(
            new Promise((resolve, reject) => {
                ws.once("unexpected-response", (_req, res) => {
                    let body = "";
                    res.setEncoding("utf8");
                    res.on("data", (chunk) => {
                        body += chunk;
                    });
                    res.on("end", () => resolve({ status: res.statusCode, body }));
                    res.on("error", () => resolve({ status: res.statusCode, body }));
                });
                ws.once("open", () => reject(new Error(`the upgrade to ${redactToken(url)} was accepted`)));
                ws.once("error", reject);
                ws.on("error", () => {}); // terminate() below may report one more
            }),
            timeoutMs,
            `the server to answer the upgrade to ${redactToken(url)}`,
        );
    } finally {
        ws.terminate();
    }
}

/** Bytes of an ArrayBuffer / view / Buffer, for comparisons. */
export function bytes(value) {
    if (value instanceof ArrayBuffer) return Buffer.from(value);
    if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new TypeError(`not binary data: ${typeof value}`);
}

/** A fresh ArrayBuffer holding `values` (the SDK wants an ArrayBuffer for binary data). */
export function arrayBuffer(values) {
    return Uint8Array.from(values).buffer;
}

function redactToken(url) {
    return url.replace(/access_token=[^&]*/, "access_token=…");
}
