// Simple WebSocket clients (no subprotocol, spec 3.4 and 4.3) side by side with SDK clients.

import assert from "node:assert/strict";
import { test } from "node:test";
import { arrayBuffer, connectSdkClient, openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ACK_TIMEOUT_MS = 5_000;

function acked(promise, what) {
    return withDeadline(promise, ACK_TIMEOUT_MS, `the ack for ${what}`);
}

test("a simple client in a token group receives group messages as raw frames: text for text and json, binary for binary", async (t) => {
    const server = await startServer(t);
    const member = await openRawClient(t, (await server.clientAccess("chat", { userId: "simple", groups: ["room"] })).url);
    const outsider = await openRawClient(t, (await server.clientAccess("chat", { userId: "outsider", groups: ["elsewhere"] })).url);
    assert.equal(member.protocol, "", "no subprotocol offered, none selected in the 101 response");

    const publisher = await connectSdkClient(t, server, "chat", { userId: "publisher", roles: ["webpubsub.sendToGroup"] });
    await acked(publisher.client.sendToGroup("room", "plain text ✓", "text"), "text");
    await acked(publisher.client.sendToGroup("room", { a: 1, b: ["x", null] }, "json"), "json object");
    await acked(publisher.client.sendToGroup("room", "hello", "json"), "json string");
    await acked(publisher.client.sendToGroup("room", arrayBuffer([0, 255, 10, 13, 0xc3]), "binary"), "binary");
    // Sent after everything above: once the outsider has it, anything for "room" would be there too.
    await acked(publisher.client.sendToGroup("elsewhere", "barrier", "text"), "barrier");

    const frames = await member.waitForFrames(4);
    assert.deepEqual(
        frames,
        [
            { binary: false, data: "plain text ✓" },
            { binary: false, data: '{"a":1,"b":["x",null]}' },
            { binary: false, data: '"hello"' },
            { binary: true, data: Buffer.from([0, 255, 10, 13, 0xc3]) },
        ],
        "raw payloads only: no connected frame, no JSON envelope; json keeps its quotes",
    );
    await outsider.waitForFrames(1);
    assert.deepEqual(outsider.frames, [{ binary: false, data: "barrier" }], "a simple client gets nothing from groups it is not in");
});

test("simple and JSON clients share groups: a JSON client's publish reaches both kinds of member", async (t) => {
    const server = await startServer(t);
    const simple = await openRawClient(t, (await server.clientAccess("chat", { groups: ["room"] })).url);
    const sdk = await connectSdkClient(t, server, "chat", { userId: "sdk", roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"] });
    await acked(sdk.client.joinGroup("room"), "joinGroup");

    await acked(sdk.client.sendToGroup("room", "to everyone", "text"), "sendToGroup");
    await sdk.waitForGroupMessage((m) => m.data === "to everyone", "the SDK client's echo");
    await simple.waitForFrames(1);
    assert.deepEqual(simple.frames, [{ binary: false, data: "to everyone" }]);
    assert.equal(simple.closeEvent, undefined, "the simple client is still connected");
});

test("a simple client's frames are dropped and counted until an event handler exists; it stays connected", async (t) => {
    // Issue 2 settles this for the server without event handlers: inbound frames of simple
    // clients are dropped and counted (hubcast_simple_client_messages_dropped_total), and the
    // connection keeps working. Event handlers (a later issue) will take these frames.
    const server = await startServer(t);
    const metric = async () => {
        const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith("hubcast_simple_client_messages_dropped_total "));
        return Number(line.split(" ")[1]);
    };
    const before = await metric();
    const simple = await openRawClient(t, (await server.clientAccess("chat", { groups: ["room"] })).url);
    const bystander = await openRawClient(t, (await server.clientAccess("chat", { groups: ["room"] })).url);

    simple.send("hello upstream?");
    simple.send(Buffer.from([1, 2, 3]));
    await waitFor(async () => (await metric()) === before + 2, { timeoutMs: 5000 });

    const publisher = await connectSdkClient(t, server, "chat", { roles: ["webpubsub.sendToGroup"] });
    await acked(publisher.client.sendToGroup("room", "still served", "text"), "sendToGroup");
    await bystander.waitForFrames(1);
    await simple.waitForFrames(1);
    assert.deepEqual(bystander.frames, [{ binary: false, data: "still served" }], "other clients are unaffected");
    assert.deepEqual(simple.frames, [{ binary: false, data: "still served" }], "the sender is still connected");
});
