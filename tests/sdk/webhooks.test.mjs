// Event handlers (server spec 4-7): an app server written with the official
// @azure/web-pubsub-express handler steers hubcast's connections exactly as it steers Azure's.
// Clients are the official @azure/web-pubsub-client and plain `ws` sockets.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { connectSdkClient, openRawClient, upgradeStatus, JSON_SUBPROTOCOL } from "./support/clients.mjs";
import { startAppServer, writeConfig } from "./support/app-server.mjs";
import { exitPromptlyWhenDone, startServer, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const ALL_SYSTEM_EVENTS = ["connect", "connected", "disconnected"];

/** hubcast whose hub `hub` sends every system event and the user events of `pattern` to `app`. */
async function startWithHandler(t, app, { hub = "chat", pattern = "*", systemEvents = ALL_SYSTEM_EVENTS, hubSettings = {}, accessKeys } = {}) {
    const config = writeConfig({
        [hub]: { ...hubSettings, handlers: [{ urlTemplate: app.urlTemplate, userEventPattern: pattern, systemEvents }] },
    });
    return startServer(t, { accessKeys, args: ["--config", config] });
}

function acked(promise, what) {
    return withDeadline(promise, 5_000, `the ack for ${what}`);
}

test("the connect handler's 401 is the status of the refused upgrade; other users connect", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleConnect: (request, response) => {
            if (request.context.userId === "mallory") {
                response.fail(401, "mallory is not welcome");
                return;
            }
            response.success();
        },
    });
    const server = await startWithHandler(t, app);

    const refused = await upgradeStatus((await server.clientAccess("chat", { userId: "mallory" })).url);
    assert.equal(refused.status, 401);
    assert.match(refused.body, /mallory is not welcome/);
    const connect = await app.waitForEvent((e) => e.event === "connect", "the connect event");
    assert.equal(connect.context.userId, "mallory");

    const alice = await connectSdkClient(t, server, "chat", { userId: "alice" });
    assert.equal(alice.userId, "alice", "a 2xx without a body keeps the token's user");
    await app.waitForEvent((e) => e.event === "connected" && e.context.connectionId === alice.connectionId, "alice's connected");
    assert.ok(
        !app.events.some((e) => e.event !== "connect" && e.context.connectionId === connect.context.connectionId),
        "a refused connection gets neither connected nor disconnected",
    );
});

test("the connect handler sets the user, joins groups and replaces the token's roles", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleConnect: (request, response) => {
            response.success({
                userId: `member-of-${request.claims.sub[0]}`,
                groups: ["lobby"],
                roles: ["webpubsub.sendToGroup.lobby"],
            });
        },
    });
    const server = await startWithHandler(t, app);
    // The token may send to every group; the handler's roles replace that with one group.
    const client = await connectSdkClient(t, server, "chat", { userId: "bob", roles: ["webpubsub.sendToGroup"] });
    assert.equal(client.userId, "member-of-bob", "the connected message names the handler's user");

    const connect = await app.waitForEvent((e) => e.event === "connect", "the connect event");
    assert.deepEqual(connect.request.claims.sub, ["bob"]);
    assert.deepEqual(connect.request.claims.role, ["webpubsub.sendToGroup"]);
    assert.ok(connect.request.queries.access_token?.[0], "the query, access_token included");
    assert.deepEqual(connect.request.subprotocols, [JSON_SUBPROTOCOL]);
    assert.equal(connect.request.headers.host?.[0] ?? connect.request.headers.Host?.[0], `127.0.0.1:${server.port}`);

    await acked(client.client.sendToGroup("lobby", "hello lobby", "text"), "sendToGroup lobby");
    await client.waitForGroupMessage((m) => m.group === "lobby" && m.data === "hello lobby", "the echo from lobby: joined by the handler");
    await assert.rejects(client.client.sendToGroup("elsewhere", "x", "text"), (err) => {
        assert.equal(err.errorDetail?.name, "Forbidden", "the token's all-groups role was replaced");
        return true;
    });
});

test("connected and disconnected reach the app server, disconnected with the reason", async (t) => {
    const app = await startAppServer(t, "chat", {});
    const server = await startWithHandler(t, app);
    const client = await openRawClient(t, (await server.clientAccess("chat", { userId: "carol" })).url, JSON_SUBPROTOCOL);
    const connected = await client.waitForMessage((m) => m.event === "connected", "the connected message");

    const seen = await app.waitForEvent((e) => e.event === "connected", "the connected event");
    assert.equal(seen.context.connectionId, connected.connectionId);
    assert.equal(seen.context.userId, "carol");
    assert.equal(seen.headers["ce-subprotocol"], JSON_SUBPROTOCOL);

    client.ws.close(1000, "bye now");
    const gone = await app.waitForEvent((e) => e.event === "disconnected", "the disconnected event");
    assert.equal(gone.context.connectionId, connected.connectionId);
    assert.equal(gone.request.reason, "bye now");
    assert.ok(
        app.events.findIndex((e) => e.event === "connected") < app.events.findIndex((e) => e.event === "disconnected"),
        "connected first, disconnected last",
    );
});

