// Closing connections through @azure/web-pubsub (spec 2.3 #3 #7 #12 #21): closeConnection,
// closeUserConnections, closeAllConnections and group.closeAllConnections, with a reason and with
// `excluded`. The official client reports `disconnected` carrying the reason (from the
// `system/disconnected` message); a simple client gets a close frame with the reason. Survivors
// are proven alive with `drain` (they still receive a message sent after the close). A close
// answers once the connections are forgotten, so the existence checks made right after it (before
// any client has seen its close) already answer false.

import assert from "node:assert/strict";
import { test } from "node:test";
import { exitPromptlyWhenDone, startServer, waitFor } from "./support/server.mjs";
import { call, drain, jsonClient, restClient, simpleClient } from "./support/rest.mjs";

exitPromptlyWhenDone();

const HUB = "chat";
// hubcast closes REST-closed connections with 1008 (rest_options::close_code); the official client
// treats 1008 as "do not recover", which is what an app server that closed a connection wants.
const CLOSE_CODE = 1008;

async function expectClosed(client, reason, what) {
    if (client.kind === "simple") {
        const close = await client.waitForClose();
        assert.deepEqual(close, { code: CLOSE_CODE, reason }, `${what}: the simple client's close frame`);
        return;
    }
    const [event] = await waitFor(() => client.disconnects.length > 0 && client.disconnects, {
        what: `${what}: the disconnected event of ${client.connectionId}`,
    });
    assert.equal(event.connectionId, client.connectionId, what);
    assert.equal(event.message?.message, reason, `${what}: disconnected carries the reason (${JSON.stringify(event.message)})`);
    await waitFor(() => client.stopped, { what: `${what}: the client to stop (no auto-reconnect)` });
    assert.equal(client.disconnects.length, 1, what);
}

async function expectAlive(admin, clients, what) {
    const got = await drain(admin, clients);
    assert.deepEqual(got, clients.map(() => []), `${what}: survivors got only the marker`);
    for (const client of clients) {
        if (client.kind === "simple") assert.equal(client.closeEvent, undefined, `${what}: ${client.connectionId} is open`);
        else assert.equal(client.disconnects.length, 0, `${what}: ${client.connectionId} was not disconnected`);
    }
}

async function expectGone(admin, clients, what) {
    for (const client of clients) {
        assert.equal(await call(admin.connectionExists(client.connectionId), "connectionExists"), false, `${what}: ${client.connectionId} still exists`);
    }
}

test("closeConnection closes one JSON or simple connection with the reason (a long one truncated only in the close frame); the others stay", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const json = await jsonClient(t, server, HUB, { userId: "j" });
    const simple = await simpleClient(t, server, HUB, { userId: "s" });
    const bystander = await jsonClient(t, server, HUB, { userId: "j" });
    const noReason = await jsonClient(t, server, HUB, { userId: "n" });

    await call(admin.closeConnection(json.connectionId, { reason: "Maintenance window ü" }), "closeConnection json");
    await expectGone(admin, [json], "closeConnection json");
    await expectClosed(json, "Maintenance window ü", "closeConnection json");
    await call(admin.closeConnection(simple.connectionId, { reason: "bye, simple client" }), "closeConnection simple");
    await expectGone(admin, [simple], "closeConnection simple");
    await expectClosed(simple, "bye, simple client", "closeConnection simple");

    await call(admin.closeConnection(noReason.connectionId), "closeConnection without a reason");
    await expectGone(admin, [noReason], "closeConnection without a reason");
    const [event] = await waitFor(() => noReason.disconnects.length > 0 && noReason.disconnects, { what: "disconnected without a reason" });
    assert.equal(event.connectionId, noReason.connectionId);
    assert.ok(!event.message?.message, `no reason given, none reported: ${JSON.stringify(event.message)}`);

    // A close frame's reason holds at most 123 bytes (RFC 6455 5.5); the JSON message has no limit.
    const long = "ü".repeat(100);
    const longJson = await jsonClient(t, server, HUB, { userId: "l" });
    const longSimple = await simpleClient(t, server, HUB, { userId: "l" });
    await call(admin.closeUserConnections("l", { reason: long }), "closeUserConnections with a 200-byte reason");
    await expectGone(admin, [longJson, longSimple], "closeUserConnections with a 200-byte reason");
    await expectClosed(longJson, long, "a 200-byte reason");
    const close = await longSimple.waitForClose();
    assert.equal(close.code, CLOSE_CODE);
    assert.ok(Buffer.byteLength(close.reason) <= 123 && close.reason.length > 0 && long.startsWith(close.reason), `truncated on a character boundary: ${close.reason}`);

    await call(admin.closeConnection("no-such-connection", { reason: "x" }), "closeConnection of an absent connection");
    assert.equal(await call(admin.userExists("j"), "userExists j"), true, "j still has the bystander connection");
    assert.equal(await call(admin.userExists("s"), "userExists s"), false);
    await expectAlive(admin, [bystander], "closeConnection");
});

