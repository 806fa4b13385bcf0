// A chat app server for hubcast, written exactly as for Azure Web PubSub: the official event
// handler (@azure/web-pubsub-express) receives hubcast's webhooks, and the official server SDK
// (@azure/web-pubsub) mints client URLs and broadcasts through hubcast's REST API.
//
//   HUBCAST_CONFIG=examples/chat/hubcast.toml make run     # hubcast on 127.0.0.1:8080
//   cd examples/chat && npm install && npm start           # this server on 127.0.0.1:3000
//   open http://127.0.0.1:3000

import express from "express";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

const hub = "chat";
const port = Number(process.env.PORT ?? 3000);
// `make run` prints this connection string (its development access key).
const connectionString =
    process.env.HUBCAST_CONNECTION_STRING ??
    "Endpoint=http://127.0.0.1;Port=8080;AccessKey=hubcast-development-access-key-change-me;Version=1.0;";

// hubcast runs plain HTTP in development; the SDK refuses http:// unless told (server spec 0.8).
const service = new WebPubSubServiceClient(connectionString, hub, { allowInsecureConnection: true });

const names = /^[A-Za-z0-9_-]{1,32}$/;

const handler = new WebPubSubEventHandler(hub, {
    // Before the client's upgrade is answered: refuse bad names, put everyone in the room.
    handleConnect: (request, response) => {
        const name = request.context.userId ?? request.queries.name?.[0];
        if (!name || !names.test(name)) {
            response.fail(400, "Pick a name of 1-32 letters, digits, '-' or '_'.");
            return;
        }
        response.setState("said", 0);
        response.success({ userId: name, groups: ["room"] });
    },
    onConnected: async (request) => {
        await broadcast({ kind: "joined", user: request.context.userId });
    },
    onDisconnected: async (request) => {
        await broadcast({ kind: "left", user: request.context.userId, reason: request.reason });
    },
    // `sendEvent("say", text)` from a client: everyone hears it; the sender is told its count.
    handleUserEvent: async (request, response) => {
        if (request.context.eventName !== "say" || typeof request.data !== "string") {
            response.fail(400, "Send the event 'say' with text data.");
            return;
        }
        const said = (request.context.states.said ?? 0) + 1;
        response.setState("said", said);
        await broadcast({ kind: "said", user: request.context.userId, text: request.data.slice(0, 1000) });
        response.success(JSON.stringify({ said }), "json");
    },
});

async function broadcast(message) {
    try {
        await service.group("room").sendToAll(message);
    } catch (err) {
        console.error(`broadcast failed: ${err.message}`);
    }
}

const app = express();
app.use(handler.getMiddleware());
app.use(express.static(new URL("./public", import.meta.url).pathname));
// The browser asks for a URL to connect with; the token names the user, the connect handler
// above checks it.
app.get("/negotiate", async (request, response) => {
    const name = String(request.query.name ?? "");
    if (!names.test(name)) {
        response.status(400).send("Pick a name of 1-32 letters, digits, '-' or '_'.");
        return;
    }
    const { url } = await service.getClientAccessToken({ userId: name });
    response.json({ url });
});

app.listen(port, "127.0.0.1", () => {
    console.log(`chat app server on http://127.0.0.1:${port} (event handler ${handler.path}, hubcast ${service.endpoint})`);
});
