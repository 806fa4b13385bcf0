// The official client SDK publishing and receiving through hubcast (spec sections 4 and 9):
// data types, noEcho, fromUserId, Duplicate acks and events without an upstream handler.

import assert from "node:assert/strict";
import { test } from "node:test";
import { arrayBuffer, bytes, connectSdkClient, JSON_SUBPROTOCOL, openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ACK_TIMEOUT_MS = 5_000;
const JOIN = "webpubsub.joinLeaveGroup";
const SEND = "webpubsub.sendToGroup";

function acked(promise, what) {
    return withDeadline(promise, ACK_TIMEOUT_MS, `the ack for ${what}`);
}

test("an SDK client connects, joins a group and receives text, json and binary published by another SDK client", async (t) => {
    const server = await startServer(t);
    const alice = await connectSdkClient(t, server, "chat", { userId: "alice", roles: [JOIN] });
    const bob = await connectSdkClient(t, server, "chat", { userId: "bob", roles: [SEND] });
    const anonymous = await connectSdkClient(t, server, "chat", { roles: [SEND] });

    assert.equal(typeof alice.connectionId, "string");
    assert.ok(alice.connectionId.length > 0, "connectionId is not empty");
    assert.equal(alice.userId, "alice");
    assert.equal(bob.userId, "bob");
    assert.equal(anonymous.userId ?? null, null, "no sub claim: userId is null");
    assert.equal(new Set([alice.connectionId, bob.connectionId, anonymous.connectionId]).size, 3, "connection ids are distinct");

    const joined = await acked(alice.client.joinGroup("room"), "joinGroup");
    assert.equal(joined.isDuplicated, false);
    assert.equal(typeof joined.ackId, "number");

    const text = "héllo 👋 text";
    const json = { n: 1.5, s: "ü", list: [true, null, { nested: "x" }] };
    const jsonString = "a json string, not text";
    const binary = [0, 1, 2, 127, 128, 254, 255, 0];
    for (const [data, dataType] of [
        [text, "text"],
        [json, "json"],
        [jsonString, "json"],
        [arrayBuffer(binary), "binary"],
    ]) {
        const result = await acked(bob.client.sendToGroup("room", data, dataType), `sendToGroup ${dataType}`);
        assert.equal(result.isDuplicated, false);
    }
    await acked(anonymous.client.sendToGroup("room", "from nobody", "text"), "sendToGroup without a userId");

    const got = await alice.waitForGroupMessageCount(5);
    assert.deepEqual(
        got.map((m) => [m.group, m.fromUserId ?? null, m.dataType]),
        [
            ["room", "bob", "text"],
            ["room", "bob", "json"],
            ["room", "bob", "json"],
            ["room", "bob", "binary"],
            ["room", null, "text"],
        ],
        "messages from one sender arrive in order, with group, fromUserId and dataType",
    );
    assert.equal(got[0].data, text);
    assert.deepEqual(got[1].data, json);
    assert.equal(got[2].data, jsonString);
    assert.ok(got[3].data instanceof ArrayBuffer, "binary data is decoded to an ArrayBuffer");
    assert.deepEqual([...bytes(got[3].data)], binary);
    assert.equal(got[4].data, "from nobody");
    assert.equal(alice.disconnects.length, 0);
});

test("noEcho keeps a message from its sender while other group members get it", async (t) => {
    const server = await startServer(t);
    const alice = await connectSdkClient(t, server, "chat", { userId: "alice", roles: [JOIN, SEND] });
    const carol = await connectSdkClient(t, server, "chat", { userId: "carol", roles: [JOIN] });
    await acked(alice.client.joinGroup("room"), "alice joinGroup");
    await acked(carol.client.joinGroup("room"), "carol joinGroup");

    await acked(alice.client.sendToGroup("room", "quiet", "text", { noEcho: true }), "sendToGroup noEcho");
    await acked(alice.client.sendToGroup("room", "loud", "text", { noEcho: false }), "sendToGroup with echo");

    const carolGot = await carol.waitForGroupMessageCount(2);
    assert.deepEqual(carolGot.map((m) => [m.data, m.fromUserId]), [
        ["quiet", "alice"],
        ["loud", "alice"],
    ]);
    // "loud" follows "quiet" from the same connection, so an echo of "quiet" would be here already.
    await alice.waitForGroupMessage((m) => m.data === "loud", "alice's own echo of 'loud'");
    assert.deepEqual(alice.groupMessages.map((m) => m.data), ["loud"], "alice did not get her noEcho message");
});

test("an explicit ackId sent twice: the second resolves as a duplicate and is not executed again", async (t) => {
    const server = await startServer(t);
    const sender = await connectSdkClient(t, server, "chat", { userId: "sender", roles: [JOIN, SEND] });
    const receiver = await connectSdkClient(t, server, "chat", { userId: "receiver", groups: ["room"] });

    const first = await acked(sender.client.sendToGroup("room", "once", "text", { ackId: 4242 }), "first sendToGroup");
    assert.deepEqual({ ackId: first.ackId, isDuplicated: first.isDuplicated }, { ackId: 4242, isDuplicated: false });
    const second = await acked(sender.client.sendToGroup("room", "again", "text", { ackId: 4242 }), "repeated sendToGroup");
    assert.deepEqual({ ackId: second.ackId, isDuplicated: second.isDuplicated }, { ackId: 4242, isDuplicated: true });
    await acked(sender.client.sendToGroup("room", "after", "text"), "sendToGroup after the duplicate");

    await receiver.waitForGroupMessage((m) => m.data === "after", "the message sent after the duplicate");
    assert.deepEqual(receiver.groupMessages.map((m) => m.data), ["once", "after"], "the duplicate was not delivered");

    const joined = await acked(sender.client.joinGroup("other", { ackId: 777 }), "joinGroup");
    assert.equal(joined.isDuplicated, false);
    const rejoined = await acked(sender.client.joinGroup("other", { ackId: 777 }), "repeated joinGroup");
    assert.equal(rejoined.isDuplicated, true);
    assert.equal(sender.disconnects.length, 0);
});

test("sendEvent without an upstream event handler is rejected with InternalServerError; the connection stays usable", async (t) => {
    const server = await startServer(t);
    const eve = await connectSdkClient(t, server, "chat", { userId: "eve", roles: [JOIN, SEND] });

    const isInternalServerError = (ackId) => (err) => {
        assert.equal(err.name, "SendMessageError", `expected a SendMessageError, got ${err.stack}`);
        if (ackId !== undefined) assert.equal(err.ackId, ackId);
        assert.equal(err.errorDetail?.name, "InternalServerError", `errorDetail: ${JSON.stringify(err.errorDetail)}`);
        return true;
    };
    await assert.rejects(acked(eve.client.sendEvent("greet", { hi: 1 }, "json", { ackId: 99 }), "event json"), isInternalServerError(99));
    // A failed request is not remembered: retrying under the same ackId is not a Duplicate (spec 4.5).
    await assert.rejects(acked(eve.client.sendEvent("greet", { hi: 1 }, "json", { ackId: 99 }), "event retry"), isInternalServerError(99));
    await assert.rejects(acked(eve.client.sendEvent("greet", "hi", "text"), "event text"), isInternalServerError());
    await assert.rejects(acked(eve.client.sendEvent("greet", arrayBuffer([1, 2, 3]), "binary"), "event binary"), isInternalServerError());
    // Fire-and-forget: no ack expected, nothing to wait for.
    await withDeadline(eve.client.sendEvent("greet", "ignored", "text", { fireAndForget: true }), ACK_TIMEOUT_MS, "a fire-and-forget send");

    await acked(eve.client.joinGroup("room"), "joinGroup after the failed events");
    await acked(eve.client.sendToGroup("room", "still here", "text"), "sendToGroup after the failed events");
    await eve.waitForGroupMessage((m) => m.data === "still here", "eve's own echo");
    assert.equal(eve.disconnects.length, 0, "the connection was not dropped");
});

test("raw JSON client: connected is the first frame; an event without ackId gets no ack", async (t) => {
    const server = await startServer(t);
    const { url } = await server.clientAccess("chat", { roles: [JOIN] });
    const raw = await openRawClient(t, url, JSON_SUBPROTOCOL);
    assert.equal(raw.protocol, JSON_SUBPROTOCOL, "the 101 response selects the offered subprotocol");

    raw.send({ type: "event", event: "greet", dataType: "text", data: "no ack wanted" });
    raw.send({ type: "joinGroup", group: "room", ackId: 5 });
    await raw.waitForMessage((m) => m.type === "ack" && m.ackId === 5, "the joinGroup ack");

    const [connected, ...rest] = raw.messages;
    assert.equal(connected.type, "system");
    assert.equal(connected.event, "connected");
    assert.equal(typeof connected.connectionId, "string");
    assert.ok(connected.connectionId.length > 0);
    assert.ok("userId" in connected && connected.userId === null, `userId is null without a sub claim: ${JSON.stringify(connected)}`);
    assert.deepEqual(rest, [{ type: "ack", ackId: 5, success: true }], "nothing but the joinGroup ack follows connected");
});
