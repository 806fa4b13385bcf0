// Permissions through @azure/web-pubsub (spec 2.3 #17-#19, client spec 7): grantPermission,
// revokePermission and hasPermission, each with a visible effect on an official JSON client —
// a request answered Forbidden succeeds after the grant and is Forbidden again after the revoke.

import assert from "node:assert/strict";
import { test } from "node:test";
import { exitPromptlyWhenDone, startServer, withDeadline } from "./support/server.mjs";
import { call, drain, jsonClient, restClient, restError } from "./support/rest.mjs";

exitPromptlyWhenDone();

const HUB = "chat";
const JOIN = "joinLeaveGroup";
const SEND = "sendToGroup";

function acked(promise, what) {
    return withDeadline(promise, 5_000, `the ack for ${what}`);
}

async function forbidden(promise, what) {
    await assert.rejects(acked(promise, what), (err) => {
        assert.equal(err.name, "SendMessageError", `${what}: expected a SendMessageError, got ${err.stack}`);
        assert.equal(err.errorDetail?.name, "Forbidden", `${what}: errorDetail ${JSON.stringify(err.errorDetail)}`);
        return true;
    });
}

test("joinLeaveGroup granted and revoked per group and for all groups: joinGroup/leaveGroup follow, hasPermission agrees", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const client = await jsonClient(t, server, HUB, { userId: "p" });
    const id = client.connectionId;
    const has = (permission, targetName) =>
        call(admin.hasPermission(id, permission, targetName === undefined ? {} : { targetName }), `hasPermission ${permission} ${targetName ?? "(all groups)"}`);

    assert.deepEqual([await has(JOIN, "g1"), await has(JOIN), await has(SEND, "g1")], [false, false, false]);
    await forbidden(client.client.joinGroup("g1"), "joinGroup g1 before any grant");

    await call(admin.grantPermission(id, JOIN, { targetName: "g1" }), "grantPermission joinLeaveGroup g1");
    assert.deepEqual([await has(JOIN, "g1"), await has(JOIN, "g2"), await has(JOIN), await has(SEND, "g1")], [true, false, false, false]);
    await acked(client.client.joinGroup("g1"), "joinGroup g1 after the grant");
    await forbidden(client.client.joinGroup("g2"), "joinGroup g2 (granted g1 only)");
    await call(admin.group("g1").sendToAll("to g1", { contentType: "text/plain" }), "group(g1).sendToAll");
    const [got] = await drain(admin, [client]);
    assert.equal(got.length, 1, `the joined client receives g1's messages: ${JSON.stringify(got)}`);
    assert.equal(got[0].data, "to g1");

    await call(admin.revokePermission(id, JOIN, { targetName: "g1" }), "revokePermission joinLeaveGroup g1");
    assert.equal(await has(JOIN, "g1"), false);
    await forbidden(client.client.leaveGroup("g1"), "leaveGroup g1 after the revoke");
    await forbidden(client.client.joinGroup("g1"), "joinGroup g1 after the revoke");
    assert.equal(await call(admin.groupExists("g1"), "groupExists g1"), true, "revoking does not remove the connection from the group");

    await call(admin.grantPermission(id, JOIN), "grantPermission joinLeaveGroup for all groups");
    assert.deepEqual([await has(JOIN), await has(JOIN, "g2"), await has(JOIN, "anything")], [true, true, true]);
    await acked(client.client.joinGroup("g2"), "joinGroup g2 with the all-groups grant");
    await acked(client.client.leaveGroup("g1"), "leaveGroup g1 with the all-groups grant");

    await call(admin.revokePermission(id, JOIN, { targetName: "g3" }), "revokePermission joinLeaveGroup g3 only");
    assert.deepEqual([await has(JOIN, "g3"), await has(JOIN, "g4")], [false, true]);
    await forbidden(client.client.joinGroup("g3"), "joinGroup g3 after revoking g3 from an all-groups grant");
    await acked(client.client.joinGroup("g4"), "joinGroup g4");

    await call(admin.revokePermission(id, JOIN), "revokePermission joinLeaveGroup for all groups");
    assert.deepEqual([await has(JOIN), await has(JOIN, "g4"), await has(JOIN, "g5")], [false, false, false]);
    await forbidden(client.client.joinGroup("g5"), "joinGroup g5 after revoking all");
    await forbidden(client.client.leaveGroup("g4"), "leaveGroup g4 after revoking all");
    assert.equal(client.disconnects.length, 0, "Forbidden never closes the connection");
});

