// The official server SDK (@azure/web-pubsub) sending through hubcast's REST data plane (spec
// 2.1, 2.3 #6 #9 #13 #22, 2.4): every send with JSON, text and binary bodies, `excluded`, OData
// filters, and bad filters. Who did not receive a message is proven with `drain` (a marker sent
// to each client after the sends, awaited with a deadline).

import assert from "node:assert/strict";
import { test } from "node:test";
import { odata } from "@azure/web-pubsub";
import { exitPromptlyWhenDone, startServer } from "./support/server.mjs";
import { call, drain, jsonClient, restClient, restError, simpleClient } from "./support/rest.mjs";

exitPromptlyWhenDone();

const HUB = "chat";
const JSON_BODY = { n: 1.5, s: "ü", list: [true, null, { nested: "x" }] };
const TEXT_BODY = "héllo 👋 text";
const BINARY_BODY = [0, 1, 2, 127, 128, 254, 255, 0];
const JSON_STRING = "a json string, not text";

/** The three body kinds the SDK chooses between (spec 2.1) and how each client kind gets them. */
const BODIES = [
    {
        what: "json",
        send: (fn) => fn(JSON_BODY),
        json: { dataType: "json", data: JSON_BODY },
        simple: { text: JSON.stringify(JSON_BODY) },
    },
    {
        what: "json string",
        send: (fn) => fn(JSON_STRING),
        json: { dataType: "json", data: JSON_STRING },
        simple: { text: JSON.stringify(JSON_STRING) },
    },
    {
        what: "text",
        send: (fn) => fn(TEXT_BODY, { contentType: "text/plain" }),
        json: { dataType: "text", data: TEXT_BODY },
        simple: { text: TEXT_BODY },
    },
    {
        what: "binary (ArrayBuffer)",
        send: (fn) => fn(Uint8Array.from(BINARY_BODY).buffer),
        json: { dataType: "binary", data: BINARY_BODY },
        simple: { binary: BINARY_BODY },
    },
    {
        what: "binary (Buffer)",
        send: (fn) => fn(Buffer.from(BINARY_BODY)),
        json: { dataType: "binary", data: BINARY_BODY },
        simple: { binary: BINARY_BODY },
    },
];

const fromServer = (body) => ({ from: "server", ...body.json });

/**
 * What a JSON client gets for a REST send to a group: `from: "group"` naming the group
 * (docs/rest-api.md), in the order sent.
 */
function assertGroupSendForm(got, group, bodies, who) {
    assert.deepEqual(got, bodies.map((b) => ({ from: "group", group, ...b.json })), who);
}

async function setUp(t) {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const clients = {
        jAlice: await jsonClient(t, server, HUB, { userId: "alice", groups: ["room"] }),
        sAlice: await simpleClient(t, server, HUB, { userId: "alice", groups: ["room"] }),
        jBob: await jsonClient(t, server, HUB, { userId: "bob" }),
        sBob: await simpleClient(t, server, HUB, { userId: "bob" }),
        jNobody: await jsonClient(t, server, HUB, {}),
    };
    return { server, admin, clients, all: Object.values(clients) };
}

test("sendToAll / sendToUser / sendToConnection with JSON, text and binary bodies: JSON clients get from:server messages, simple clients text or binary frames", async (t) => {
    const { admin, clients, all } = await setUp(t);
    const { jAlice, sAlice, jBob, sBob, jNobody } = clients;

    for (const body of BODIES) {
        await call(body.send((m, o) => admin.sendToAll(m, o)), `sendToAll ${body.what}`);
    }
    const everyone = await drain(admin, all);
    for (const [i, client] of all.entries()) {
        assert.deepEqual(
            everyone[i],
            BODIES.map((b) => (client.kind === "simple" ? b.simple : fromServer(b))),
            `sendToAll: ${client.kind} client ${client.userId ?? "(anonymous)"}`,
        );
    }

    for (const body of BODIES) {
        await call(body.send((m, o) => admin.sendToUser("alice", m, o)), `sendToUser ${body.what}`);
    }
    assert.deepEqual(
        await drain(admin, all),
        [BODIES.map(fromServer), BODIES.map((b) => b.simple), [], [], []],
        "sendToUser(alice) reaches both of alice's connections and nobody else",
    );

    for (const body of BODIES) {
        await call(body.send((m, o) => admin.sendToConnection(jBob.connectionId, m, o)), `sendToConnection json client ${body.what}`);
        await call(body.send((m, o) => admin.sendToConnection(sBob.connectionId, m, o)), `sendToConnection simple client ${body.what}`);
    }
    assert.deepEqual(
        await drain(admin, all),
        [[], [], BODIES.map(fromServer), BODIES.map((b) => b.simple), []],
        "sendToConnection reaches exactly the named connections",
    );

    // Sends to nobody are still accepted (fire-and-forget, 202).
    await call(admin.sendToUser("nobody-has-this-id", "x", { contentType: "text/plain" }), "sendToUser to an absent user");
    await call(admin.sendToConnection("no-such-connection", "x", { contentType: "text/plain" }), "sendToConnection to an absent connection");
    await call(admin.sendToAll({ ttl: true }, { messageTtlSeconds: 30 }), "sendToAll with messageTtlSeconds");
    assert.deepEqual(
        (await drain(admin, all)).map((got) => got.length),
        [1, 1, 1, 1, 1],
        "only the sendToAll (with a TTL it easily meets) was delivered, once to each",
    );
    assert.deepEqual(jNobody.disconnects, [], "no client was disconnected");
    assert.equal(sAlice.closeEvent, undefined);
    assert.equal(jAlice.disconnects.length + jBob.disconnects.length, 0);
});

