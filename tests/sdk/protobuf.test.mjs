// protobuf.webpubsub.azure.v1 (spec section 6) against the real binary: the official
// @azure/web-pubsub-client driving our schema through protobufjs, mixed in one group with JSON SDK
// clients and a simple client (every data kind reaches each in its own form, spec 6.4), and raw
// protobuf sockets for what the SDK hides (frame types, fire-and-forget, errors, close codes).

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { arrayBuffer, bytes, connectSdkClient, openRawClient } from "./support/clients.mjs";
import {
    Any,
    decodeDownstream,
    encodeAny,
    encodeUpstream,
    PROTOBUF_RELIABLE_SUBPROTOCOL,
    PROTOBUF_SUBPROTOCOL,
    protobufProtocol,
} from "./support/protobuf.mjs";
import { exitPromptlyWhenDone, startServer, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ACK_TIMEOUT_MS = 5_000;
const JOIN = "webpubsub.joinLeaveGroup";
const SEND = "webpubsub.sendToGroup";

function acked(promise, what) {
    return withDeadline(promise, ACK_TIMEOUT_MS, `the ack for ${what}`);
}

function connectProtobufSdkClient(t, server, hub, tokenOptions) {
    return connectSdkClient(t, server, hub, tokenOptions, { protocol: protobufProtocol() });
}

/** The decoded DownstreamMessages a raw protobuf client has received, failing on any text frame. */
function downstream(raw) {
    return raw.frames.map((frame, i) => {
        assert.equal(frame.binary, true, `frame ${i} of a protobuf client is binary: ${JSON.stringify(frame)}`);
        return decodeDownstream(frame.data);
    });
}

async function waitForDownstream(raw, predicate, what) {
    return waitFor(() => downstream(raw).find(predicate), {
        what: `${what} (have ${JSON.stringify(downstream(raw))})`,
    });
}

test("protobuf and JSON SDK clients and a simple client share a group: each data kind arrives in each client's own form", async (t) => {
    const server = await startServer(t);
    const jsonClient = await connectSdkClient(t, server, "chat", { userId: "jay", roles: [JOIN, SEND] });
    const protoClient = await connectProtobufSdkClient(t, server, "chat", { userId: "pia", roles: [JOIN, SEND] });
    const simple = await openRawClient(t, (await server.clientAccess("chat", { groups: ["room"] })).url);

    assert.equal(typeof protoClient.connectionId, "string");
    assert.ok(protoClient.connectionId.length > 0, "the protobuf client got its connection id");
    assert.equal(protoClient.userId, "pia");
    assert.notEqual(protoClient.connectionId, jsonClient.connectionId);
    await acked(jsonClient.client.joinGroup("room"), "JSON joinGroup");
    await acked(protoClient.client.joinGroup("room"), "protobuf joinGroup");

    // What the JSON client sends.
    const text = "héllo 👋";
    const json = { n: 1.5, s: "ü", list: [true, null, { nested: "x" }] };
    const binary = [0, 1, 127, 128, 255];
    for (const [data, dataType] of [
        [text, "text"],
        [json, "json"],
        ["a json string", "json"],
        [arrayBuffer(binary), "binary"],
    ]) {
        await acked(jsonClient.client.sendToGroup("room", data, dataType), `JSON sendToGroup ${dataType}`);
    }
    // What the protobuf client sends, a google.protobuf.Any among it (JSON clients cannot send one).
    const any = { type_url: "type.googleapis.com/demo.Point", value: Buffer.from([8, 3, 16, 4]) };
    for (const [data, dataType] of [
        ["from protobuf", "text"],
        [{ from: "protobuf" }, "json"],
        [arrayBuffer([9, 8, 7]), "binary"],
        [any, "protobuf"],
    ]) {
        await acked(protoClient.client.sendToGroup("room", data, dataType), `protobuf sendToGroup ${dataType}`);
    }

    // The protobuf client: the right dataType for each, and no publisher (protobuf has no fromUserId).
    const protoGot = await protoClient.waitForGroupMessageCount(8);
    assert.deepEqual(
        protoGot.map((m) => [m.group, m.dataType]),
        [
            ["room", "text"],
            ["room", "json"],
            ["room", "json"],
            ["room", "binary"],
            ["room", "text"],
            ["room", "json"],
            ["room", "binary"],
            ["room", "protobuf"],
        ],
    );
    assert.equal(protoGot[0].data, text);
    assert.deepEqual(protoGot[1].data, json);
    assert.equal(protoGot[2].data, "a json string");
    assert.deepEqual([...bytes(protoGot[3].data)], binary);
    assert.equal(protoGot[4].data, "from protobuf");
    assert.deepEqual(protoGot[5].data, { from: "protobuf" });
    assert.deepEqual([...bytes(protoGot[6].data)], [9, 8, 7]);
    assert.equal(protoGot[7].data.type_url, any.type_url);
    assert.deepEqual([...protoGot[7].data.value], [...any.value]);

    // The JSON client: the protobuf client's data with its kind, the Any as dataType protobuf
    // holding the serialized Any (the SDK hands it out as an ArrayBuffer after base64).
    const jsonGot = await jsonClient.waitForGroupMessageCount(8);
    assert.deepEqual(
        jsonGot.map((m) => [m.dataType, m.fromUserId]),
        [
            ["text", "jay"],
            ["json", "jay"],
            ["json", "jay"],
            ["binary", "jay"],
            ["text", "pia"],
            ["json", "pia"],
            ["binary", "pia"],
            ["protobuf", "pia"],
        ],
    );
    assert.equal(jsonGot[4].data, "from protobuf");
    assert.deepEqual(jsonGot[5].data, { from: "protobuf" });
    assert.deepEqual([...bytes(jsonGot[6].data)], [9, 8, 7]);
    const unpacked = Any.decode(bytes(jsonGot[7].data));
    assert.equal(unpacked.type_url, any.type_url);
    assert.deepEqual([...unpacked.value], [...any.value]);

    // The simple client: text and json as text frames (json as its JSON text), binary and
    // protobuf (the serialized Any) as binary frames.
    const frames = await simple.waitForFrames(8);
    assert.deepEqual(
        frames.map((f) => f.binary),
        [false, false, false, true, false, false, true, true],
    );
    assert.equal(frames[0].data, text);
    assert.deepEqual(JSON.parse(frames[1].data), json);
    assert.equal(frames[2].data, '"a json string"');
    assert.deepEqual([...frames[3].data], binary);
    assert.equal(frames[4].data, "from protobuf");
    assert.deepEqual(JSON.parse(frames[5].data), { from: "protobuf" });
    assert.deepEqual([...frames[6].data], [9, 8, 7]);
    assert.deepEqual(frames[7].data, encodeAny(any.type_url, any.value));

    assert.equal(protoClient.disconnects.length, 0);
    assert.equal(jsonClient.disconnects.length, 0);
});

test("REST sends reach a protobuf SDK client as serverData and groupData of the body's kind", async (t) => {
    const server = await startServer(t);
    const pia = await connectProtobufSdkClient(t, server, "chat", { userId: "pia", roles: [JOIN] });
    const jay = await connectSdkClient(t, server, "chat", { userId: "jay", roles: [JOIN] });
    await acked(pia.client.joinGroup("room"), "protobuf joinGroup");
    await acked(jay.client.joinGroup("room"), "JSON joinGroup");
    // hubcast speaks plain HTTP; no retries, so that a server error fails the test.
    const service = new WebPubSubServiceClient(server.connectionString, "chat", {
        allowInsecureConnection: true,
        retryOptions: { maxRetries: 0 },
    });

    await service.sendToAll({ hello: "world" });
    await service.sendToAll("plain text", { contentType: "text/plain" });
    await service.sendToAll(Buffer.from([1, 2, 3]), { contentType: "application/octet-stream" });
    await service.sendToConnection(pia.connectionId, "just you", { contentType: "text/plain" });
    await service.group("room").sendToAll("to the room", { contentType: "text/plain" });

    const server4 = await waitFor(() => pia.serverMessages.length >= 4 && pia.serverMessages, {
        what: `4 server messages (have ${JSON.stringify(pia.serverMessages)})`,
    });
    assert.deepEqual(
        server4.map((m) => m.dataType),
        ["json", "text", "binary", "text"],
    );
    assert.deepEqual(server4[0].data, { hello: "world" });
    assert.equal(server4[1].data, "plain text");
    assert.deepEqual([...bytes(server4[2].data)], [1, 2, 3]);
    assert.equal(server4[3].data, "just you");
    const [group] = await pia.waitForGroupMessageCount(1);
    assert.deepEqual([group.group, group.dataType, group.data], ["room", "text", "to the room"]);

    // The JSON client, for comparison, got the same kinds (but not the message to pia alone).
    await jay.waitForGroupMessage((m) => m.data === "to the room", "the REST group message");
    await waitFor(() => jay.serverMessages.length >= 3, { what: "the JSON client's server messages" });
    assert.deepEqual(jay.serverMessages.map((m) => m.dataType), ["json", "text", "binary"]);
});

test("protobuf SDK client: noEcho, Duplicate acks, leaveGroup and events without a handler", async (t) => {
    const server = await startServer(t);
    const pia = await connectProtobufSdkClient(t, server, "chat", { userId: "pia", roles: [JOIN, SEND] });
    const jay = await connectSdkClient(t, server, "chat", { userId: "jay", roles: [JOIN] });
    await acked(pia.client.joinGroup("room"), "protobuf joinGroup");
    await acked(jay.client.joinGroup("room"), "JSON joinGroup");

    await acked(pia.client.sendToGroup("room", "quiet", "text", { noEcho: true }), "noEcho send");
    const first = await acked(pia.client.sendToGroup("room", "once", "text", { ackId: 4242 }), "send with ackId");
    assert.deepEqual({ ackId: first.ackId, isDuplicated: first.isDuplicated }, { ackId: 4242, isDuplicated: false });
    const again = await acked(pia.client.sendToGroup("room", "twice", "text", { ackId: 4242 }), "repeated ackId");
    assert.deepEqual({ ackId: again.ackId, isDuplicated: again.isDuplicated }, { ackId: 4242, isDuplicated: true });

    await jay.waitForGroupMessage((m) => m.data === "once", "the message sent once");
    assert.deepEqual(jay.groupMessages.map((m) => m.data), ["quiet", "once"], "noEcho reached others; the duplicate reached nobody");
    await pia.waitForGroupMessage((m) => m.data === "once", "pia's echo of 'once'");
    assert.deepEqual(pia.groupMessages.map((m) => m.data), ["once"], "pia got no echo of her noEcho message");

    await assert.rejects(acked(pia.client.sendEvent("greet", { hi: 1 }, "json", { ackId: 99 }), "event"), (err) => {
        assert.equal(err.errorDetail?.name, "InternalServerError", `errorDetail: ${JSON.stringify(err.errorDetail)}`);
        return true;
    });

    await acked(pia.client.leaveGroup("room"), "protobuf leaveGroup");
    await acked(pia.client.sendToGroup("room", "after leave", "text"), "send after leaving");
    await acked(pia.client.joinGroup("room"), "protobuf joinGroup again");
    await acked(pia.client.sendToGroup("room", "rejoined", "text"), "send after rejoining");
    // Both come from pia in this order, so an echo of "after leave" would be here before this one.
    await pia.waitForGroupMessage((m) => m.data === "rejoined", "pia's echo after rejoining");
    assert.deepEqual(pia.groupMessages.map((m) => m.data), ["once", "rejoined"], "no echo while pia was out of the group");
    await jay.waitForGroupMessage((m) => m.data === "rejoined", "jay gets both");
    assert.deepEqual(jay.groupMessages.map((m) => m.data).slice(2), ["after leave", "rejoined"]);
    assert.equal(pia.disconnects.length, 0, "the protobuf client was never disconnected");
});

test("raw protobuf client: connected first, every request, acks and errors in protobuf, fire-and-forget silent", async (t) => {
    const server = await startServer(t);
    const { url } = await server.clientAccess("chat", { userId: "raw", roles: [`${JOIN}.allowed`, SEND] });
    const raw = await openRawClient(t, url, PROTOBUF_SUBPROTOCOL);
    assert.equal(raw.protocol, PROTOBUF_SUBPROTOCOL, "the 101 response selects protobuf");

    const [connected] = await raw.waitForFrames(1);
    const first = decodeDownstream(connected.data);
    assert.equal(connected.binary, true);
    assert.equal(first.message, "systemMessage");
    assert.equal(first.systemMessage.message, "connectedMessage");
    assert.equal(first.systemMessage.connectedMessage.userId, "raw");
    assert.ok(first.systemMessage.connectedMessage.connectionId.length > 0);
    assert.equal(first.systemMessage.connectedMessage.reconnectionToken, undefined, "no token on the non-reliable protocol");

    // Fire-and-forget requests, even failing ones, get no answer; the ping after them proves it.
    raw.send(encodeUpstream({ joinGroupMessage: { group: "forbidden" } }));
    raw.send(encodeUpstream({ eventMessage: { event: "greet", data: { textData: "x" } } }));
    raw.send(encodeUpstream({ sequenceAckMessage: { sequenceId: 5 } }));
    raw.send(encodeUpstream({ pingMessage: {} }));
    await waitForDownstream(raw, (m) => m.message === "pongMessage", "the pong");
    assert.deepEqual(
        downstream(raw).map((m) => m.message),
        ["systemMessage", "pongMessage"],
        "nothing answered the fire-and-forget requests",
    );

    // ackId 0 is present (proto3 optional) and must be acked.
    raw.send(encodeUpstream({ joinGroupMessage: { group: "allowed", ackId: 0 } }));
    raw.send(encodeUpstream({ joinGroupMessage: { group: "forbidden", ackId: 1 } }));
    raw.send(encodeUpstream({ joinGroupMessage: { group: "allowed", ackId: 0 } }));
    raw.send(encodeUpstream({ eventMessage: { event: "greet", ackId: 2, data: { jsonData: '{"a":1}' } } }));
    raw.send(encodeUpstream({ sendToGroupMessage: { group: "allowed", ackId: 3, data: { textData: "" } } }));
    raw.send(encodeUpstream({ leaveGroupMessage: { group: "allowed", ackId: 4 } }));
    await waitForDownstream(raw, (m) => m.ackMessage?.ackId === 4, "the leaveGroup ack");
    const acks = downstream(raw)
        .filter((m) => m.message === "ackMessage")
        .map((m) => [m.ackMessage.ackId ?? 0, m.ackMessage.success ?? false, m.ackMessage.error?.name]);
    assert.deepEqual(acks, [
        [0, true, undefined],
        [1, false, "Forbidden"],
        [0, false, "Duplicate"],
        [2, false, "InternalServerError"],
        [3, true, undefined],
        [4, true, undefined],
    ]);
    // The empty text published to a group it was in reached itself, as text.
    const echo = downstream(raw).find((m) => m.message === "dataMessage");
    assert.equal(echo.dataMessage.from, "group");
    assert.equal(echo.dataMessage.group, "allowed");
    assert.equal(echo.dataMessage.data.data, "textData");
    assert.equal(echo.dataMessage.data.textData, "");
    assert.equal(echo.dataMessage.sequenceId, undefined, "no sequence id on the non-reliable protocol");
});

test("raw protobuf client: a protobuf message in a text frame is read as protobuf (spec 6.1); replies are binary", async (t) => {
    const server = await startServer(t);
    const raw = await openRawClient(t, (await server.clientAccess("chat", {})).url, PROTOBUF_SUBPROTOCOL);
    await raw.waitForFrames(1);
    // An empty PingMessage in field 9 is the bytes 0x4a 0x00: valid UTF-8, so a text frame can hold it.
    raw.send(encodeUpstream({ pingMessage: {} }).toString("latin1"));
    await waitForDownstream(raw, (m) => m.message === "pongMessage", "the pong to a text-frame ping");
    assert.ok(raw.frames.every((f) => f.binary), "every reply is binary");
});

for (const [name, payload] of [
    ["bytes that are not protobuf", Buffer.from([0xff, 0xff, 0xff])],
    ["JSON (a JSON client's request)", Buffer.from('{"type":"joinGroup","group":"g"}')],
    ["an UpstreamMessage with nothing set", Buffer.alloc(0)],
    ["a join without a group", encodeUpstream({ joinGroupMessage: { ackId: 1 } })],
    ["json_data that is not JSON", encodeUpstream({ sendToGroupMessage: { group: "g", data: { jsonData: "{" } } })],
    ["a preview request (stream end)", encodeUpstream({ streamEndMessage: { streamId: "s" } })],
    ["an invoke without an invocation id", encodeUpstream({ invokeEventMessage: { event: "e" } })],
]) {
    test(`raw protobuf client: ${name} gets a protobuf disconnected, then close 1007`, async (t) => {
        const server = await startServer(t);
        const raw = await openRawClient(t, (await server.clientAccess("chat", { roles: [JOIN, SEND] })).url, PROTOBUF_SUBPROTOCOL);
        await raw.waitForFrames(1);
        raw.send(payload);
        const close = await raw.waitForClose();
        assert.equal(close.code, 1007, `close code (reason ${close.reason})`);
        const last = downstream(raw).at(-1);
        assert.equal(last.systemMessage?.message, "disconnectedMessage", `last frame: ${JSON.stringify(last)}`);
        assert.equal(last.systemMessage.disconnectedMessage.reason, close.reason, "the disconnected reason is the close reason");
    });
}

test("SIGTERM: a protobuf client gets a protobuf disconnected and close 1001; the SDK sees disconnected", async (t) => {
    const server = await startServer(t);
    const raw = await openRawClient(t, (await server.clientAccess("chat", {})).url, PROTOBUF_SUBPROTOCOL);
    await raw.waitForFrames(1);
    const sdk = await connectProtobufSdkClient(t, server, "chat", { userId: "pia" });

    const status = await server.terminate(5_000);
    assert.deepEqual(status, { code: 0, signal: null }, `hubcast exit status; stderr:\n${server.stderr}`);

    const close = await raw.waitForClose();
    assert.equal(close.code, 1001);
    const last = downstream(raw).at(-1);
    assert.equal(last.systemMessage?.message, "disconnectedMessage", `last frame: ${JSON.stringify(last)}`);
    assert.equal(typeof last.systemMessage.disconnectedMessage.reason, "string");

    const [event] = await waitFor(() => sdk.disconnects.length > 0 && sdk.disconnects, {
        what: "the SDK's disconnected event",
    });
    assert.equal(event.connectionId, sdk.connectionId);
    assert.equal(event.message?.kind, "disconnected", `the SDK kept the server's disconnected message: ${JSON.stringify(event)}`);
});

// protobuf.reliable.webpubsub.azure.v1 as raw frames (recovery through the SDK is in reliable.test.mjs).
test("raw reliable protobuf client: a reconnection token, data numbered from 1, and a recovery that replays what was not acked", async (t) => {
    const server = await startServer(t);
    const { baseUrl, url } = await server.clientAccess("chat", { userId: "raw", roles: [JOIN] });
    const raw = await openRawClient(t, url, PROTOBUF_RELIABLE_SUBPROTOCOL);
    assert.equal(raw.protocol, PROTOBUF_RELIABLE_SUBPROTOCOL);
    await raw.waitForFrames(1);
    const connected = downstream(raw)[0].systemMessage.connectedMessage;
    assert.ok(connected.reconnectionToken?.length > 0, `a reconnection token: ${JSON.stringify(connected)}`);
    raw.send(encodeUpstream({ joinGroupMessage: { group: "room", ackId: 1 } }));
    await waitForDownstream(raw, (m) => m.ackMessage?.ackId === 1, "the join ack");

    const publisher = await connectSdkClient(t, server, "chat", { userId: "pub", roles: [SEND] });
    const dataOf = (client) =>
        downstream(client)
            .filter((m) => m.message === "dataMessage")
            .map((m) => [m.dataMessage.sequenceId, m.dataMessage.data.data, m.dataMessage.data.textData ?? m.dataMessage.data.jsonData]);
    await acked(publisher.client.sendToGroup("room", "one", "text"), "one");
    await acked(publisher.client.sendToGroup("room", { n: 2 }, "json"), "two");
    await waitFor(() => dataOf(raw).length === 2, { what: "two numbered messages" });
    assert.deepEqual(dataOf(raw), [
        [1, "textData", "one"],
        [2, "jsonData", '{"n":2}'],
    ]);

    // Acknowledge the first only, lose the transport, miss one more: the recovery replays 2 and 3.
    raw.send(encodeUpstream({ sequenceAckMessage: { sequenceId: 1 } }));
    await new Promise((resolve) => raw.ws.once("close", resolve).terminate());
    await acked(publisher.client.sendToGroup("room", "three", "text"), "three");
    const query = `awps_connection_id=${encodeURIComponent(connected.connectionId)}&awps_reconnection_token=${encodeURIComponent(connected.reconnectionToken)}`;
    const recovered = await openRawClient(t, `${baseUrl}?${query}`, PROTOBUF_RELIABLE_SUBPROTOCOL);
    await waitFor(() => dataOf(recovered).length >= 2, { what: `the replay (have ${JSON.stringify(downstream(recovered))})` });
    assert.deepEqual(dataOf(recovered), [
        [2, "jsonData", '{"n":2}'],
        [3, "textData", "three"],
    ]);
    assert.ok(
        downstream(recovered).every((m) => m.message === "dataMessage"),
        "a recovery gets no new connected, only the replay",
    );
    await acked(publisher.client.sendToGroup("room", "four", "text"), "four");
    await waitFor(() => dataOf(recovered).length === 3, { what: "new traffic after the replay" });
    assert.deepEqual(dataOf(recovered)[2], [4, "textData", "four"]);
});

test("raw reliable protobuf client: a recovery that cannot succeed gets a protobuf disconnected, then close 1008", async (t) => {
    const server = await startServer(t);
    const { baseUrl } = await server.clientAccess("chat", {});
    const raw = await openRawClient(t, `${baseUrl}?awps_connection_id=gone&awps_reconnection_token=forged`, PROTOBUF_RELIABLE_SUBPROTOCOL);
    const close = await raw.waitForClose();
    assert.equal(close.code, 1008, `close code (reason ${close.reason})`);
    const frames = downstream(raw);
    assert.equal(frames.length, 1, `only the disconnected message: ${JSON.stringify(frames)}`);
    assert.equal(frames[0].systemMessage?.disconnectedMessage?.reason, "The connection could not be recovered.");
});
