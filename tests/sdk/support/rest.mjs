// Helpers for the REST data-plane tests (rest-*.test.mjs): the server SDK built the way an app
// server over plain HTTP must build it, bounded SDK calls, clients whose deliveries are recorded
// in one ordered inbox, and the "marker" technique for proving who did NOT receive a message.
// Every wait is bounded (style rule 16).

import { createHmac, randomBytes } from "node:crypto";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
// A dependency of @azure/web-pubsub itself (its RestError comes from here), pinned by the lockfile.
import { createDefaultHttpClient } from "@azure/core-rest-pipeline";
import { connectSdkClient, openRawClient } from "./clients.mjs";
import { waitFor, withDeadline } from "./server.mjs";

export const API_VERSION = "2024-12-01";
const CALL_TIMEOUT_MS = 5_000;

/**
 * `@azure/web-pubsub` for `hub`, from the connection string hubcast printed. hubcast speaks plain
 * HTTP, so `allowInsecureConnection` is required (server-protocol 0, item 8). No retries: a server error must
 * surface as the test failure it is, not be retried away.
 */
export function restClient(server, hub, options = {}) {
    return new WebPubSubServiceClient(server.connectionString, hub, {
        allowInsecureConnection: true,
        retryOptions: { maxRetries: 0 },
        ...options,
    });
}

/** Awaits one SDK call with a deadline. */
export function call(promise, what, timeoutMs = CALL_TIMEOUT_MS) {
    return withDeadline(promise, timeoutMs, `the SDK call ${what}`);
}

/** Expects `promise` to reject with a RestError of `status`; returns the error. */
export async function restError(promise, status, what) {
    let error;
    try {
        await call(promise, what);
    } catch (err) {
        error = err;
    }
    if (!error) throw new Error(`${what}: expected a RestError ${status}, but the call succeeded`);
    if (error.name !== "RestError" || error.statusCode !== status) {
        throw new Error(`${what}: expected a RestError ${status}, got ${error.name} ${error.statusCode}: ${error.stack}`);
    }
    return error;
}

