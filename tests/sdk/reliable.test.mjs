// The official client SDK in its default mode, json.reliable.webpubsub.azure.v1 (spec 5, 9.6):
// numbered messages, and recovery through a TCP proxy of the test's own that cuts the connection
// while another client keeps publishing numbered messages to a group the SDK client is in.
//
// Each scenario runs over both reliable protocols (style rule 14): JSON, the SDK's default, and
// protobuf through the test's own protobuf protocol adapter (support/protobuf.mjs). Every upgrade
// through the proxy must have negotiated the variant's reliable subprotocol: a client served
// anything else fails the test.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { connectSdkClient } from "./support/clients.mjs";
import { startProxy } from "./support/cuttable-proxy.mjs";
import { assertNegotiated, RELIABLE_PROTOCOLS } from "./support/protobuf.mjs";
import { exitPromptlyWhenDone, startServer, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const JOIN = "webpubsub.joinLeaveGroup";
const SEND = "webpubsub.sendToGroup";
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Publishes a last message and waits until the receiver has it. Deliveries keep their order, so
 * once it arrived a duplicate of anything published before it would have arrived too: this is
 * the barrier after which "nothing twice" can be asserted without waiting for a while.
 */
async function publishBarrier(publisher, receiver, group) {
    await withDeadline(publisher.client.sendToGroup(group, "end", "text"), 5_000, "the ack for the last message");
    await waitFor(() => receiver.events.messages.at(-1) === "end", { what: "the last message" });
}

/**
 * An SDK client in its default mode (retries and automatic reconnection as shipped), reaching the
 * server through `proxy`. Its tokens are minted for the proxy's address, which is the Host the
 * server sees. Resolves once `connected` arrived; records every event.
 */
async function connectThroughProxy(t, server, proxy, variant, tokenOptions) {
    const connectionString = server.connectionString.replace(/Port=\d+/, `Port=${proxy.port}`);
    const client = new WebPubSubClient(
        { getClientAccessUrl: async () => (await server.clientAccess("chat", tokenOptions, connectionString)).url },
        variant.options(),
    );
    const events = { connected: [], disconnected: [], messages: [], stopped: false };
    client.on("connected", (e) => events.connected.push(e));
    client.on("disconnected", (e) => events.disconnected.push(e));
    client.on("group-message", (e) => events.messages.push(e.message.data));
    client.on("stopped", () => {
        events.stopped = true;
    });
    t.after(() => client.stop());
    await withDeadline(client.start(), CONNECT_TIMEOUT_MS, "the SDK client to open");
    await waitFor(() => events.connected.length === 1, { what: "the connected event" });
    return { client, events };
}

/** Publishes "1".."count" (text) to `group` one after another, each acknowledged. */
async function publishNumbers(publisher, group, from, count, { onEach = () => {} } = {}) {
    for (let n = from; n < from + count; n += 1) {
        await withDeadline(publisher.client.sendToGroup(group, String(n), "text"), 5_000, `the ack for message ${n}`);
        await onEach(n);
    }
}

function numbers(from, to) {
    return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

/** A counter of the whole service: the sum over its processes (one, or a cluster's nodes). */
async function metric(server, name) {
    let sum = 0;
    for (const url of server.processUrls) {
        const text = await (await fetch(`${url}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith(`${name} `));
        sum += line ? Number(line.split(" ")[1]) : 0;
    }
    return sum;
}

for (const variant of RELIABLE_PROTOCOLS) {
    test(`${variant.name}: the SDK connects, joins, publishes and receives numbered messages`, async (t) => {
        const server = await startServer(t);
        const proxy = await startProxy(t, server.port);
        const alice = await connectThroughProxy(t, server, proxy, variant, { userId: "alice", roles: [JOIN, SEND] });
        const bob = await connectSdkClient(t, server, "chat", { userId: "bob", roles: [SEND] });
        assert.deepEqual(proxy.subprotocols, [variant.subprotocol], "the SDK's default protocol was negotiated");

        await withDeadline(alice.client.joinGroup("room"), 5_000, "joinGroup");
        await withDeadline(alice.client.sendToGroup("room", "from alice", "text"), 5_000, "alice's sendToGroup");
        await withDeadline(bob.client.sendToGroup("room", { n: 1 }, "json"), 5_000, "bob's sendToGroup");
        await waitFor(() => alice.events.messages.length === 2, { what: "alice's two group messages" });
        assert.deepEqual(alice.events.messages, ["from alice", { n: 1 }]);
        assert.deepEqual(proxy.messages.map((m) => m.sequenceId), [1, 2], "numbered from 1");
        assert.equal(alice.events.disconnected.length, 0);
    });

    test(`${variant.name}: a cut connection is recovered to the same connection id, every message exactly once and in order`, async (t) => {
        // Two workers: the recovery may land on the worker that does not own the session.
        const server = await startServer(t, { workers: 2 });
        const proxy = await startProxy(t, server.port);
        const receiver = await connectThroughProxy(t, server, proxy, variant, { userId: "alice", roles: [JOIN] });
        const publisher = await connectSdkClient(t, server, "chat", { userId: "bob", roles: [SEND] });
        await withDeadline(receiver.client.joinGroup("room"), 5_000, "joinGroup");
        const connectionId = receiver.events.connected[0].connectionId;

        const total = 300;
        let cuts = 0;
        await publishNumbers(publisher, "room", 1, total, {
            onEach: async (n) => {
                // Cut while messages are in flight: once leaving the server's side open (it only
                // learns of it from the recovery), once closing both sides.
                if (n === 60 || n === 180) {
                    proxy.cut({ halfOpen: n === 60 });
                    cuts += 1;
                }
                if (n % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
            },
        });
        await waitFor(() => receiver.events.messages.length >= total, {
            timeoutMs: 20_000,
            what: `all ${total} messages (have ${receiver.events.messages.length})`,
        });
        await publishBarrier(publisher, receiver, "room");
        assert.deepEqual(receiver.events.messages, [...numbers(1, total), "end"], "every message exactly once, in order");
        assert.equal(cuts, 2);
        assert.equal(receiver.events.connected.length, 1, "a recovery is not a new connection");
        assert.deepEqual(receiver.events.disconnected, [], "the SDK never saw the session end");
        assert.equal(await metric(server, "hubcast_reliable_sessions_recovered_total"), 2);
        assert.ok(!proxy.closeCodes.includes(1008), `no close code 1008 (${proxy.closeCodes})`);
        // The first connection and one per recovery, each recovered at the first try.
        assert.equal(proxy.subprotocols.length, 3);
        assertNegotiated(proxy, variant);
        // Server side: one id per message for the whole session, whatever was replayed.
        const ids = new Set(proxy.messages.map((m) => m.sequenceId));
        assert.deepEqual([...ids].sort((a, b) => a - b), numbers(1, total + 1).map(Number));
        assert.deepEqual(proxy.connectedIds, [connectionId], "recoveries get no new connected message");
    });

    test(`${variant.name}: after the recovery window the client is refused with 1008 and starts a new connection, with no duplicates`, async (t) => {
        const server = await startServer(t, { args: ["--reliable-recovery-seconds", "1"] });
        const proxy = await startProxy(t, server.port);
        const receiver = await connectThroughProxy(t, server, proxy, variant, { userId: "alice", roles: [JOIN] });
        const publisher = await connectSdkClient(t, server, "chat", { userId: "bob", roles: [SEND] });
        await withDeadline(receiver.client.joinGroup("room"), 5_000, "joinGroup");
        const firstId = receiver.events.connected[0].connectionId;

        await publishNumbers(publisher, "room", 1, 10);
        await waitFor(() => receiver.events.messages.length === 10, { what: "the first 10 messages" });

        // The SDK retries its recovery every second; the proxy turns every try away until the
        // server has ended the session.
        proxy.refuse(true);
        proxy.cut();
        await waitFor(async () => (await metric(server, "hubcast_reliable_sessions_expired_total")) >= 1, {
            timeoutMs: 10_000,
            what: "the session to expire on the server",
        });
        assert.equal(await metric(server, "hubcast_reliable_sessions_expired_total"), 1, "one session, expired once");
        await publishNumbers(publisher, "room", 11, 5); // to nobody: the session is gone
        proxy.refuse(false);

        await waitFor(() => receiver.events.connected.length === 2, {
            timeoutMs: 15_000,
            what: "a new connection after the refused recovery",
        });
        const secondId = receiver.events.connected[1].connectionId;
        assert.notEqual(secondId, firstId);
        assert.ok(proxy.closeCodes.includes(1008), `the late recovery was closed with 1008 (${proxy.closeCodes})`);
        assert.equal(receiver.events.disconnected.length, 1, "disconnected is raised once");
        assert.equal(receiver.events.disconnected[0].message?.message, "The connection could not be recovered.");
        assert.equal(await metric(server, "hubcast_reliable_recoveries_refused_total"), 1);

        // The SDK raises `connected` only after it rejoined its groups (spec 9.2), so the group
        // delivers to the new connection from here on.
        await publishNumbers(publisher, "room", 16, 10);
        await waitFor(() => receiver.events.messages.includes("25"), { what: "messages on the new connection" });
        await publishBarrier(publisher, receiver, "room");
        assert.deepEqual(
            receiver.events.messages,
            [...numbers(1, 10), ...numbers(16, 25), "end"],
            "nothing twice, nothing from the gap",
        );
        assertNegotiated(proxy, variant);
    });
}
