// Behind a TLS-terminating proxy under another name (docs/configuration.md, "Behind a proxy"):
// the official SDKs reach hubcast through Debian's nginx at https://localhost:<port> while their
// tokens name hubcast's own http://127.0.0.1:<port>, and hubcast, trusting the proxy, builds its
// absolute URLs (nextLink) for the https address the app used.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { connectSdkClient } from "./support/clients.mjs";
import { call } from "./support/rest.mjs";
import { exitPromptlyWhenDone, startServer } from "./support/server.mjs";
import { startTlsProxy } from "./support/tls-proxy.mjs";

exitPromptlyWhenDone();

test("SDK clients and the service client work through nginx terminating TLS under another host name", async (t) => {
    const server = await startServer(t, { args: ["--trusted-proxy", "127.0.0.1"] });
    const proxy = await startTlsProxy(t, server.port);
    const proxied = `Endpoint=https://localhost;Port=${proxy.port};AccessKey=${server.accessKeys[0]};Version=1.0;`;
    // https: no allowInsecureConnection, and the certificate is checked against the test CA.
    const service = new WebPubSubServiceClient(proxied, "chat", { retryOptions: { maxRetries: 0 } });

    // Client URLs minted for hubcast's own address, used through the proxy's.
    const direct = server.serviceClient("chat");
    const throughProxy = {
        async clientAccess(hub, options) {
            const { url, token } = await direct.getClientAccessToken(options);
            assert.match(url, new RegExp(`^ws://127\\.0\\.0\\.1:${server.port}/client/hubs/chat\\?`));
            return { url: `wss://localhost:${proxy.port}/client/hubs/${hub}?access_token=${token}` };
        },
    };
    const alice = await connectSdkClient(t, throughProxy, "chat", { userId: "alice", groups: ["room"] });
    const bob = await connectSdkClient(t, throughProxy, "chat", { userId: "bob", groups: ["room"] });

    await call(service.group("room").sendToAll("over https", { contentType: "text/plain" }), "send to room over https");
    for (const client of [alice, bob]) {
        await client.waitForGroupMessage((m) => m.data === "over https", `${client.userId} to get the message`);
    }
    // Two pages: the SDK follows nextLink as it is, so it must name the https proxy, not hubcast.
    const pages = [];
    for await (const page of (await service.group("room").listConnections({ maxPageSize: 1 })).byPage()) {
        pages.push(page.map((member) => member.connectionId));
    }
    assert.deepEqual(pages.flat().sort(), [alice.connectionId, bob.connectionId].sort());
    assert.equal(pages.length, 2, "one member per page");
    assert.equal(await call(service.userExists("alice"), "userExists over https"), true);
});
