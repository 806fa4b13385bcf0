// invokeEvent (docs/protocol.md, "invoke"): the official @azure/web-pubsub-client's invokeEvent()
// against an app server written with the official @azure/web-pubsub-express handler. The invoke
// reaches handleUserEvent as a user event; its response.success() comes back as the result, its
// response.fail(), a timeout or a missing handler as an InvocationError; an aborted invocation
// sends cancelInvocation and nothing comes back for it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { InvocationError, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { connectSdkClient } from "./support/clients.mjs";
import { startAppServer, writeConfig } from "./support/app-server.mjs";
import { exitPromptlyWhenDone, startServer, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

const INVOKE_TIMEOUT_MS = 10_000;
const HANDLER_TIMEOUT_SECONDS = 2;

/** An app server whose user events: "sum" adds, "shout" upper-cases, "bytes" echoes bytes, "fail"
 * fails with 400, "hold" answers only when released. */
async function startApp(t) {
    const held = [];
    const app = await startAppServer(t, "chat", {
        handleUserEvent: (request, response) => {
            switch (request.context.eventName) {
                case "sum":
                    response.success(JSON.stringify({ sum: request.data.a + request.data.b }), "json");
                    return;
                case "shout":
                    response.success(String(request.data).toUpperCase(), "text");
                    return;
                case "bytes":
                    response.success(Buffer.concat([Buffer.from([0xff]), Buffer.from(request.data)]), "binary");
                    return;
                case "fail":
                    response.fail(400, "not today");
                    return;
                case "hold":
                    held.push(() => response.success("late", "text"));
                    return;
                default:
                    response.success();
            }
        },
    });
    app.releaseHeld = () => held.splice(0).forEach((release) => release());
    t.after(() => app.releaseHeld());
    return app;
}

async function startWithApp(t, app) {
    const config = writeConfig(
        { chat: { handlers: [{ urlTemplate: app.urlTemplate, userEventPattern: "*", systemEvents: [] }] }, plain: {} },
        { user_event_timeout_seconds: HANDLER_TIMEOUT_SECONDS },
    );
    return startServer(t, { args: ["--config", config] });
}

function invoked(promise, what) {
    return withDeadline(promise, INVOKE_TIMEOUT_MS, `the invokeResponse for ${what}`);
}

test("invokeEvent returns the handler's answer with its data type", async (t) => {
    const app = await startApp(t);
    const server = await startWithApp(t, app);
    const { client } = await connectSdkClient(t, server, "chat", { userId: "alice" });

    const sum = await invoked(client.invokeEvent("sum", { a: 2, b: 3 }, "json"), "sum");
    assert.equal(sum.dataType, "json");
    assert.deepEqual(sum.data, { sum: 5 });
    assert.ok(sum.invocationId, "the result names its invocation");

    const shout = await invoked(client.invokeEvent("shout", "hello", "text", { invocationId: "mine" }), "shout");
    assert.equal(shout.invocationId, "mine");
    assert.equal(shout.dataType, "text");
    assert.equal(shout.data, "HELLO");

    const bytes = await invoked(client.invokeEvent("bytes", new Uint8Array([1, 2]).buffer, "binary"), "bytes");
    assert.equal(bytes.dataType, "binary");
    assert.deepEqual([...new Uint8Array(bytes.data)], [0xff, 1, 2]);

    const nothing = await invoked(client.invokeEvent("nothing", "x", "text"), "nothing");
    assert.equal(nothing.data, undefined, "a 204 is a success without data");

    const event = await app.waitForEvent((e) => e.event === "sum", "the sum event");
    assert.equal(event.headers["ce-type"], "azure.webpubsub.user.sum", "an invoke is a user event");
    assert.deepEqual(event.request.data, { a: 2, b: 3 });
});

test("a handler's failure is an InvocationError with the service's error detail", async (t) => {
    const app = await startApp(t);
    const server = await startWithApp(t, app);
    const { client } = await connectSdkClient(t, server, "chat", { userId: "alice" });
    await assert.rejects(invoked(client.invokeEvent("fail", "x", "text"), "fail"), (err) => {
        assert.ok(err instanceof InvocationError, String(err));
        assert.equal(err.errorDetail?.name, "InternalServerError");
        assert.match(err.errorDetail.message, /400/);
        return true;
    });
    // The connection is still there.
    assert.equal((await invoked(client.invokeEvent("shout", "still here", "text"), "shout")).data, "STILL HERE");
});

test("a handler that does not answer in time is an InvocationError", async (t) => {
    const app = await startApp(t);
    const server = await startWithApp(t, app);
    const { client } = await connectSdkClient(t, server, "chat", { userId: "alice" });
    const started = Date.now();
    await assert.rejects(invoked(client.invokeEvent("hold", "x", "text"), "hold"), (err) => {
        assert.ok(err instanceof InvocationError, String(err));
        assert.equal(err.errorDetail?.name, "InternalServerError");
        return true;
    });
    assert.ok(Date.now() - started >= HANDLER_TIMEOUT_SECONDS * 1000 - 200, "answered at the handler timeout");
});

test("a hub without a handler answers with an InvocationError", async (t) => {
    const app = await startApp(t);
    const server = await startWithApp(t, app);
    const { client } = await connectSdkClient(t, server, "plain", { userId: "alice" });
    await assert.rejects(invoked(client.invokeEvent("sum", { a: 1, b: 1 }, "json"), "sum"), (err) => {
        assert.ok(err instanceof InvocationError, String(err));
        assert.equal(err.errorDetail?.name, "InternalServerError");
        return true;
    });
});

test("an aborted invocation is cancelled: the later answer is not delivered", async (t) => {
    const app = await startApp(t);
    const server = await startWithApp(t, app);
    // The official JSON protocol, recording every message the client reads.
    const frames = [];
    const json = WebPubSubJsonProtocol();
    const recording = Object.create(json);
    recording.parseMessages = (input) => {
        const parsed = json.parseMessages(input);
        for (const message of [parsed].flat()) if (message) frames.push(message);
        return parsed;
    };
    const { client } = await connectSdkClient(t, server, "chat", { userId: "alice", roles: ["webpubsub.joinLeaveGroup"] }, { protocol: recording });

    const abort = new AbortController();
    const pending = client.invokeEvent("hold", "x", "text", { invocationId: "held", abortSignal: abort.signal });
    await app.waitForEvent((e) => e.event === "hold", "the hold event");
    abort.abort();
    // The client has sent cancelInvocation once the call rejects; the join's ack comes back after
    // the server has read it (one connection, in order).
    await assert.rejects(invoked(pending, "held"), (err) => err instanceof InvocationError && err.errorDetail == null);
    await withDeadline(client.joinGroup("g"), INVOKE_TIMEOUT_MS, "the join's ack");
    app.releaseHeld();
    // The connection's events reach the handler in order: this answer comes after the held one's.
    await invoked(client.invokeEvent("shout", "after", "text", { invocationId: "after" }), "after");
    assert.deepEqual(
        frames.filter((m) => m.kind === "invokeResponse").map((m) => m.invocationId),
        ["after"],
        "no invokeResponse for the cancelled invocation",
    );
});