test("group.sendToAll with JSON, text and binary bodies reaches the group's members only", async (t) => {
    const { admin, all } = await setUp(t);

    for (const body of BODIES) {
        await call(body.send((m, o) => admin.group("room").sendToAll(m, o)), `group.sendToAll ${body.what}`);
    }
    const [jAliceGot, sAliceGot, ...others] = await drain(admin, all);
    assertGroupSendForm(jAliceGot, "room", BODIES, "JSON member");
    assert.deepEqual(sAliceGot, BODIES.map((b) => b.simple), "simple member");
    assert.deepEqual(others, [[], [], []], "non-members got nothing");

    await call(admin.group("empty-group").sendToAll("x", { contentType: "text/plain" }), "group.sendToAll to an empty group");
    assert.deepEqual(await drain(admin, all), [[], [], [], [], []], "a send to an empty group reaches nobody");
});

test("excludedConnections spares the listed connections of sendToAll and group.sendToAll", async (t) => {
    const { admin, clients, all } = await setUp(t);
    const { jAlice, sAlice, jBob, sBob } = clients;
    const text = (data) => ({ from: "server", dataType: "text", data });

    await call(admin.sendToAll("all but two", { contentType: "text/plain", excludedConnections: [jAlice.connectionId, sBob.connectionId] }), "sendToAll excluded");
    assert.deepEqual(await drain(admin, all), [[], [{ text: "all but two" }], [text("all but two")], [], [text("all but two")]]);

    await call(admin.sendToAll("all but one", { contentType: "text/plain", excludedConnections: [jBob.connectionId] }), "sendToAll excluded one");
    assert.deepEqual(await drain(admin, all), [[text("all but one")], [{ text: "all but one" }], [], [{ text: "all but one" }], [text("all but one")]]);

    await call(admin.sendToAll("nobody excluded", { contentType: "text/plain", excludedConnections: [] }), "sendToAll excluded empty");
    assert.deepEqual((await drain(admin, all)).map((g) => g.length), [1, 1, 1, 1, 1]);

    await call(
        admin.group("room").sendToAll("room but simple alice", { contentType: "text/plain", excludedConnections: [sAlice.connectionId, "not-a-connection"] }),
        "group.sendToAll excluded",
    );
    const [jAliceGot, ...rest] = await drain(admin, all);
    assertGroupSendForm(jAliceGot, "room", [{ what: "text", json: { dataType: "text", data: "room but simple alice" } }], "JSON member");
    assert.deepEqual(rest, [[], [], [], []]);
});