test("sendToGroup granted and revoked: the client's publish is delivered only while granted", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const receiver = await jsonClient(t, server, HUB, { userId: "receiver", groups: ["room"] });
    const sender = await jsonClient(t, server, HUB, { userId: "sender" });
    const roleHolder = await jsonClient(t, server, HUB, { userId: "holder", roles: ["webpubsub.sendToGroup.room"] });
    const has = (connectionId, targetName) => call(admin.hasPermission(connectionId, SEND, { targetName }), `hasPermission sendToGroup ${targetName}`);

    await forbidden(sender.client.sendToGroup("room", "too early", "text"), "sendToGroup before the grant");
    assert.equal(await has(sender.connectionId, "room"), false);
    assert.equal(await has(roleHolder.connectionId, "room"), true, "a token role shows in hasPermission");
    assert.equal(await has(roleHolder.connectionId, "hall"), false);

    await call(admin.grantPermission(sender.connectionId, SEND, { targetName: "room" }), "grantPermission sendToGroup room");
    assert.equal(await has(sender.connectionId, "room"), true);
    await acked(sender.client.sendToGroup("room", "granted", "text"), "sendToGroup after the grant");
    await forbidden(sender.client.sendToGroup("hall", "other group", "text"), "sendToGroup hall (granted room only)");
    await receiver.waitForGroupMessage((m) => m.data === "granted", "the granted publish");

    await call(admin.revokePermission(sender.connectionId, SEND, { targetName: "room" }), "revokePermission sendToGroup room");
    await call(admin.revokePermission(roleHolder.connectionId, SEND, { targetName: "room" }), "revokePermission of a token role");
    assert.deepEqual([await has(sender.connectionId, "room"), await has(roleHolder.connectionId, "room")], [false, false]);
    await forbidden(sender.client.sendToGroup("room", "revoked", "text"), "sendToGroup after the revoke");
    await forbidden(roleHolder.client.sendToGroup("room", "revoked role", "text"), "sendToGroup after revoking the token role");

    const [got] = await drain(admin, [receiver]);
    assert.deepEqual(got.map((m) => [m.from, m.data]), [["group", "granted"]], "only the granted publish was delivered");
});

test("permission calls on absent connections and with a bad permission name", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const client = await jsonClient(t, server, HUB, { userId: "x" });

    const absent = await restError(admin.grantPermission("no-such-connection", JOIN), 404, "grantPermission on an absent connection");
    assert.match(absent.message, /connection/i);
    assert.equal(await call(admin.hasPermission("no-such-connection", JOIN), "hasPermission on an absent connection"), false);
    await call(admin.revokePermission("no-such-connection", SEND, { targetName: "g" }), "revokePermission on an absent connection");

    const bad = await restError(admin.grantPermission(client.connectionId, "bogus"), 400, "grantPermission with a bad permission name");
    assert.match(bad.message, /permission/i);
    await restError(admin.revokePermission(client.connectionId, "bogus"), 400, "revokePermission with a bad permission name");
    // HEAD has no body: the status alone tells the SDK it failed.
    await restError(admin.hasPermission(client.connectionId, "bogus"), 400, "hasPermission with a bad permission name");
    assert.equal(await call(admin.hasPermission(client.connectionId, JOIN), "hasPermission"), false, "nothing was granted");
});
