// SIGTERM (binary contract): every client gets system/disconnected and a close 1001, and the
// process exits 0 within 5 s. What the official SDK makes of it: a `disconnected` event.

import assert from "node:assert/strict";
import { test } from "node:test";
import { connectSdkClient, JSON_SUBPROTOCOL, openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, startServer, waitFor, withDeadline } from "./support/server.mjs";

exitPromptlyWhenDone();

test("SIGTERM: the SDK client sees disconnected, raw clients get system/disconnected and close 1001, exit code 0", async (t) => {
    const server = await startServer(t, { workers: 2 });
    const sdk = await connectSdkClient(t, server, "chat", { userId: "sdk", roles: ["webpubsub.joinLeaveGroup"] });
    await withDeadline(sdk.client.joinGroup("room"), 5_000, "the joinGroup ack");
    const json = await openRawClient(t, (await server.clientAccess("other", { userId: "raw" })).url, JSON_SUBPROTOCOL);
    await json.waitForMessage((m) => m.type === "system" && m.event === "connected", "connected");
    const simple = await openRawClient(t, (await server.clientAccess("chat", { groups: ["room"] })).url);

    const status = await server.terminate(5_000);
    assert.deepEqual(status, { code: 0, signal: null }, `hubcast exit status; stderr:\n${server.stderr}`);

    const [event] = await waitFor(() => sdk.disconnects.length > 0 && sdk.disconnects, {
        timeoutMs: 5_000,
        what: "the SDK's disconnected event",
    });
    assert.equal(event.connectionId, sdk.connectionId);
    assert.equal(event.message?.type, "system", `the SDK kept the server's disconnected message: ${JSON.stringify(event)}`);
    assert.equal(event.message?.event, "disconnected");
    await waitFor(() => sdk.stopped, { timeoutMs: 5_000, what: "the SDK client to stop (autoReconnect is off)" });

    const jsonClose = await json.waitForClose();
    assert.equal(jsonClose.code, 1001, "JSON client close code");
    const last = json.messages.at(-1);
    assert.equal(last?.type, "system", `last frame before the close: ${JSON.stringify(json.frames)}`);
    assert.equal(last?.event, "disconnected");
    assert.equal(typeof last?.message, "string", "the disconnected message carries a reason");

    const simpleClose = await simple.waitForClose();
    assert.equal(simpleClose.code, 1001, "simple client close code");
});
