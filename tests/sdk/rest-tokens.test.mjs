// Client token generation over REST (spec 2.3 #4, 1.3): `:generateToken` called by
// @azure/web-pubsub's getClientAccessToken (its TokenCredential path) and by a plain fetch signed
// like the SDK signs; the tokens it returns carry the requested claims and connect official and
// simple clients with that user, those groups and those roles.

import assert from "node:assert/strict";
import { test } from "node:test";
import { openRawClient } from "./support/clients.mjs";
import { exitPromptlyWhenDone, randomAccessKey, startServer, waitFor, withDeadline } from "./support/server.mjs";
import {
    API_VERSION,
    call,
    drain,
    jsonClientWithUrl,
    jwtClaims,
    restClient,
    signedFetch,
    signRequestToken,
    tokenCredentialClient,
} from "./support/rest.mjs";

exitPromptlyWhenDone();

const HUB = "chat";

function acked(promise, what) {
    return withDeadline(promise, 5_000, `the ack for ${what}`);
}

function assertLifetime(claims, minutes, what) {
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(claims.exp - (now + minutes * 60)) <= 60, `${what}: exp ${claims.exp} is about now + ${minutes} min (now ${now})`);
}

test("getClientAccessToken with a TokenCredential calls :generateToken; the token connects with the requested user, groups and roles", async (t) => {
    const server = await startServer(t);
    const { client: sdk, requests, scopes } = tokenCredentialClient(server, HUB);
    const admin = restClient(server, HUB);

    const access = await call(
        sdk.getClientAccessToken({
            userId: "tok-user",
            roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.room"],
            groups: ["room", "lobby"],
            expirationTimeInMinutes: 7,
        }),
        "getClientAccessToken (TokenCredential)",
    );

    assert.deepEqual(scopes, [["https://webpubsub.azure.com/.default"]], "the SDK asked the credential for the Web PubSub scope");
    assert.equal(requests.length, 1, JSON.stringify(requests));
    const sent = new URL(requests[0].url);
    assert.equal(requests[0].method, "POST");
    assert.equal(sent.pathname, `/api/hubs/${HUB}/:generateToken`);
    assert.equal(sent.searchParams.get("api-version"), API_VERSION);
    assert.equal(sent.searchParams.get("userId"), "tok-user");
    assert.deepEqual(sent.searchParams.getAll("role"), ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.room"]);
    assert.deepEqual(sent.searchParams.getAll("group"), ["room", "lobby"]);
    assert.equal(sent.searchParams.get("minutesToExpire"), "7");

    assert.equal(access.baseUrl, `wss://127.0.0.1:${server.port}/client/hubs/${HUB}`, "the SDK derives the client URL from its https endpoint");
    assert.equal(access.url, `${access.baseUrl}?access_token=${access.token}`);
    const claims = jwtClaims(access.token);
    assert.equal(claims.sub, "tok-user");
    assert.deepEqual(claims.role, ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.room"]);
    assert.deepEqual(claims["webpubsub.group"], ["room", "lobby"]);
    assert.match(claims.aud, new RegExp(`/client/hubs/${HUB}$`));
    assertLifetime(claims, 7, "minutesToExpire=7");

    // hubcast serves plain ws: the token itself is what matters.
    const client = await jsonClientWithUrl(t, `ws://127.0.0.1:${server.port}/client/hubs/${HUB}?access_token=${access.token}`, HUB);
    assert.equal(client.userId, "tok-user");
    const bystander = await jsonClientWithUrl(t, (await server.clientAccess(HUB, { userId: "other", groups: ["room"] })).url, HUB);

    await call(admin.group("room").sendToAll("to room", { contentType: "text/plain" }), "group(room).sendToAll");
    await call(admin.group("lobby").sendToAll("to lobby", { contentType: "text/plain" }), "group(lobby).sendToAll");
    const [got] = await drain(admin, [client]);
    assert.deepEqual(got.map((m) => m.data), ["to room", "to lobby"], "the token's groups were joined on connect");

    await acked(client.client.joinGroup("elsewhere"), "joinGroup with the token's joinLeaveGroup role");
    await acked(client.client.sendToGroup("room", "from tok-user", "text"), "sendToGroup room with the token's role");
    await assert.rejects(acked(client.client.sendToGroup("lobby", "no", "text"), "sendToGroup lobby"), (err) => err.errorDetail?.name === "Forbidden");
    await bystander.waitForGroupMessage((m) => m.data === "from tok-user", "tok-user's publish");
    assert.equal(bystander.groupMessages.at(-1).fromUserId, "tok-user");

    // The SDK's other REST calls go through the same TokenCredential pipeline.
    assert.equal(await call(sdk.userExists("tok-user"), "userExists via the TokenCredential client"), true);
});

test("getClientAccessToken with a TokenCredential for mqtt and socketio clients and with the defaults", async (t) => {
    const server = await startServer(t);
    const { client: sdk, requests } = tokenCredentialClient(server, HUB);

    const mqtt = await call(sdk.getClientAccessToken({ clientProtocol: "mqtt", userId: "m" }), "getClientAccessToken mqtt");
    assert.equal(new URL(requests.at(-1).url).searchParams.get("clientType"), "mqtt", "the SDK sends clientType in lower case");
    assert.equal(mqtt.baseUrl, `wss://127.0.0.1:${server.port}/clients/mqtt/hubs/${HUB}`);
    assert.match(jwtClaims(mqtt.token).aud, new RegExp(`/clients/mqtt/hubs/${HUB}$`));
    assert.equal(jwtClaims(mqtt.token).sub, "m");

    const socketio = await call(sdk.getClientAccessToken({ clientProtocol: "socketio" }), "getClientAccessToken socketio");
    assert.equal(new URL(requests.at(-1).url).searchParams.get("clientType"), "socketio");
    assert.match(jwtClaims(socketio.token).aud, new RegExp(`/clients/socketio/hubs/${HUB}$`));

    const plain = await call(sdk.getClientAccessToken(), "getClientAccessToken with no options");
    const claims = jwtClaims(plain.token);
    assert.equal(claims.sub, undefined, "no userId, no sub");
    assert.equal(claims.role, undefined);
    assert.equal(claims["webpubsub.group"], undefined);
    assertLifetime(claims, 60, "the default lifetime is 60 minutes");
    const anonymous = await jsonClientWithUrl(t, `ws://127.0.0.1:${server.port}/client/hubs/${HUB}?access_token=${plain.token}`, HUB);
    assert.equal(anonymous.userId ?? null, null);
});

test(":generateToken over a plain fetch signed like the SDK: 200 {token} that connects JSON and simple clients", async (t) => {
    const server = await startServer(t);
    const admin = restClient(server, HUB);
    const path = `/api/hubs/${HUB}/:generateToken`;
    const query = (extra) => `?api-version=${API_VERSION}${extra}`;

    const response = await signedFetch(
        server,
        "POST",
        path + query("&userId=plain%20user&role=webpubsub.joinLeaveGroup&group=g1&group=g%202&minutesToExpire=5&clientType=Default"),
        { accept: "application/json, text/json" },
    );
    assert.equal(response.status, 200, response.body);
    assert.match(response.headers.get("content-type"), /^application\/json/);
    const body = JSON.parse(response.body);
    assert.deepEqual(Object.keys(body), ["token"]);
    const claims = jwtClaims(body.token);
    assert.equal(claims.sub, "plain user");
    assert.deepEqual(claims.role, ["webpubsub.joinLeaveGroup"]);
    assert.deepEqual(claims["webpubsub.group"], ["g1", "g 2"]);
    assert.equal(new URL(claims.aud).pathname, `/client/hubs/${HUB}`);
    assertLifetime(claims, 5, "minutesToExpire=5");

    const url = `${server.wsUrl}/client/hubs/${HUB}?access_token=${body.token}`;
    const json = await jsonClientWithUrl(t, url, HUB);
    assert.equal(json.userId, "plain user");
    const simple = await openRawClient(t, url, undefined);
    const members = [];
    for await (const m of await call(admin.group("g1").listConnections(), "listConnections g1")) members.push(m);
    assert.equal(members.length, 2, `both clients joined g1 on connect: ${JSON.stringify(members)}`);
    assert.ok(members.every((m) => m.userId === "plain user"), JSON.stringify(members));

    await call(admin.group("g 2").sendToAll("to g 2", { contentType: "text/plain" }), "group(g 2).sendToAll");
    await call(admin.sendToUser("plain user", { to: "user" }), "sendToUser plain user");
    const [jsonGot] = await drain(admin, [json]);
    assert.deepEqual(jsonGot.map((m) => m.data), ["to g 2", { to: "user" }]);
    await waitForTexts(simple, ["to g 2", JSON.stringify({ to: "user" })]);
    await acked(json.client.joinGroup("g3"), "joinGroup with the generated token's role");

    // clientType is case-insensitive; bad values are refused with ErrorDetail.
    for (const type of ["default", "DEFAULT", "MQTT", "SocketIO"]) {
        const r = await signedFetch(server, "POST", path + query(`&clientType=${type}`));
        assert.equal(r.status, 200, `clientType=${type}: ${r.body}`);
    }
    for (const [extra, mentions] of [
        ["&clientType=bogus", /clientType/],
        ["&minutesToExpire=0", /minutesToExpire/],
        ["&minutesToExpire=soon", /minutesToExpire/],
    ]) {
        const r = await signedFetch(server, "POST", path + query(extra));
        assert.equal(r.status, 400, `${extra}: ${r.body}`);
        assert.ok(r.headers.get("x-ms-error-code"), `${extra}: x-ms-error-code`);
        assert.match(JSON.parse(r.body).message, mentions, `${extra}: ${r.body}`);
    }
});

test(":generateToken refuses requests not signed like the SDK signs them", async (t) => {
    const server = await startServer(t);
    const url = `${server.httpUrl}/api/hubs/${HUB}/:generateToken?api-version=${API_VERSION}&userId=u`;
    const post = (authorization) =>
        fetch(url, { method: "POST", headers: authorization ? { Authorization: authorization } : {}, signal: AbortSignal.timeout(5_000) });

    for (const [what, authorization] of [
        ["no Authorization", undefined],
        ["a wrong key", `Bearer ${signRequestToken(url, randomAccessKey())}`],
        ["another URL as audience", `Bearer ${signRequestToken(url.replace("userId=u", "userId=admin"), server.accessKeys[0])}`],
        ["an expired token", `Bearer ${signRequestToken(url, server.accessKeys[0], -600)}`],
    ]) {
        const r = await post(authorization);
        assert.equal(r.status, 401, `${what}: ${await r.text()}`);
        assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/, `${what}: WWW-Authenticate`);
    }
    const ok = await post(`Bearer ${signRequestToken(url, server.accessKeys[0])}`);
    assert.equal(ok.status, 200, await ok.text());
});

/** The simple client's frames are exactly these texts (bounded wait for them to arrive). */
async function waitForTexts(raw, texts) {
    await waitFor(() => raw.frames.length >= texts.length, { what: `${texts.length} frames on the simple client (have ${JSON.stringify(raw.frames)})` });
    assert.deepEqual(raw.frames.map((f) => (f.binary ? f : f.data)), texts);
}
