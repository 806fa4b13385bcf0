// Keep-alive (spec 4.2, 8, 9.5): the SDK (1.1.x) sends {"type":"ping"} every 20 s and drops a
// connection that hears nothing for 120 s, so the server must answer ping with pong; the
// server's own WebSocket pings follow --keepalive-seconds.

import assert from "node:assert/strict";
import { test } from "node:test";
import { JSON_SUBPROTOCOL, openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer, waitFor } from "./support/server.mjs";

exitPromptlyWhenDone();

test("a JSON ping is answered with pong", async (t) => {
    const server = await startServer(t);
    const raw = await openRawClient(t, (await server.clientAccess("chat", { userId: "u" })).url, JSON_SUBPROTOCOL);
    await raw.waitForMessage((m) => m.type === "system" && m.event === "connected", "connected");

    raw.send({ type: "ping" });
    await raw.waitForMessage((m) => m.type === "pong", "pong");
    assert.deepEqual(raw.messages.slice(1), [{ type: "pong" }]);
    assert.equal(raw.closeEvent, undefined);
});

test("with --keepalive-seconds 1 the server sends WebSocket pings and keeps an answering client", async (t) => {
    const server = await startServer(t, { keepaliveSeconds: 1 });
    const raw = await openRawClient(t, (await server.clientAccess("chat", { userId: "u" })).url, JSON_SUBPROTOCOL);

    // `ws` answers pings with pongs by itself.
    await waitFor(() => raw.pings >= 2, { timeoutMs: 4_000, what: "two WebSocket pings from the server" });
    assert.equal(raw.closeEvent, undefined, "a client that answers pings stays connected");
    raw.send({ type: "ping" });
    await raw.waitForMessage((m) => m.type === "pong", "pong after the pings");
});

test("with --keepalive-seconds 1 a client that never answers pings is told it is disconnected and closed", async (t) => {
    const server = await startServer(t, { keepaliveSeconds: 1 });
    const { url } = await server.clientAccess("chat", { userId: "silent" });
    const silent = await openRawClient(t, url, JSON_SUBPROTOCOL, { autoPong: false });
    const answering = await openRawClient(t, url, JSON_SUBPROTOCOL);

    // Closed after about three silent intervals (spec 8); allow scheduling slack.
    const close = await silent.waitForClose(8_000);
    // docs/protocol.md: PingTimeout closes with 1008, as for the C++ twin (keepalive_test.cpp).
    assert.equal(close.code, 1008, `closed with 1008: ${JSON.stringify(close)}`);
    const last = silent.messages.at(-1);
    assert.deepEqual([last?.type, last?.event], ["system", "disconnected"], `a disconnected message precedes the close: ${JSON.stringify(silent.frames)}`);
    assert.equal(answering.closeEvent, undefined, "the client that answers pings is still connected");
});