test("every request carries the spec headers: awpsversion, origin, hub, event name and a signature per access key", async (t) => {
    const app = await startAppServer(t, "chat", { handleConnect: (_q, response) => response.success() });
    const keys = ["first-access-key-0123456789", "second-access-key-0123456789"];
    const server = await startWithHandler(t, app, { accessKeys: keys });
    const client = await connectSdkClient(t, server, "chat", { userId: "dave" });
    for (const name of ["connect", "connected"]) {
        const event = await app.waitForEvent((e) => e.event === name, `the ${name} event`);
        const headers = event.headers;
        assert.equal(headers["ce-awpsversion"], "1.0");
        assert.equal(headers["ce-specversion"], "1.0");
        assert.equal(headers["webhook-request-origin"], "127.0.0.1", "the host of the connection string's Endpoint");
        assert.equal(headers["ce-hub"], "chat");
        assert.equal(headers["ce-eventname"], name);
        assert.equal(headers["ce-type"], `azure.webpubsub.sys.${name}`);
        assert.equal(headers["ce-source"], `/hubs/chat/client/${client.connectionId}`);
        assert.equal(headers["ce-connectionid"], client.connectionId);
        const expected = keys.map((key) => `sha256=${createHmac("sha256", key).update(client.connectionId).digest("hex")}`);
        assert.deepEqual(headers["ce-signature"].split(","), expected);
    }
});

test("sendEvent is answered by the handler: its reply arrives as a message from the server, then the ack", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleUserEvent: (request, response) => {
            if (request.context.eventName === "add") {
                response.success(JSON.stringify({ sum: request.data.a + request.data.b }), "json");
            } else if (request.context.eventName === "shout") {
                response.success(String(request.data).toUpperCase(), "text");
            } else {
                response.fail(400, "unknown command");
            }
        },
    });
    const server = await startWithHandler(t, app);
    const client = await connectSdkClient(t, server, "chat", { userId: "erin" });

    await acked(client.client.sendEvent("add", { a: 2, b: 3 }, "json"), "sendEvent add");
    await acked(client.client.sendEvent("shout", "quiet please", "text"), "sendEvent shout");
    await waitFor(() => client.serverMessages.length >= 2, { what: "two server messages" });
    assert.deepEqual(
        client.serverMessages.map((m) => [m.dataType, m.data]),
        [
            ["json", { sum: 5 }],
            ["text", "QUIET PLEASE"],
        ],
    );
    const add = await app.waitForEvent((e) => e.event === "add", "the add event");
    assert.equal(add.request.dataType, "json");
    assert.deepEqual(add.request.data, { a: 2, b: 3 });
    assert.equal(add.headers["ce-type"], "azure.webpubsub.user.add");

    await assert.rejects(client.client.sendEvent("other", "x", "text"), (err) => {
        assert.equal(err.errorDetail?.name, "InternalServerError", "a refusal by the handler is an error ack");
        return true;
    });
    await acked(client.client.sendEvent("shout", "still here", "text"), "sendEvent after a refusal");
});

test("a simple client's frames go to the handler as message events; its replies come back as raw frames", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleUserEvent: (request, response) => {
            if (request.dataType === "binary") {
                response.success(Buffer.concat([Buffer.from([0xff]), Buffer.from(request.data)]), "binary");
            } else {
                response.success(`echo: ${request.data}`, "text");
            }
        },
    });
    const server = await startWithHandler(t, app, { pattern: "message" });
    const simple = await openRawClient(t, (await server.clientAccess("chat", { userId: "frank" })).url);
    simple.send("hello handler");
    simple.send(Buffer.from([1, 2, 3]));
    const frames = await simple.waitForFrames(2);
    assert.deepEqual(frames, [
        { binary: false, data: "echo: hello handler" },
        { binary: true, data: Buffer.from([0xff, 1, 2, 3]) },
    ]);
    const events = app.events.filter((e) => e.event === "message");
    assert.deepEqual(
        events.map((e) => [e.request.dataType, e.headers["content-type"]]),
        [
            ["text", "text/plain"],
            ["binary", "application/octet-stream"],
        ],
    );
    assert.equal(events[0].headers["ce-subprotocol"], undefined, "a simple client negotiated no subprotocol");
});

test("connection state set by the handler travels with every later event of the connection", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleConnect: (_request, response) => {
            response.setState("visits", 0);
            response.success();
        },
        handleUserEvent: (request, response) => {
            const visits = request.context.states.visits;
            response.setState("visits", visits + 1);
            response.success(`visit ${visits}`, "text");
        },
    });
    const server = await startWithHandler(t, app);
    const client = await connectSdkClient(t, server, "chat", { userId: "grace" });
    for (let i = 0; i < 3; i++) {
        await acked(client.client.sendEvent("visit", "", "text"), `visit ${i}`);
    }
    await waitFor(() => client.serverMessages.length >= 3, { what: "three replies" });
    assert.deepEqual(
        client.serverMessages.map((m) => m.data),
        ["visit 0", "visit 1", "visit 2"],
    );
    const connected = await app.waitForEvent((e) => e.event === "connected", "connected");
    assert.deepEqual(connected.context.states, { visits: 0 }, "connected carries the state the connect handler set");
    await client.client.stop();
    const gone = await app.waitForEvent((e) => e.event === "disconnected", "disconnected");
    assert.deepEqual(gone.context.states, { visits: 3 }, "disconnected carries the last state");
});

