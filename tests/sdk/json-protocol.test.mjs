// The JSON subprotocol's framing rules (spec 4.1, 8) as seen by plain and SDK clients: lenient
// parsing of what other official SDKs send, and the closes for bad or oversized frames.

import assert from "node:assert/strict";
import { test } from "node:test";
import { connectSdkClient, JSON_SUBPROTOCOL, openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const BOTH = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

test("requests are parsed leniently: capitalised type and dataType (.NET), JSON in a binary frame, unknown fields", async (t) => {
    const server = await startServer(t);
    const receiver = await connectSdkClient(t, server, "chat", { userId: "receiver", groups: ["room"] });
    const raw = await openRawClient(t, (await server.clientAccess("chat", { userId: "dotnet", roles: BOTH })).url, JSON_SUBPROTOCOL);

    raw.send({ noEcho: true, data: "capitals", dataType: "Text", group: "room", ackId: 1, type: "SendToGroup" });
    raw.send(Buffer.from(JSON.stringify({ type: "sendToGroup", group: "room", ackId: 2, dataType: "json", data: { in: "binary frame" } })));
    raw.send({ type: "sendToGroup", group: "room", ackId: 3, dataType: "binary", data: Buffer.from("bytes").toString("base64"), future: { x: 1 } });
    await raw.waitForMessage((m) => m.type === "ack" && m.ackId === 3, "the third ack");
    assert.deepEqual(
        raw.messages.filter((m) => m.type === "ack"),
        [1, 2, 3].map((ackId) => ({ type: "ack", ackId, success: true })),
    );

    const got = await receiver.waitForGroupMessageCount(3);
    assert.deepEqual(
        got.map((m) => [m.dataType, m.fromUserId]),
        [
            ["text", "dotnet"],
            ["json", "dotnet"],
            ["binary", "dotnet"],
        ],
        "downstream dataType is lowercase whatever the request's case (spec 4.4)",
    );
    assert.equal(got[0].data, "capitals");
    assert.deepEqual(got[1].data, { in: "binary frame" });
    assert.equal(Buffer.from(got[2].data).toString(), "bytes");
});

test("a frame that is not a valid JSON protocol message closes the connection with 1007", async (t) => {
    const server = await startServer(t);
    const { url } = await server.clientAccess("chat", { roles: BOTH });
    for (const bad of [
        "not json",
        "[1,2,3]",
        JSON.stringify({ type: "noSuchType", ackId: 1 }),
        JSON.stringify({ type: "sendToGroup", group: "room", ackId: 1, dataType: "binary", data: "%%% not base64" }),
        JSON.stringify({ type: "sendToGroup", group: "room", ackId: 1, dataType: "text", data: 42 }),
    ]) {
        const raw = await openRawClient(t, url, JSON_SUBPROTOCOL);
        await raw.waitForMessage((m) => m.type === "system" && m.event === "connected", "connected");
        raw.send(bad);
        const close = await raw.waitForClose();
        assert.equal(close.code, 1007, `close code for ${bad}`);
    }
});

test("a message over 1 MiB closes the connection with 1009; the SDK rejects the pending send and reports disconnected", async (t) => {
    const server = await startServer(t);
    const { url } = await server.clientAccess("chat", { roles: BOTH });
    const raw = await openRawClient(t, url, JSON_SUBPROTOCOL);
    await raw.waitForMessage((m) => m.type === "system" && m.event === "connected", "connected");
    raw.send({ type: "sendToGroup", group: "room", ackId: 1, dataType: "text", data: "x".repeat(1024 * 1024 + 1024) });
    const close = await raw.waitForClose();
    assert.equal(close.code, 1009);

    const sdk = await connectSdkClient(t, server, "chat", { userId: "big", roles: BOTH });
    await assert.rejects(
        withDeadline(sdk.client.sendToGroup("room", "y".repeat(1024 * 1024 + 1024), "text"), 5_000, "the oversized send to settle"),
        (err) => {
            assert.equal(err.name, "SendMessageError");
            return true;
        },
    );
    const [event] = await waitFor(() => sdk.disconnects.length > 0 && sdk.disconnects, { what: "the SDK's disconnected event" });
    assert.equal(event.connectionId, sdk.connectionId);
});
