// The official SDKs against a cluster behind a load balancer (docs/scale-out.md, "Behind a load
// balancer"): three hubcast nodes over one Redis, nginx round robin in front of them
// (support/cluster.mjs, as examples/cluster/run.sh). Every client and every REST call goes through
// nginx, never to a node directly; which node took a client is read from its connection id.
//
// Read your writes across nodes (docs/scale-out.md): a join is in force on every node when its ack
// arrives, a connection when its `connected` frame does, and a REST command when it answers; so the
// tests act at once on the next node the balancer picks, never waiting for Redis.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { connectSdkClient } from "./support/clients.mjs";
import { startProxy } from "./support/cuttable-proxy.mjs";
import { assertNegotiated, RELIABLE_PROTOCOLS } from "./support/protobuf.mjs";
import { startAppServer, writeConfig } from "./support/app-server.mjs";
import { startCluster } from "./support/cluster.mjs";
import { call } from "./support/rest.mjs";
import { exitPromptlyWhenDone, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ACK_TIMEOUT_MS = 5_000;
const JOIN = "webpubsub.joinLeaveGroup";
const SEND = "webpubsub.sendToGroup";
const HUB = "chat";

function acked(promise, what) {
    return withDeadline(promise, ACK_TIMEOUT_MS, `the ack for ${what}`);
}

/** Every message a client gets, server and group alike, in arrival order. */
function recordInbox(sdkClient) {
    const inbox = [];
    sdkClient.client.on("server-message", (e) => inbox.push(`server:${e.message.data}`));
    sdkClient.client.on("group-message", (e) => inbox.push(`group ${e.message.group}:${e.message.data}`));
    return inbox;
}

/** Clients connected one after another through the balancer land on distinct nodes. */
function assertOnDistinctNodes(cluster, clients) {
    const owners = clients.map((c) => cluster.nodeOf(c.connectionId).name);
    assert.equal(new Set(owners).size, clients.length, `each client on a node of its own: ${owners}`);
}

/**
 * Calls `ask` once per node, one call after another: round robin hands consecutive requests to
 * the nodes in turn, so every node answers once. Returns the answers in order.
 */
async function askEveryNode(cluster, ask) {
    const answers = [];
    for (let i = 0; i < cluster.nodes.length; i++) answers.push(await call(ask(), `an existence check (${i + 1} of ${cluster.nodes.length})`));
    return answers;
}

test("nginx hands successive SDK clients to the three nodes in turn", async (t) => {
    const cluster = await startCluster(t);
    const clients = [];
    for (let i = 0; i < 6; i++) {
        clients.push(await connectSdkClient(t, cluster, HUB, { userId: `user${i}` }));
    }
    const owners = clients.map((c) => cluster.nodeOf(c.connectionId).name);
    assert.equal(new Set(owners.slice(0, 3)).size, 3, `the first three on three nodes: ${owners}`);
    assert.deepEqual(owners.slice(3), owners.slice(0, 3), "the next three in the same turn");
});

test("a client's sendToGroup reaches the members on the other nodes once each, in publisher order", async (t) => {
    const cluster = await startCluster(t);
    const alice = await connectSdkClient(t, cluster, HUB, { userId: "alice", roles: [SEND] });
    const bob = await connectSdkClient(t, cluster, HUB, { userId: "bob", roles: [JOIN] });
    const carol = await connectSdkClient(t, cluster, HUB, { userId: "carol", roles: [JOIN] });
    assertOnDistinctNodes(cluster, [alice, bob, carol]);
    await acked(bob.client.joinGroup("room"), "bob's joinGroup");
    await acked(carol.client.joinGroup("room"), "carol's joinGroup");

    const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
    // The client writes its requests in call order on its one WebSocket.
    await Promise.all(sent.map((data) => acked(alice.client.sendToGroup("room", data, "text"), `sendToGroup ${data}`)));
    // Published last by the same connection: any repeat of an earlier message would come before it.
    await acked(alice.client.sendToGroup("room", "end", "text"), "sendToGroup end");

    for (const member of [bob, carol]) {
        await member.waitForGroupMessage((m) => m.data === "end", `${member.userId} to receive 'end'`);
        assert.deepEqual(
            member.groupMessages.map((m) => [m.group, m.fromUserId, m.dataType, m.data]),
            [...sent, "end"].map((data) => ["room", "alice", "text", data]),
            `${member.userId} got every message once, in order`,
        );
    }
    assert.deepEqual(alice.groupMessages, [], "alice is not a member");
});

test("noEcho keeps a message from its publisher while a member on another node gets it", async (t) => {
    const cluster = await startCluster(t);
    const alice = await connectSdkClient(t, cluster, HUB, { userId: "alice", roles: [JOIN, SEND] });
    const bob = await connectSdkClient(t, cluster, HUB, { userId: "bob", roles: [JOIN] });
    assertOnDistinctNodes(cluster, [alice, bob]);
    await acked(alice.client.joinGroup("room"), "alice's joinGroup");
    await acked(bob.client.joinGroup("room"), "bob's joinGroup");

    await acked(alice.client.sendToGroup("room", "quiet", "text", { noEcho: true }), "sendToGroup noEcho");
    await acked(alice.client.sendToGroup("room", "loud", "text", { noEcho: false }), "sendToGroup with echo");

    await bob.waitForGroupMessageCount(2);
    assert.deepEqual(bob.groupMessages.map((m) => [m.data, m.fromUserId]), [
        ["quiet", "alice"],
        ["loud", "alice"],
    ]);
    // "loud" follows "quiet" from the same connection, so an echo of "quiet" would be here already.
    await alice.waitForGroupMessage((m) => m.data === "loud", "alice's own echo of 'loud'");
    assert.deepEqual(alice.groupMessages.map((m) => m.data), ["loud"], "alice did not get her noEcho message");
});

test("REST sends through the balancer reach their recipients on every node, once each", async (t) => {
    const cluster = await startCluster(t);
    const bob = await connectSdkClient(t, cluster, HUB, { userId: "bob" });
    const carol = await connectSdkClient(t, cluster, HUB, { userId: "carol", groups: ["room"] });
    const dave = await connectSdkClient(t, cluster, HUB, { userId: "dave", groups: ["room"] });
    assertOnDistinctNodes(cluster, [bob, carol, dave]);
    const inboxes = new Map([bob, carol, dave].map((c) => [c.userId, recordInbox(c)]));

    // Each call goes to the next node, so every node publishes some of them.
    const service = cluster.serviceClient(HUB);
    const text = { contentType: "text/plain" };
    await call(service.sendToAll("to-all", text), "sendToAll");
    await call(service.sendToUser("bob", "to-bob", text), "sendToUser");
    await call(service.sendToConnection(carol.connectionId, "to-carol", text), "sendToConnection");
    await call(service.group("room").sendToAll("to-room", text), "group sendToAll");
    await call(service.sendToAll("not-dave", { ...text, filter: "userId ne 'dave'" }), "sendToAll with a filter");
    // One end marker published by each node: one node's sends reach a recipient in order, so once
    // a client has all three, nothing sent before them is still on its way.
    const ends = ["end-1", "end-2", "end-3"];
    for (const end of ends) await call(service.sendToAll(end, text), `sendToAll ${end}`);

    const expected = {
        bob: ["server:to-all", "server:to-bob", "server:not-dave", ...ends.map((e) => `server:${e}`)],
        carol: ["server:to-all", "server:to-carol", "group room:to-room", "server:not-dave", ...ends.map((e) => `server:${e}`)],
        dave: ["server:to-all", "group room:to-room", ...ends.map((e) => `server:${e}`)],
    };
    for (const [user, inbox] of inboxes) {
        await waitFor(() => ends.every((e) => inbox.includes(`server:${e}`)), {
            what: `${user} to receive the three end markers (has ${JSON.stringify(inbox)})`,
        });
        assert.deepEqual([...inbox].sort(), [...expected[user]].sort(), `${user} got exactly its messages, once each`);
    }
});

test("existence checks through the balancer answer on every node for members on other nodes", async (t) => {
    const cluster = await startCluster(t);
    const bob = await connectSdkClient(t, cluster, HUB, { userId: "bob", roles: [JOIN] });
    const carol = await connectSdkClient(t, cluster, HUB, { userId: "carol" });
    assertOnDistinctNodes(cluster, [bob, carol]);
    await acked(bob.client.joinGroup("room"), "bob's joinGroup");
    const bobNode = cluster.nodeOf(bob.connectionId).nodeKey;

    const service = cluster.serviceClient(HUB);
    const everyNode = (ask) => askEveryNode(cluster, ask);
    const yes = [true, true, true];
    const no = [false, false, false];
    assert.deepEqual(await everyNode(() => service.groupExists("room")), yes, "groupExists room");
    assert.deepEqual(await everyNode(() => service.userExists("bob")), yes, "userExists bob");
    assert.deepEqual(await everyNode(() => service.userExists("carol")), yes, "userExists carol");
    assert.deepEqual(await everyNode(() => service.connectionExists(bob.connectionId)), yes, "bob's connection");
    assert.deepEqual(await everyNode(() => service.connectionExists(carol.connectionId)), yes, "carol's connection");

    assert.deepEqual(await everyNode(() => service.groupExists("hall")), no, "a group nobody joined");
    assert.deepEqual(await everyNode(() => service.userExists("dave")), no, "a user nobody connected as");
    // Well-formed ids of bob's node that it never issued: the node that owns them says no, and so
    // do the others, which ask Redis.
    const neverIssued = `${bobNode}______________`;
    assert.deepEqual(await everyNode(() => service.connectionExists(neverIssued)), no, "a connection bob's node never had");
});

test("an ack, a connected frame or a REST answer is in force on every node at once", async (t) => {
    const cluster = await startCluster(t);
    const service = cluster.serviceClient(HUB);
    const everyNode = (ask) => askEveryNode(cluster, ask);
    const yes = [true, true, true];
    const no = [false, false, false];

    // A join, then at once a send through the balancer (the next node in turn) and checks on all.
    const bob = await connectSdkClient(t, cluster, HUB, { userId: "bob", roles: [JOIN] });
    for (let i = 0; i < 15; i++) {
        const group = `room${i}`;
        await acked(bob.client.joinGroup(group), `bob's joinGroup ${group}`);
        await call(service.group(group).sendToAll(`m${i}`, { contentType: "text/plain" }), `send to ${group}`);
        await bob.waitForGroupMessage((m) => m.group === group && m.data === `m${i}`, `bob to receive m${i}`);
        assert.deepEqual(await everyNode(() => service.groupExists(group)), yes, `groupExists ${group} after the ack`);
        await acked(bob.client.leaveGroup(group), `bob's leaveGroup ${group}`);
        assert.deepEqual(await everyNode(() => service.groupExists(group)), no, `groupExists ${group} after the leave`);
    }

    // A connect: every node finds the connection and its user once the client is connected.
    for (let i = 0; i < 6; i++) {
        const client = await connectSdkClient(t, cluster, HUB, { userId: `user${i}` });
        assert.deepEqual(await everyNode(() => service.userExists(`user${i}`)), yes, `userExists user${i}`);
        assert.deepEqual(await everyNode(() => service.connectionExists(client.connectionId)), yes, `user${i}'s connection`);
    }

    // REST commands through the balancer, each answered by a node that need not own the connection.
    const carol = await connectSdkClient(t, cluster, HUB, { userId: "carol" });
    await call(service.group("team").addConnection(carol.connectionId), "addConnection to team");
    const teamMembers = async () => {
        const ids = [];
        for await (const member of await service.group("team").listConnections()) ids.push(member.connectionId);
        return ids;
    };
    assert.deepEqual(await everyNode(teamMembers), [[carol.connectionId], [carol.connectionId], [carol.connectionId]], "team lists carol");
    await call(service.grantPermission(carol.connectionId, "sendToGroup", { targetName: "team" }), "grantPermission");
    assert.deepEqual(
        await everyNode(() => service.hasPermission(carol.connectionId, "sendToGroup", { targetName: "team" })),
        yes,
        "carol may send to team",
    );
    await call(service.group("team").removeUser("carol"), "removeUser from team");
    assert.deepEqual(await everyNode(() => service.groupExists("team")), no, "team is empty");
    await call(service.closeConnection(carol.connectionId, { reason: "bye" }), "closeConnection");
    assert.deepEqual(await everyNode(() => service.connectionExists(carol.connectionId)), no, "carol's connection is gone");
    assert.deepEqual(await everyNode(() => service.userExists("carol")), no, "carol is gone");
});

test("one express event handler serves the clients of every node, and its REST calls reach them all", async (t) => {
    // The app server: every connection joins "lobby" at connect; the user event "dm" asks the REST
    // API, through the balancer, to send the text to the user it names; invokeEvent "whoami"
    // answers with the caller's connection id as the handler saw it.
    let service;
    const app = await startAppServer(t, HUB, {
        handleConnect: (request, response) => response.success({ groups: ["lobby"] }),
        handleUserEvent: async (request, response) => {
            if (request.context.eventName === "dm") {
                const { to, text } = request.data;
                await service.sendToUser(to, `${request.context.userId}: ${text}`, { contentType: "text/plain" });
                response.success();
                return;
            }
            response.success(request.context.connectionId, "text");
        },
    });
    const config = writeConfig({
        [HUB]: { handlers: [{ urlTemplate: app.urlTemplate, userEventPattern: "*", systemEvents: ["connect", "connected", "disconnected"] }] },
    });
    const cluster = await startCluster(t, { nodeArgs: ["--config", config] });
    service = cluster.serviceClient(HUB);

    const users = ["alice", "bob", "carol"];
    const clients = [];
    for (const userId of users) clients.push(await connectSdkClient(t, cluster, HUB, { userId }));
    assertOnDistinctNodes(cluster, clients);
    for (const client of clients) {
        await app.waitForEvent((e) => e.event === "connected" && e.context.connectionId === client.connectionId, `${client.userId}'s connected event`);
        const answer = await withDeadline(client.client.invokeEvent("whoami", "", "text"), ACK_TIMEOUT_MS, `${client.userId}'s invokeEvent`);
        assert.equal(answer.data, client.connectionId, `${client.userId}'s invoke reached the handler from its own node`);
    }

    // Joined by the connect handler on each node: a REST send to the group reaches all three.
    await call(service.group("lobby").sendToAll("welcome", { contentType: "text/plain" }), "send to lobby");
    for (const client of clients) {
        await client.waitForGroupMessage((m) => m.group === "lobby" && m.data === "welcome", `${client.userId} to get the lobby message`);
    }

    // A user event on one node makes the app send to a user on another.
    const inboxes = clients.map((client) => recordInbox(client));
    await acked(clients[0].client.sendEvent("dm", { to: "carol", text: "hi" }, "json", { fireAndForget: false }), "alice's dm event");
    await waitFor(() => inboxes[2].includes("server:alice: hi"), { what: "carol to get alice's dm" });
    assert.deepEqual(inboxes[1], [], "bob got nothing");

    // Each node reports its own client's end.
    await clients[1].client.stop();
    const ended = await app.waitForEvent((e) => e.event === "disconnected" && e.context.connectionId === clients[1].connectionId, "bob's disconnected event");
    assert.equal(ended.context.userId, "bob");
});

/** A node's counter from its /metrics (0 when absent). */
async function nodeMetric(node, name) {
    const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(" ")[1]) : 0;
}

