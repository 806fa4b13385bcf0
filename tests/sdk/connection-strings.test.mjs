// The two ways a connection string can carry hubcast's port (docs/sdk-compatibility.md): `Port=`,
// as hubcast prints it, and a port inside `Endpoint`. @azure/web-pubsub reads both; the client
// URL and token it builds from either connect, and its REST calls from either are accepted.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { exitPromptlyWhenDone, startServer, waitFor } from "./support/server.mjs";
import { call, jsonClientWithUrl } from "./support/rest.mjs";

exitPromptlyWhenDone();

const HUB = "chat";

const forms = [
    ["Port=, as hubcast prints it", (server) => server.connectionString],
    [
        "the port inside Endpoint",
        (server) => {
            const key = /AccessKey=([^;]*)/.exec(server.connectionString)[1];
            return `Endpoint=http://127.0.0.1:${server.port};AccessKey=${key};Version=1.0;`;
        },
    ],
];

for (const [form, connectionStringOf] of forms) {
    test(`a connection string with ${form} builds client URLs and REST calls that reach hubcast`, async (t) => {
        const server = await startServer(t);
        const service = new WebPubSubServiceClient(connectionStringOf(server), HUB, {
            allowInsecureConnection: true,
            retryOptions: { maxRetries: 0 },
        });

        const access = await call(service.getClientAccessToken({ userId: "cs-user", groups: ["room"] }), "getClientAccessToken");
        assert.equal(access.baseUrl, `ws://127.0.0.1:${server.port}/client/hubs/${HUB}`);
        const client = await jsonClientWithUrl(t, access.url, HUB);
        assert.equal(client.userId, "cs-user");

        await call(service.group("room").sendToAll("to room", { contentType: "text/plain" }), "group(room).sendToAll");
        await waitFor(() => client.inbox.find((m) => m.data === "to room"), { what: "the group message sent over REST" });
        assert.equal(await call(service.userExists("cs-user"), "userExists"), true);
    });
}
