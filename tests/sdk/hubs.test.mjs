// Hubs and client tokens (spec sections 1 and 2): hub isolation, both client endpoints, and the
// upgrade refusals a Web PubSub client sees for bad tokens.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { connectSdkClient, JSON_SUBPROTOCOL, openRawClient, upgradeStatus } from "./support/clients.mjs";
import { exitPromptlyWhenDone, randomAccessKey, startServer, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ACK_TIMEOUT_MS = 5_000;
const BOTH = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

function acked(promise, what) {
    return withDeadline(promise, ACK_TIMEOUT_MS, `the ack for ${what}`);
}

test("hub isolation: the same group name in two hubs shares nothing", async (t) => {
    const server = await startServer(t);
    const inA = await connectSdkClient(t, server, "hubA", { userId: "a", roles: BOTH });
    const inB = await connectSdkClient(t, server, "hubB", { userId: "b", roles: BOTH });
    const simpleInB = await openRawClient(t, (await server.clientAccess("hubB", { groups: ["shared"] })).url);
    await acked(inA.client.joinGroup("shared"), "joinGroup in hubA");
    await acked(inB.client.joinGroup("shared"), "joinGroup in hubB");

    const senderA = await connectSdkClient(t, server, "hubA", { userId: "senderA", roles: BOTH });
    const senderB = await connectSdkClient(t, server, "hubB", { userId: "senderB", roles: BOTH });
    await acked(senderA.client.sendToGroup("shared", "from hubA", "text"), "publish in hubA");
    await acked(senderB.client.sendToGroup("shared", "from hubB", "text"), "publish in hubB");
    // Barriers: each receiver publishes to its own group after both publishes were acked; a
    // message that crossed hubs would have been queued to it before its own echo.
    await acked(inA.client.sendToGroup("shared", "barrier A", "text"), "barrier in hubA");
    await acked(inB.client.sendToGroup("shared", "barrier B", "text"), "barrier in hubB");

    await inA.waitForGroupMessage((m) => m.data === "barrier A", "the hubA barrier");
    await inB.waitForGroupMessage((m) => m.data === "barrier B", "the hubB barrier");
    await simpleInB.waitForFrames(2);
    assert.deepEqual(inA.groupMessages.map((m) => m.data), ["from hubA", "barrier A"]);
    assert.deepEqual(inB.groupMessages.map((m) => m.data), ["from hubB", "barrier B"]);
    assert.deepEqual(simpleInB.frames.map((f) => f.data), ["from hubB", "barrier B"]);
});

test("/client/?hub={hub} reaches the same hub as /client/hubs/{hub}", async (t) => {
    const server = await startServer(t);
    const viaPath = await connectSdkClient(t, server, "chat", { userId: "path", roles: BOTH });
    await acked(viaPath.client.joinGroup("room"), "joinGroup");

    const { token } = await server.clientAccess("chat", { userId: "query", roles: ["webpubsub.sendToGroup"] });
    const viaQuery = await openRawClient(t, `${server.wsUrl}/client/?hub=chat&access_token=${token}`, JSON_SUBPROTOCOL);
    const connected = await viaQuery.waitForMessage((m) => m.type === "system" && m.event === "connected", "connected");
    assert.equal(connected.userId, "query");

    viaQuery.send({ type: "sendToGroup", group: "room", ackId: 1, dataType: "text", data: "via query" });
    await viaQuery.waitForMessage((m) => m.type === "ack" && m.ackId === 1, "the sendToGroup ack");
    assert.deepEqual(viaQuery.messages.find((m) => m.type === "ack"), { type: "ack", ackId: 1, success: true });
    const got = await viaPath.waitForGroupMessage((m) => m.data === "via query", "the message sent via /client/?hub=");
    assert.equal(got.fromUserId, "query");
});

test("refused upgrades: wrong key, wrong hub in the audience, expired or missing token are 401", async (t) => {
    const server = await startServer(t);
    const hubUrl = `${server.wsUrl}/client/hubs/chat`;

    const wrongKey = await server.clientAccess("chat", { userId: "u" }, server.connectionStringWithKey(randomAccessKey()));
    assert.equal((await upgradeStatus(wrongKey.url)).status, 401, "token signed with another key");

    const otherHub = await server.clientAccess("other", { userId: "u" });
    assert.equal((await upgradeStatus(`${hubUrl}?access_token=${otherHub.token}`)).status, 401, "audience names hub 'other'");
    assert.equal(
        (await upgradeStatus(`${server.wsUrl}/client/?hub=chat&access_token=${otherHub.token}`)).status,
        401,
        "audience names hub 'other' (query form)",
    );

    // Expired well beyond any clock-skew allowance (spec 2.4: 5 minutes).
    const expired = await server.clientAccess("chat", { userId: "u", expirationTimeInMinutes: -30 });
    assert.equal((await upgradeStatus(expired.url)).status, 401, "expired token");

    assert.equal((await upgradeStatus(hubUrl)).status, 401, "no token");
    assert.equal((await upgradeStatus(`${hubUrl}?access_token=not.a.jwt`)).status, 401, "malformed token");
    assert.equal((await upgradeStatus(wrongKey.url, undefined)).status, 401, "wrong key, simple client");

    // The server keeps serving well-formed clients.
    const ok = await connectSdkClient(t, server, "chat", { userId: "fine" });
    assert.equal(ok.userId, "fine");
});

test("the SDK's start() fails when the upgrade is refused", async (t) => {
    const server = await startServer(t);
    const client = new WebPubSubClient(
        {
            getClientAccessUrl: async () =>
                (await server.clientAccess("chat", { userId: "u" }, server.connectionStringWithKey(randomAccessKey()))).url,
        },
        { protocol: WebPubSubJsonProtocol(), autoReconnect: false },
    );
    t.after(() => client.stop());
    let connected = false;
    client.on("connected", () => {
        connected = true;
    });
    await assert.rejects(withDeadline(client.start(), 5_000, "start() to settle"), (err) => {
        assert.match(String(err?.message ?? err), /401/, `the error names the 401: ${err?.stack ?? err}`);
        return true;
    });
    assert.equal(connected, false);
});

test("a token signed with the second --access-key is accepted too", async (t) => {
    const primary = randomAccessKey();
    const secondary = randomAccessKey();
    const server = await startServer(t, { accessKeys: [primary, secondary] });
    assert.match(server.connectionString, new RegExp(`AccessKey=${primary};`), "the connection string carries the first key");

    const one = await connectSdkClient(t, server, "chat", { userId: "one" });
    assert.equal(one.userId, "one");
    const two = await openRawClient(
        t,
        (await server.clientAccess("chat", { userId: "two" }, server.connectionStringWithKey(secondary))).url,
        JSON_SUBPROTOCOL,
    );
    const connected = await two.waitForMessage((m) => m.type === "system" && m.event === "connected", "connected");
    assert.equal(connected.userId, "two");
});

test("a token with an invalid group name is refused with 400", async (t) => {
    const server = await startServer(t);
    const { url } = await server.clientAccess("chat", { userId: "u", groups: ["ok", "   "] });
    const { status } = await upgradeStatus(url);
    assert.equal(status, 400, "a whitespace-only group in webpubsub.group (spec 2.5, 8)");
});