test("OData filters choose the recipients of sendToAll, sendToUser and group.sendToAll", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const u1a = await jsonClient(t, server, HUB, { userId: "u1", groups: ["g1"] });
    const u1b = await simpleClient(t, server, HUB, { userId: "u1", groups: ["g2"] });
    const u2 = await jsonClient(t, server, HUB, { userId: "u2", groups: ["g1", "g2"] });
    const quoted = await jsonClient(t, server, HUB, { userId: "o'brien" });
    const anonymous = await simpleClient(t, server, HUB, { groups: ["g1"] });
    const all = [u1a, u1b, u2, quoted, anonymous];

    /** Sends a text message with `filter` through `send` and returns who got it (by index). */
    const receivers = async (what, send) => {
        await call(send(what), what);
        const got = await drain(admin, all);
        return got.flatMap((messages, i) => {
            const expected = all[i].kind === "simple" ? { text: what } : { from: "server", dataType: "text", data: what };
            assert.ok(messages.length <= 1, `${what}: client ${i} got ${JSON.stringify(messages)}`);
            if (messages.length === 1) assert.deepEqual(messages[0], expected, `${what}: client ${i}`);
            return messages.length === 1 ? [i] : [];
        });
    };
    const toAll = (filter) => (what) => admin.sendToAll(what, { contentType: "text/plain", filter });

    assert.deepEqual(await receivers("userId eq 'u1'", toAll("userId eq 'u1'")), [0, 1]);
    assert.deepEqual(await receivers("userId ne 'u1'", toAll("userId ne 'u1'")), [2, 3, 4], "ne includes the anonymous connection");
    assert.deepEqual(await receivers("'g1' in groups", toAll("'g1' in groups")), [0, 2, 4]);
    assert.deepEqual(await receivers("not('g1' in groups)", toAll("not('g1' in groups)")), [1, 3]);
    assert.deepEqual(await receivers("userId eq null", toAll("userId eq null")), [4]);
    assert.deepEqual(await receivers("in list", toAll("userId in ('u2', 'nobody') or 'g2' in groups and userId eq 'u1'")), [1, 2], "and binds tighter than or");
    assert.deepEqual(await receivers("parenthesised", toAll("(userId in ('u2', 'nobody') or 'g2' in groups) and userId eq 'u1'")), [1]);
    assert.deepEqual(await receivers("connectionId", toAll(`connectionId eq '${u2.connectionId}' or connectionId eq '${u1b.connectionId}'`)), [1, 2]);
    assert.deepEqual(await receivers("startswith", toAll("startswith(userId, 'u') and length(groups) gt 1")), [2]);
    assert.deepEqual(await receivers("tolower", toAll("tolower(userId) eq 'O''BRIEN' or toupper(userId) eq 'O''BRIEN'")), [3], "'' quotes a quote");
    assert.deepEqual(await receivers("odata helper", toAll(odata`userId eq ${"o'brien"} or userId eq ${null}`)), [3, 4], "the SDK's odata`` escaping");
    assert.deepEqual(await receivers("filter and excluded", (what) =>
        admin.sendToAll(what, { contentType: "text/plain", filter: "'g1' in groups", excludedConnections: [u2.connectionId] })), [0, 4]);

    const toUser = (user, filter) => (what) => admin.sendToUser(user, what, { contentType: "text/plain", filter });
    assert.deepEqual(await receivers("sendToUser u1 in g2", toUser("u1", "'g2' in groups")), [1]);
    assert.deepEqual(await receivers("sendToUser u1 not g2", toUser("u1", "not('g2' in groups)")), [0]);
    assert.deepEqual(await receivers("sendToUser u2 filtered out", toUser("u2", "userId eq 'u1'")), []);

    // The SDK's group.sendToAll: JSON members get the message from the group.
    const groupReceivers = async (what, group, filter) => {
        await call(admin.group(group).sendToAll(what, { contentType: "text/plain", filter }), what);
        return (await drain(admin, all)).flatMap((messages, i) => {
            const expected = all[i].kind === "simple" ? { text: what } : { from: "group", group, dataType: "text", data: what };
            assert.ok(messages.length <= 1, `${what}: client ${i} got ${JSON.stringify(messages)}`);
            if (messages.length === 1) assert.deepEqual(messages[0], expected, `${what}: client ${i}`);
            return messages.length === 1 ? [i] : [];
        });
    };
    assert.deepEqual(await groupReceivers("g1 without u1", "g1", "userId ne 'u1'"), [2, 4]);
    assert.deepEqual(await groupReceivers("g2 and also g1", "g2", "'g1' in groups"), [2]);
    assert.deepEqual(await groupReceivers("g1 anonymous only", "g1", "userId eq null"), [4]);
});

test("a bad filter is refused with a 400 RestError naming the problem, and nothing is sent", async (t) => {
    const { admin, all } = await setUp(t);
    const cases = [
        { filter: "userId eq", mentions: [/end of filter/i] },
        { filter: "userId eq u1", mentions: [/u1/] },
        { filter: "'g1' in groupz", mentions: [/groupz/] },
        { filter: "userId eq 'unterminated", mentions: [/unterminated/i] },
        { filter: "not length(userId) gt 5", mentions: [/not/] },
        { filter: "userId eq 'a' and", mentions: [/end of filter/i] },
        { filter: "userId = 'u1'", mentions: [/=/] },
    ];
    for (const { filter, mentions } of cases) {
        for (const [what, makeCall] of [
            ["sendToAll", () => admin.sendToAll("bad", { contentType: "text/plain", filter })],
            ["sendToUser", () => admin.sendToUser("alice", "bad", { contentType: "text/plain", filter })],
            ["group.sendToAll", () => admin.group("room").sendToAll({ bad: true }, { filter })],
            ["addConnectionsToGroups", () => admin.addConnectionsToGroups(["g9"], filter)],
            ["removeConnectionsFromGroups", () => admin.removeConnectionsFromGroups(["room"], filter)],
        ]) {
            const error = await restError(makeCall(), 400, `${what} with filter ${filter}`);
            assert.match(error.message, /filter/i, `${what} ${filter}: ${error.message}`);
            for (const pattern of mentions) assert.match(error.message, pattern, `${what} ${filter}: ${error.message}`);
            assert.match(error.message, /position \d+/, `${what} ${filter}: the message gives the position: ${error.message}`);
            assert.equal(typeof error.code, "string", `${what}: x-ms-error-code / ErrorDetail.code is set (${error.code})`);
        }
    }
    assert.deepEqual(await drain(admin, all), [[], [], [], [], []], "nothing was delivered");
    assert.equal(await call(admin.groupExists("g9"), "groupExists g9"), false, "the refused addConnectionsToGroups added nobody");
    assert.equal(await call(admin.groupExists("room"), "groupExists room"), true, "the refused removeConnectionsFromGroups removed nobody");
});