for (const variant of RELIABLE_PROTOCOLS) {
    test(`${variant.name}: a client cut from its node recovers on the next one the balancer picks, every message once and in order`, async (t) => {
        const cluster = await startCluster(t);
        // SDK client -> the test's cuttable proxy -> nginx -> a node. The SDK's recovery is a new
        // request to nginx, which round robin hands to the next node.
        const proxy = await startProxy(t, cluster.port);
        const client = new WebPubSubClient(
            {
                getClientAccessUrl: async () =>
                    (await cluster.clientAccess(HUB, { userId: "alice", roles: [JOIN] })).url.replace(`:${cluster.port}/`, `:${proxy.port}/`),
            },
            variant.options(),
        );
        const events = { connected: [], disconnected: [], messages: [] };
        client.on("connected", (e) => events.connected.push(e));
        client.on("disconnected", (e) => events.disconnected.push(e));
        client.on("group-message", (e) => events.messages.push(e.message.data));
        t.after(() => client.stop());
        await withDeadline(client.start(), ACK_TIMEOUT_MS, "the SDK client to open");
        await acked(client.joinGroup("room"), "joinGroup");
        const publisher = await connectSdkClient(t, cluster, HUB, { userId: "bob", roles: [SEND] });
        const first = cluster.nodeOf(events.connected[0].connectionId).name;

        const total = 240;
        for (let n = 1; n <= total; n += 1) {
            await acked(publisher.client.sendToGroup("room", String(n), "text"), `message ${n}`);
            // Nothing else goes through nginx meanwhile: the first recovery lands on the node after
            // the publisher's, the second on the one after that, the session's first node.
            if (n === 60 || n === 160) proxy.cut();
        }
        await acked(publisher.client.sendToGroup("room", "end", "text"), "the last message");
        await waitFor(() => events.messages.at(-1) === "end", { timeoutMs: 20_000, what: `the last message (have ${events.messages.length})` });
        const expected = [...Array.from({ length: total }, (_, i) => String(i + 1)), "end"];
        assert.deepEqual(events.messages, expected, "every message exactly once, in order");
        assert.equal(events.connected.length, 1, "a recovery is not a new connection");
        assert.deepEqual(events.disconnected, [], "the SDK never saw the session end");
        assert.ok(!proxy.closeCodes.includes(1008), `no close code 1008 (${proxy.closeCodes})`);
        assertNegotiated(proxy, variant);
        assert.equal(proxy.subprotocols.length, 3, "the first connection and one recovery per cut");
        let takenOver = 0;
        for (const node of cluster.nodes) takenOver += await nodeMetric(node, "hubcast_reliable_sessions_taken_over_total");
        assert.equal(takenOver, 2, `both recoveries moved the session (it began on ${first})`);
    });
}