test("anonymous_connect admits clients without a token; the connect handler names them", async (t) => {
    let guests = 0;
    const app = await startAppServer(t, "chat", {
        handleConnect: (request, response) => {
            response.success({ userId: request.context.userId ?? `guest-${++guests}` });
        },
    });
    const config = writeConfig({
        chat: { anonymousConnect: true, handlers: [{ urlTemplate: app.urlTemplate, systemEvents: ["connect"] }] },
        locked: {},
    });
    const server = await startServer(t, { args: ["--config", config] });

    const guest = await openRawClient(t, `${server.wsUrl}/client/hubs/chat`, JSON_SUBPROTOCOL);
    const connected = await guest.waitForMessage((m) => m.event === "connected", "connected");
    assert.equal(connected.userId, "guest-1");
    const connect = await app.waitForEvent((e) => e.event === "connect", "the connect event");
    assert.equal(connect.context.userId, undefined, "no token: no ce-userId");
    assert.deepEqual(connect.request.claims, {});

    const member = await connectSdkClient(t, server, "chat", { userId: "ivan" });
    assert.equal(member.userId, "ivan", "a token is still honoured");
    const bad = await upgradeStatus(`${server.wsUrl}/client/hubs/chat?access_token=not-a-token`);
    assert.equal(bad.status, 401, "a token that is present must be valid");
    const refused = await upgradeStatus(`${server.wsUrl}/client/hubs/locked`);
    assert.equal(refused.status, 401, "hubs without anonymous_connect still want a token");
});

test("SIGHUP reloads hub settings: an open connection stays and its next frames follow the new handler", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleUserEvent: (request, response) => response.success(`handled: ${request.data}`, "text"),
    });
    const config = writeConfig({ chat: {} });
    const server = await startServer(t, { args: ["--config", config] });
    const simple = await openRawClient(t, (await server.clientAccess("chat", { userId: "heidi" })).url);
    const dropped = async () => {
        const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
        return Number(/^hubcast_simple_client_messages_dropped_total (\d+)$/m.exec(text)[1]);
    };
    simple.send("before the reload");
    await waitFor(async () => (await dropped()) === 1, { what: "the frame to be dropped: no handler yet" });

    writeFileSync(
        config,
        `[hubs.chat]\n[[hubs.chat.event_handlers]]\nurl_template = "${app.urlTemplate}"\nuser_event_pattern = "message"\n`,
    );
    server.child.kill("SIGHUP");
    // The settings are in force once hubcast says so; the very next frame follows them.
    await waitFor(() => `${server.stdout.join("\n")}\n${server.stderr}`.includes("SIGHUP: hub settings reloaded"), {
        what: "the reload to be logged",
    });
    simple.send("after the reload");
    await waitFor(() => simple.frames.length > 0, { what: "the new handler's answer" });
    assert.deepEqual(simple.frames, [{ binary: false, data: "handled: after the reload" }]);
    assert.equal(simple.closeEvent, undefined, "the connection was not dropped");
    assert.ok(!app.events.some((e) => e.request.data === "before the reload"), "frames before the reload went nowhere");
});

test("the connect handler picks a custom subprotocol the client offered; one it did not offer fails the upgrade", async (t) => {
    const app = await startAppServer(t, "chat", {
        handleConnect: (request, response) => {
            response.success({ subprotocol: request.context.userId === "liar" ? "never.offered" : "my.chat.v1" });
        },
        handleUserEvent: (request, response) => response.success(`got ${request.data}`, "text"),
    });
    const server = await startWithHandler(t, app);
    const custom = await openRawClient(t, (await server.clientAccess("chat", { userId: "judy" })).url, "my.chat.v1");
    assert.equal(custom.protocol, "my.chat.v1", "echoed in the 101");
    custom.send("over my protocol");
    await custom.waitForFrames(1);
    assert.deepEqual(custom.frames, [{ binary: false, data: "got over my protocol" }], "a simple client speaking it");
    const message = await app.waitForEvent((e) => e.event === "message", "the message event");
    assert.equal(message.headers["ce-subprotocol"], "my.chat.v1");

    const refused = await upgradeStatus((await server.clientAccess("chat", { userId: "liar" })).url, "my.chat.v1");
    assert.equal(refused.status, 500);
});

test("a hub's keepalive_seconds sets the ping interval of its connections only", async (t) => {
    const config = writeConfig({ fast: { keepaliveSeconds: 1 } });
    const server = await startServer(t, { args: ["--config", config] });
    const fast = await openRawClient(t, (await server.clientAccess("fast", { userId: "kim" })).url);
    const other = await openRawClient(t, (await server.clientAccess("chat", { userId: "lee" })).url);
    await waitFor(() => fast.pings >= 2, { timeoutMs: 5_000, what: "two pings on the hub with a 1 s interval" });
    assert.equal(other.pings, 0, "the other hub keeps the server's 20 s");
});
