// Message metadata (docs/protocol.md, "Metadata"): what a REST send's X-WebPubSub-Metadata-*
// headers and a client sendToGroup's `metadata` carry reaches the official
// @azure/web-pubsub-client as the `metadata` of the message it hands to its handlers (the client
// keeps every member of a message it reads). The client itself has no way to send metadata, so the
// publisher is a raw JSON client.

import assert from "node:assert/strict";
import { test } from "node:test";
import { connectSdkClient, openRawClient, JSON_SUBPROTOCOL } from "./support/clients.mjs";
import { API_VERSION, signedFetch } from "./support/rest.mjs";
import { exitPromptlyWhenDone, startServer, waitFor } from "./support/server.mjs";

exitPromptlyWhenDone();

test("a REST send's metadata headers reach the client's group and server messages", async (t) => {
    const server = await startServer(t);
    const sdk = await connectSdkClient(t, server, "chat", { userId: "alice", groups: ["room"] });

    const toGroup = await signedFetch(server, "POST", `/api/hubs/chat/groups/room/:send?api-version=${API_VERSION}`, {
        body: "to the room",
        contentType: "text/plain",
        headers: { "X-WebPubSub-Metadata-Trace-Id": "rest-1" },
    });
    assert.equal(toGroup.status, 202, toGroup.body);
    const groupMessage = await sdk.waitForGroupMessage((m) => m.data === "to the room", "the group message");
    assert.deepEqual(groupMessage.metadata, { "trace-id": "rest-1" });

    const toUser = await signedFetch(server, "POST", `/api/hubs/chat/users/alice/:send?api-version=${API_VERSION}`, {
        body: JSON.stringify({ n: 1 }),
        contentType: "application/json",
        headers: { "x-webpubsub-metadata-kind": "notice" },
    });
    assert.equal(toUser.status, 202, toUser.body);
    const serverMessage = await waitFor(() => sdk.serverMessages.find((m) => m.data?.n === 1), { what: "the server message" });
    assert.deepEqual(serverMessage.metadata, { kind: "notice" });

    const refused = await signedFetch(server, "POST", `/api/hubs/chat/:send?api-version=${API_VERSION}`, {
        body: "x",
        contentType: "text/plain",
        headers: { "X-WebPubSub-Metadata-Big": "v".repeat(1025) },
    });
    assert.equal(refused.status, 400, "a value over 1024 characters");
});

test("a client's sendToGroup metadata reaches the other members", async (t) => {
    const server = await startServer(t);
    const sdk = await connectSdkClient(t, server, "chat", { userId: "alice", groups: ["room"] });
    const { url } = await server.clientAccess("chat", { userId: "bob", roles: ["webpubsub.sendToGroup.room"] });
    const publisher = await openRawClient(t, url, JSON_SUBPROTOCOL);
    await publisher.waitForMessage((m) => m.event === "connected", "bob's connected");
    publisher.send({ type: "sendToGroup", group: "room", ackId: 1, dataType: "text", data: "hello", metadata: { "trace-id": "c-1", lang: "en" } });
    await publisher.waitForMessage((m) => m.type === "ack" && m.ackId === 1 && m.success, "the ack");
    const message = await sdk.waitForGroupMessage((m) => m.data === "hello", "the group message");
    assert.equal(message.fromUserId, "bob");
    assert.deepEqual(message.metadata, { "trace-id": "c-1", lang: "en" });
});
