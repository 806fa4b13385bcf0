// Token roles and groups (spec sections 2.3 and 7) as the official SDKs produce them:
// `roles` and `groups` passed to WebPubSubServiceClient.getClientAccessToken.

import assert from "node:assert/strict";
import { test } from "node:test";
import { connectSdkClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ACK_TIMEOUT_MS = 5_000;

function acked(promise, what) {
    return withDeadline(promise, ACK_TIMEOUT_MS, `the ack for ${what}`);
}

/** Expects the SDK call to be rejected with a Forbidden ack (spec 7.4). */
async function forbidden(promise, what) {
    await assert.rejects(acked(promise, what), (err) => {
        assert.equal(err.name, "SendMessageError", `${what}: expected a SendMessageError, got ${err.stack}`);
        assert.equal(err.errorDetail?.name, "Forbidden", `${what}: errorDetail ${JSON.stringify(err.errorDetail)}`);
        return true;
    });
}

test("a client without roles may not join, leave or publish: Forbidden acks, nothing delivered, connection kept", async (t) => {
    const server = await startServer(t);
    const receiver = await connectSdkClient(t, server, "chat", { userId: "receiver", groups: ["room1"] });
    const nobody = await connectSdkClient(t, server, "chat", { userId: "nobody" });
    const publisher = await connectSdkClient(t, server, "chat", { userId: "publisher", roles: ["webpubsub.sendToGroup"] });

    await forbidden(nobody.client.joinGroup("room1"), "joinGroup without a role");
    await forbidden(nobody.client.leaveGroup("room1"), "leaveGroup without a role");
    await forbidden(nobody.client.sendToGroup("room1", "should not arrive", "text"), "sendToGroup without a role");

    await acked(publisher.client.sendToGroup("room1", "allowed", "text"), "sendToGroup with the role");
    await receiver.waitForGroupMessage((m) => m.data === "allowed", "the allowed message");
    assert.deepEqual(receiver.groupMessages.map((m) => m.data), ["allowed"], "the forbidden publish was not delivered");
    assert.equal(nobody.disconnects.length, 0, "a forbidden request does not close the connection");
});

test("webpubsub.joinLeaveGroup.room1 allows joining and leaving room1 only", async (t) => {
    const server = await startServer(t);
    const client = await connectSdkClient(t, server, "chat", { userId: "u", roles: ["webpubsub.joinLeaveGroup.room1"] });

    await acked(client.client.joinGroup("room1"), "joinGroup room1");
    await forbidden(client.client.joinGroup("room2"), "joinGroup room2");
    await forbidden(client.client.joinGroup("room1.sub"), "joinGroup room1.sub (a literal role is not a prefix)");
    await forbidden(client.client.joinGroup("Room1"), "joinGroup Room1 (roles are case-sensitive)");
    await forbidden(client.client.sendToGroup("room1", "x", "text"), "sendToGroup room1 (joining grants no publishing)");
    await acked(client.client.leaveGroup("room1"), "leaveGroup room1");
});

test("webpubsub.sendToGroup.room1 allows publishing to room1 only", async (t) => {
    const server = await startServer(t);
    const receiver = await connectSdkClient(t, server, "chat", { userId: "receiver", groups: ["room1", "room2"] });
    const sender = await connectSdkClient(t, server, "chat", { userId: "sender", roles: ["webpubsub.sendToGroup.room1"] });

    await forbidden(sender.client.sendToGroup("room2", "to room2", "text"), "sendToGroup room2");
    await forbidden(sender.client.joinGroup("room1"), "joinGroup room1 (publishing grants no joining)");
    await acked(sender.client.sendToGroup("room1", "to room1", "text"), "sendToGroup room1");

    await receiver.waitForGroupMessage((m) => m.data === "to room1", "the room1 message");
    assert.deepEqual(receiver.groupMessages.map((m) => [m.group, m.data]), [["room1", "to room1"]]);
});

test("wildcard roles: webpubsub.sendToGroups.chat.* and webpubsub.joinLeaveGroups.chat.**", async (t) => {
    const server = await startServer(t);
    const receiver = await connectSdkClient(t, server, "chat", {
        userId: "receiver",
        roles: ["webpubsub.joinLeaveGroups.chat.**"],
    });
    const sender = await connectSdkClient(t, server, "chat", { userId: "sender", roles: ["webpubsub.sendToGroups.chat.*"] });

    // `**` matches across dots, so chat.a.b may be joined; other prefixes may not.
    await acked(receiver.client.joinGroup("chat.general"), "joinGroup chat.general");
    await acked(receiver.client.joinGroup("chat.a.b"), "joinGroup chat.a.b");
    await forbidden(receiver.client.joinGroup("news.general"), "joinGroup news.general");
    await forbidden(receiver.client.joinGroup("chat"), "joinGroup chat (the pattern needs the dot)");

    // `*` stays within one level.
    await acked(sender.client.sendToGroup("chat.general", "general", "text"), "sendToGroup chat.general");
    await forbidden(sender.client.sendToGroup("chat.a.b", "two levels", "text"), "sendToGroup chat.a.b");
    await forbidden(sender.client.sendToGroup("news.general", "news", "text"), "sendToGroup news.general");
    await forbidden(sender.client.sendToGroup("chat", "bare", "text"), "sendToGroup chat");
    await acked(sender.client.sendToGroup("chat.random", "random", "text"), "sendToGroup chat.random");

    await receiver.waitForGroupMessage((m) => m.data === "general", "the chat.general message");
    assert.deepEqual(receiver.groupMessages.map((m) => [m.group, m.data, m.fromUserId]), [["chat.general", "general", "sender"]]);
});

test("the groups token option joins groups at connect, and grants no publishing", async (t) => {
    const server = await startServer(t);
    const member = await connectSdkClient(t, server, "chat", { userId: "member", groups: ["room1", "room2"] });
    const sender = await connectSdkClient(t, server, "chat", { userId: "sender", roles: ["webpubsub.sendToGroup"] });

    await acked(sender.client.sendToGroup("room1", "one", "text"), "sendToGroup room1");
    await acked(sender.client.sendToGroup("room2", { two: 2 }, "json"), "sendToGroup room2");
    await acked(sender.client.sendToGroup("room3", "three", "text"), "sendToGroup room3");
    await acked(sender.client.sendToGroup("room1", "last", "text"), "sendToGroup room1 again");

    await member.waitForGroupMessage((m) => m.data === "last", "the last room1 message");
    assert.deepEqual(
        member.groupMessages.map((m) => [m.group, m.dataType, m.data]),
        [
            ["room1", "text", "one"],
            ["room2", "json", { two: 2 }],
            ["room1", "text", "last"],
        ],
        "received from both token groups, not from room3",
    );
    await forbidden(member.client.sendToGroup("room1", "x", "text"), "sendToGroup by a token-group member without a role");
});