test("closeUserConnections closes every connection of the user except the excluded ones", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const u1json = await jsonClient(t, server, HUB, { userId: "u1" });
    const u1simple = await simpleClient(t, server, HUB, { userId: "u1" });
    const u1kept = await jsonClient(t, server, HUB, { userId: "u1" });
    const u2 = await jsonClient(t, server, HUB, { userId: "u2" });
    const u2simple = await simpleClient(t, server, HUB, { userId: "u2" });

    // `excluded` is read by the generated operation from options.excluded (not in the typings).
    await call(admin.closeUserConnections("u1", { reason: "user banned", excluded: [u1kept.connectionId] }), "closeUserConnections u1");
    await expectGone(admin, [u1json, u1simple], "closeUserConnections");
    await expectClosed(u1json, "user banned", "closeUserConnections");
    await expectClosed(u1simple, "user banned", "closeUserConnections");
    await expectAlive(admin, [u1kept, u2, u2simple], "closeUserConnections");
    assert.equal(await call(admin.userExists("u1"), "userExists u1"), true, "the excluded connection keeps u1 present");

    await call(admin.closeUserConnections("u1", { reason: "now all of u1" }), "closeUserConnections u1 again");
    assert.equal(await call(admin.userExists("u1"), "userExists u1"), false, "u1 is gone");
    await expectClosed(u1kept, "now all of u1", "closeUserConnections without excluded");
    await call(admin.closeUserConnections("nobody", { reason: "x" }), "closeUserConnections of an absent user");
    await expectAlive(admin, [u2, u2simple], "closeUserConnections");
});

test("group.closeAllConnections closes the group's members except the excluded ones", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const memberJson = await jsonClient(t, server, HUB, { userId: "m1", groups: ["room"] });
    const memberSimple = await simpleClient(t, server, HUB, { userId: "m2", groups: ["room", "other"] });
    const excluded = await jsonClient(t, server, HUB, { userId: "m3", groups: ["room"] });
    const outsider = await jsonClient(t, server, HUB, { userId: "o", groups: ["other"] });
    const outsiderSimple = await simpleClient(t, server, HUB, { userId: "o2" });

    await call(admin.group("room").closeAllConnections({ reason: "room closed", excluded: [excluded.connectionId] }), "group(room).closeAllConnections");
    await expectGone(admin, [memberJson, memberSimple], "group.closeAllConnections");
    assert.equal(await call(admin.groupExists("other"), "groupExists other"), true, "the outsider keeps the other group");
    await expectClosed(memberJson, "room closed", "group.closeAllConnections");
    await expectClosed(memberSimple, "room closed", "group.closeAllConnections");
    await expectAlive(admin, [excluded, outsider, outsiderSimple], "group.closeAllConnections");
    assert.equal(await call(admin.groupExists("room"), "groupExists room"), true, "the excluded member remains");

    await call(admin.group("room").closeAllConnections({ reason: "everyone out" }), "group(room).closeAllConnections again");
    assert.equal(await call(admin.groupExists("room"), "groupExists room"), false, "the room is empty");
    await expectClosed(excluded, "everyone out", "group.closeAllConnections without excluded");
    await call(admin.group("empty").closeAllConnections({ reason: "x" }), "closeAllConnections of an empty group");
    await expectAlive(admin, [outsider, outsiderSimple], "group.closeAllConnections");
});

test("closeAllConnections closes the hub's connections except the excluded ones, and no other hub's", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const otherAdmin = restClient(server, "lobby");
    const a = await jsonClient(t, server, HUB, { userId: "a" });
    const b = await simpleClient(t, server, HUB, { userId: "b" });
    const anonymous = await jsonClient(t, server, HUB, {});
    const kept = await simpleClient(t, server, HUB, { userId: "kept" });
    const elsewhere = await jsonClient(t, server, "lobby", { userId: "a" });
    const elsewhereSimple = await simpleClient(t, server, "lobby", { userId: "b" });

    await call(admin.closeAllConnections({ reason: "server restart", excluded: [kept.connectionId] }), "closeAllConnections");
    await expectGone(admin, [a, b, anonymous], "closeAllConnections");
    await expectClosed(a, "server restart", "closeAllConnections");
    await expectClosed(b, "server restart", "closeAllConnections");
    await expectClosed(anonymous, "server restart", "closeAllConnections");
    await expectAlive(admin, [kept], "closeAllConnections");
    await expectAlive(otherAdmin, [elsewhere, elsewhereSimple], "closeAllConnections on another hub");
    assert.equal(await call(otherAdmin.userExists("a"), "userExists a on lobby"), true);

    await call(admin.closeAllConnections({ reason: "really all" }), "closeAllConnections again");
    await expectGone(admin, [kept], "closeAllConnections without excluded");
    await expectClosed(kept, "really all", "closeAllConnections without excluded");
    await expectAlive(otherAdmin, [elsewhere, elsewhereSimple], "closeAllConnections on another hub");
});