export function unique(prefix) {
    return `${prefix}-${randomBytes(4).toString("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// Clients with one ordered inbox each.

/**
 * An official JSON client (`json.webpubsub.azure.v1`) whose server and group messages are also
 * recorded, in arrival order, as `inbox` entries:
 *   {from: "server", dataType, data}   or   {from: "group", group, dataType, data}
 * with binary data as an array of byte values.
 */
export async function jsonClient(t, server, hub, tokenOptions = {}) {
    const sdk = await connectSdkClient(t, server, hub, tokenOptions);
    sdk.kind = "json";
    sdk.inbox = [];
    sdk.client.on("server-message", (e) => sdk.inbox.push(normalize({ from: "server", ...e.message })));
    sdk.client.on("group-message", (e) => sdk.inbox.push(normalize({ from: "group", ...e.message })));
    return sdk;
}

/**
 * An official JSON client connecting with a URL the test obtained itself (e.g. a token from
 * `:generateToken`), recorded like `jsonClient`.
 */
export async function jsonClientWithUrl(t, url, hub) {
    const source = { clientAccess: async () => ({ url }) };
    return jsonClient(t, source, hub);
}

function normalize(message) {
    const entry = { from: message.from, dataType: message.dataType, data: message.data };
    if (message.from === "group") entry.group = message.group;
    if (message.dataType === "binary") entry.data = [...new Uint8Array(message.data)];
    return entry;
}

/**
 * A simple WebSocket client (no subprotocol) on `hub` with a token minted by the SDK. Its
 * `inbox` entries are {text: string} or {binary: [bytes]}. Simple clients are never told their
 * connection id, so it is found through a private probe group listed with the SDK, and the
 * client is then removed from that group again.
 */
export async function simpleClient(t, server, hub, tokenOptions = {}) {
    const probe = unique("probe");
    const groups = [...(tokenOptions.groups ?? []), probe];
    const { url } = await server.clientAccess(hub, { ...tokenOptions, groups });
    const raw = await openRawClient(t, url, undefined);
    raw.kind = "simple";
    Object.defineProperty(raw, "inbox", {
        get() {
            return raw.frames.slice(raw.consumed ?? 0).map((f) => (f.binary ? { binary: [...f.data] } : { text: f.data }));
        },
    });
    raw.consumed = 0;
    const admin = restClient(server, hub);
    const members = await waitFor(
        async () => {
            const found = [];
            for await (const member of await call(admin.group(probe).listConnections(), "listConnections of the probe group")) {
                found.push(member);
            }
            return found.length > 0 && found;
        },
        { what: "the simple client to be listed in its probe group" },
    );
    if (members.length !== 1) throw new Error(`probe group ${probe} lists ${JSON.stringify(members)}`);
    raw.connectionId = members[0].connectionId;
    raw.userId = members[0].userId;
    await call(admin.group(probe).removeConnection(raw.connectionId), "removeConnection from the probe group");
    return raw;
}

/** The messages a client received since the last `drain`, without consuming them. */
function pending(client) {
    return client.inbox;
}

function consume(client, count) {
    if (client.kind === "simple") client.consumed += count;
    else client.inbox.splice(0, count);
}

function isMarker(client, entry, marker) {
    return client.kind === "simple" ? entry.text === marker : entry.from === "server" && entry.data === marker;
}

/**
 * Proves what each client received, including what it did NOT receive: sends every client a
 * unique text marker with sendToConnection and waits (bounded) until each got it. REST calls are
 * made one after another and a connection's deliveries keep their order, so anything a client
 * was sent before the marker has arrived by then. Returns, per client, the messages before its
 * marker, and consumes them together with the marker.
 */
export async function drain(admin, clients, timeoutMs = 5_000) {
    const marker = unique("marker");
    for (const client of clients) {
        await call(admin.sendToConnection(client.connectionId, marker, { contentType: "text/plain" }), "sendToConnection (marker)");
    }
    const result = [];
    for (const client of clients) {
        const index = await waitFor(
            () => {
                const i = pending(client).findIndex((entry) => isMarker(client, entry, marker));
                return i >= 0 ? i + 1 : 0;
            },
            { timeoutMs, what: `the marker on ${client.kind} client ${client.connectionId} (inbox ${JSON.stringify(pending(client))})` },
        );
        const got = pending(client).slice(0, index - 1);
        consume(client, index);
        result.push(got);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Signing REST requests exactly like @azure/web-pubsub's key credential policy does.

function base64url(value) {
    return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** HS256 JWT as `jsonwebtoken` makes it for the SDK: header {alg, typ}, claims {aud, iat, exp}. */
export function signRequestToken(url, accessKey, lifetimeSeconds = 3600) {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url({ alg: "HS256", typ: "JWT" });
    const claims = base64url({ iat: now, exp: now + lifetimeSeconds, aud: url });
    const signature = createHmac("sha256", Buffer.from(accessKey, "utf8")).update(`${header}.${claims}`).digest("base64url");
    return `${header}.${claims}.${signature}`;
}

/** The claims of a JWT (not verified). */
export function jwtClaims(token) {
    const [, claims] = token.split(".");
    return JSON.parse(Buffer.from(claims, "base64url").toString("utf8"));
}

/** A REST request signed like the SDK signs it, with any further `headers`; resolves {status, headers, body}. Bounded. */
export async function signedFetch(server, method, pathAndQuery, { body, contentType, accept = "application/json", headers: extra = {} } = {}) {
    const url = `${server.httpUrl}${pathAndQuery}`;
    const headers = { ...extra, Authorization: `Bearer ${signRequestToken(url, server.accessKeys[0])}`, Accept: accept };
    if (contentType) headers["Content-Type"] = contentType;
    const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    return { status: response.status, headers: response.headers, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------
// The SDK's TokenCredential path (the only one in which it calls `:generateToken`).

const ENTRA_TOKEN_STAND_IN = "entra-token-stand-in";

/**
 * `@azure/web-pubsub` built with a TokenCredential, as an app server using Entra ID builds it, so
 * that getClientAccessToken calls the REST `:generateToken` instead of signing locally.
 *
 * Two things stand between that SDK and a plain-HTTP, key-authenticated hubcast, and both are
 * bridged below the SDK, in the transport (`httpClient`), leaving everything the SDK builds —
 * method, path, query, headers, response parsing — untouched:
 *  - core-rest-pipeline's bearer policy refuses non-https URLs whatever allowInsecureConnection
 *    says, so the SDK is given `https://127.0.0.1:PORT` and the transport sends to `http://`;
 *  - hubcast has no Entra ID: the transport checks that the SDK sent the credential's token and
 *    replaces it with one signed with the access key exactly as the key-credential SDK signs.
 * `requests` records what the SDK sent ({method, url, authorization}); `scopes` what it asked the
 * credential for.
 */
export function tokenCredentialClient(server, hub) {
    const transport = createDefaultHttpClient();
    const requests = [];
    const scopes = [];
    const credential = {
        async getToken(wanted) {
            scopes.push(wanted);
            return { token: ENTRA_TOKEN_STAND_IN, expiresOnTimestamp: Date.now() + 3_600_000 };
        },
    };
    const httpClient = {
        async sendRequest(request) {
            const authorization = request.headers.get("Authorization");
            requests.push({ method: request.method, url: request.url, authorization });
            if (authorization !== `Bearer ${ENTRA_TOKEN_STAND_IN}`) {
                throw new Error(`the SDK did not authenticate with the TokenCredential: Authorization ${authorization}`);
            }
            request.url = request.url.replace(/^https:/, "http:");
            request.allowInsecureConnection = true;
            request.headers.set("Authorization", `Bearer ${signRequestToken(request.url, server.accessKeys[0])}`);
            return transport.sendRequest(request);
        },
    };
    const client = new WebPubSubServiceClient(`https://127.0.0.1:${server.port}`, credential, hub, {
        httpClient,
        retryOptions: { maxRetries: 0 },
    });
    return { client, requests, scopes };
}
