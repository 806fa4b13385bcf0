// What every official Web PubSub SDK expects of the service, tried against the real binary
// (docs/sdk-compatibility.md lists each fact with the SDK source it comes from). The JavaScript
// packages run as they are; what the .NET, Python and Java SDKs send is rebuilt byte for byte from
// their sources in support/sdk-shapes.mjs: how each reads hubcast's printed connection string,
// the bearer token and api-version of its REST calls, its client URLs and tokens, and the checks
// the .NET event-handler middleware applies to every request hubcast sends it.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { createDefaultHttpClient } from "@azure/core-rest-pipeline";
import { connectSdkClient, upgradeStatus } from "./support/clients.mjs";
import { startAppServer, writeConfig } from "./support/app-server.mjs";
import { exitPromptlyWhenDone, randomAccessKey, startServer, waitFor, withDeadline } from "./support/server.mjs";
import { API_VERSION, call, drain, jsonClientWithUrl, jwtClaims, restClient } from "./support/rest.mjs";
import {
    dotnetClientAccess,
    dotnetConnectionString,
    dotnetEscape,
    dotnetRestToken,
    javaClientAccess,
    javaConnectionString,
    javaRestToken,
    jwtHeader,
    pythonClientAccess,
    pythonConnectionString,
    pythonQuote,
    pythonRestToken,
    restRequest,
    startDotnetHandler,
} from "./support/sdk-shapes.mjs";

exitPromptlyWhenDone();

const SYSTEM_EVENTS = ["connect", "connected", "disconnected"];

function acked(promise, what) {
    return withDeadline(promise, 5_000, `the ack for ${what}`);
}

/**
 * Connects the official JSON client with `url` (made by some SDK) and proves what its token
 * carries: the user id, membership of `group` (its webpubsub.group claim: a REST send to the
 * group arrives) and the webpubsub.sendToGroup role (its own publish to the group is acked).
 */
async function expectTokenHonoured(t, server, url, hub, { user, group }) {
    const client = await jsonClientWithUrl(t, url, hub);
    assert.equal(client.userId, user);
    const admin = restClient(server, hub);
    await call(admin.group(group).sendToAll("to the group", { contentType: "text/plain" }), `group(${group}).sendToAll`);
    const [got] = await drain(admin, [client]);
    assert.deepEqual(
        got.map((m) => [m.from, m.group, m.data]),
        [["group", group, "to the group"]],
        "the token's webpubsub.group was joined on connect",
    );
    await acked(client.client.sendToGroup(group, "from the client", "text"), "sendToGroup with the token's role");
    return client;
}

// ---------------------------------------------------------------------------------------------
// Connection strings

test("the printed connection string leads the JS, .NET, Python and Java SDKs to hubcast's address", async (t) => {
    const server = await startServer(t);
    const key = server.accessKeys[0];
    const base = `http://127.0.0.1:${server.port}`;
    assert.match(server.connectionString, /^Endpoint=http:\/\/127\.0\.0\.1;Port=\d+;AccessKey=[^;]+;Version=1\.0;$/);

    const js = restClient(server, "chat");
    assert.equal(js.endpoint, `${base}/`, "JS sets Port on the parsed URL");
    const dotnet = dotnetConnectionString(server.connectionString);
    assert.equal(dotnet.endpoint, `${base}/`, ".NET sets Port on a UriBuilder");
    assert.equal(dotnet.host, "127.0.0.1", ".NET's Uri.Host, the origin its event handler expects");
    const python = pythonConnectionString(server.connectionString);
    assert.equal(python.endpoint, base, "Python appends Port to Endpoint, which must therefore carry none");
    const java = javaConnectionString(server.connectionString);
    assert.equal(java.endpoint, base, "Java sets Port with UrlBuilder");
    for (const parsed of [dotnet, python, java]) assert.equal(parsed.accessKey, key);

    // Each SDK's first REST call, to the address it derived, signed as it signs.
    await call(js.sendToAll("from js", { contentType: "text/plain" }), "JS sendToAll");
    const path = `/api/hubs/chat/:send?api-version=${API_VERSION}`;
    for (const [sdk, endpoint, sign] of [
        [".NET", dotnet.endpoint, dotnetRestToken],
        ["Python", python.endpoint, pythonRestToken],
        ["Java", java.endpoint, javaRestToken],
    ]) {
        const url = endpoint.replace(/\/$/, "") + path;
        const sent = await restRequest("POST", url, sign(url, key), { body: `from ${sdk}`, contentType: "text/plain" });
        assert.equal(sent.status, 202, `${sdk}: ${sent.body}`);
    }
});

test("Port= replaces a port written inside Endpoint, keys in any case, a trailing slash and Version ignored", async (t) => {
    const server = await startServer(t);
    const key = server.accessKeys[0];
    // JS, .NET and Java set Port on their URL; Python would append it (docs/sdk-compatibility.md).
    const connectionString = `endpoint=http://127.0.0.1:1/;PORT=${server.port};accesskey=${key};version=1.0`;
    assert.equal(dotnetConnectionString(connectionString).endpoint, `http://127.0.0.1:${server.port}/`);
    assert.equal(javaConnectionString(connectionString).endpoint, `http://127.0.0.1:${server.port}`);

    const service = new WebPubSubServiceClient(connectionString, "chat", { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    assert.equal(service.endpoint, `http://127.0.0.1:${server.port}/`);
    const access = await call(service.getClientAccessToken({ userId: "port-user", groups: ["room"], roles: ["webpubsub.sendToGroup"] }), "getClientAccessToken");
    await expectTokenHonoured(t, server, access.url, "chat", { user: "port-user", group: "room" });
    assert.equal(await call(service.userExists("port-user"), "userExists"), true);
});

// ---------------------------------------------------------------------------------------------
// Client URLs and client access tokens

test("JS getClientAccessToken: aud is the endpoint with its port + client/hubs/<hub>; the URL connects with its user, groups and roles", async (t) => {
    const server = await startServer(t);
    const service = restClient(server, "chat");
    const access = await call(
        service.getClientAccessToken({ userId: "js-user", roles: ["webpubsub.sendToGroup"], groups: ["room"] }),
        "getClientAccessToken",
    );
    assert.equal(access.baseUrl, `ws://127.0.0.1:${server.port}/client/hubs/chat`);
    assert.deepEqual(jwtHeader(access.token), { alg: "HS256", typ: "JWT" });
    const claims = jwtClaims(access.token);
    assert.equal(claims.aud, `http://127.0.0.1:${server.port}/client/hubs/chat`, "http, not ws, and the port");
    assert.equal(claims.sub, "js-user");
    assert.deepEqual(claims.role, ["webpubsub.sendToGroup"]);
    assert.deepEqual(claims["webpubsub.group"], ["room"]);
    assert.equal(claims.exp - claims.iat, 3600, "one hour by default");
    await expectTokenHonoured(t, server, access.url, "chat", { user: "js-user", group: "room" });
});

test(".NET GetClientAccessUri: aud = AbsoluteUri + client/hubs/<hub as written>, with nbf and iat; the URL connects", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = dotnetConnectionString(server.connectionString);
    // A hub named after its hub class, as .NET apps name them.
    const access = dotnetClientAccess(endpoint, "SampleChatHub", accessKey, {
        userId: "dotnet-user",
        roles: ["webpubsub.sendToGroup"],
        groups: ["lobby"],
    });
    assert.ok(access.url.startsWith(`ws://127.0.0.1:${server.port}/client/hubs/SampleChatHub?access_token=`), access.url);
    assert.equal(jwtClaims(access.token).aud, `http://127.0.0.1:${server.port}/client/hubs/SampleChatHub`);
    await expectTokenHonoured(t, server, access.url, "SampleChatHub", { user: "dotnet-user", group: "lobby" });
});

test(".NET GetClientAccessUri with an empty user id writes \"sub\": \"\": the URL connects anonymously", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = dotnetConnectionString(server.connectionString);
    const access = dotnetClientAccess(endpoint, "chat", accessKey, { userId: "" });
    assert.equal(jwtClaims(access.token).sub, "");
    const client = await jsonClientWithUrl(t, access.url, "chat");
    assert.equal(client.userId ?? null, null, "no user, as JS and Python mean an empty user id");
});

test("Python get_client_access_token: the lowercased endpoint in aud and URL, the hub's case kept, extra JWT headers", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = pythonConnectionString(server.connectionString.replace("http://127.0.0.1", "HTTP://127.0.0.1"));
    const access = pythonClientAccess(endpoint, "Chat_Room", accessKey, {
        userId: "python-user",
        roles: ["webpubsub.sendToGroup"],
        groups: ["lobby"],
        jwtHeaders: { kid: "app-key-1" },
    });
    assert.ok(access.url.startsWith(`ws://127.0.0.1:${server.port}/client/hubs/Chat_Room?access_token=`), access.url);
    assert.equal(jwtClaims(access.token).aud, `http://127.0.0.1:${server.port}/client/hubs/Chat_Room`);
    assert.equal(jwtHeader(access.token).kid, "app-key-1");
    await expectTokenHonoured(t, server, access.url, "Chat_Room", { user: "python-user", group: "lobby" });
});

test("Java getClientAccessToken: no typ, only exp besides the identity claims; the URL connects", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = javaConnectionString(server.connectionString);
    const access = javaClientAccess(endpoint, "chat", accessKey, {
        userId: "java-user",
        roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"],
        groups: ["lobby"],
    });
    assert.deepEqual(jwtHeader(access.token), { alg: "HS256" });
    assert.equal(jwtClaims(access.token).aud, `http://127.0.0.1:${server.port}/client/hubs/chat`);
    const client = await expectTokenHonoured(t, server, access.url, "chat", { user: "java-user", group: "lobby" });
    await acked(client.client.joinGroup("kitchen"), "joinGroup with the token's joinLeaveGroup role");
});

test("a client token is refused when its aud names another hub or it is signed with another key", async (t) => {
    // The control for the four tests above: their tokens pass because hubcast checks these.
    const server = await startServer(t);
    const { endpoint, accessKey } = dotnetConnectionString(server.connectionString);
    const otherHub = dotnetClientAccess(endpoint, "other", accessKey, { userId: "u" });
    const misdirected = otherHub.url.replace("/client/hubs/other?", "/client/hubs/chat?");
    assert.equal((await upgradeStatus(misdirected)).status, 401);
    const wrongKey = dotnetClientAccess(endpoint, "chat", randomAccessKey(), { userId: "u" });
    assert.equal((await upgradeStatus(wrongKey.url)).status, 401);
});

// ---------------------------------------------------------------------------------------------
// REST requests

test("JS SDK: each request's bearer aud is request.url with its port and whole query; hubcast accepts every one", async (t) => {
    const server = await startServer(t);
    const transport = createDefaultHttpClient();
    const sent = [];
    const service = new WebPubSubServiceClient(server.connectionString, "chat", {
        allowInsecureConnection: true,
        retryOptions: { maxRetries: 0 },
        httpClient: {
            async sendRequest(request) {
                const response = await transport.sendRequest(request);
                sent.push({ url: request.url, authorization: request.headers.get("Authorization"), status: response.status });
                return response;
            },
        },
    });
    await call(
        service.sendToAll("hi", { contentType: "text/plain", filter: "userId ne 'x'", excludedConnections: ["c1", "c2"] }),
        "sendToAll with a filter and excluded connections",
    );
    for await (const member of await call(service.group("room a").listConnections({ maxPageSize: 10 }), "listConnections")) {
        assert.fail(`nobody is connected, yet ${JSON.stringify(member)} is listed`);
    }
    assert.equal(await call(service.groupExists("room a"), "groupExists"), false);

    assert.equal(sent.length, 3, JSON.stringify(sent));
    for (const request of sent) {
        const url = new URL(request.url);
        assert.equal(url.host, `127.0.0.1:${server.port}`);
        assert.equal(url.searchParams.get("api-version"), API_VERSION);
        const token = request.authorization.replace(/^Bearer /, "");
        assert.deepEqual(jwtHeader(token), { alg: "HS256", typ: "JWT" });
        const claims = jwtClaims(token);
        assert.equal(claims.aud, request.url, "aud is the URL sent, query included");
        assert.equal(claims.exp - claims.iat, 3600);
        assert.ok([200, 202, 404].includes(request.status), `${request.url} answered ${request.status}`);
    }
    assert.deepEqual(new URL(sent[0].url).searchParams.getAll("excluded"), ["c1", "c2"]);
});

test(".NET REST calls: nbf, exp +5 min, iat, aud = AbsoluteUri; api-versions 2024-12-01, 2024-01-01 and 2021-10-01", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = dotnetConnectionString(server.connectionString);
    const hub = "SampleChatHub";
    const member = await connectSdkClient(t, server, hub, { userId: "member" });
    const api = (path, version = "2024-12-01") => `${endpoint}api/hubs/${hub}${path}${path.includes("?") ? "&" : "?"}api-version=${version}`;
    const rest = (method, url, options) => restRequest(method, url, dotnetRestToken(url, accessKey), options);

    const send = api(`/:send?excluded=c1&excluded=c2&filter=${dotnetEscape("userId ne 'x'")}`);
    assert.equal((await rest("POST", send, { body: "hello", contentType: "text/plain" })).status, 202);
    const list = api(`/groups/${dotnetEscape("room a")}/connections?maxpagesize=10`);
    const listed = await rest("GET", list);
    assert.equal(listed.status, 200, listed.body);
    assert.deepEqual(JSON.parse(listed.body).value, []);
    const grant = api(`/permissions/sendToGroup/connections/${member.connectionId}?targetName=room`, "2024-01-01");
    assert.equal((await rest("PUT", grant)).status, 200);
    assert.equal((await rest("HEAD", api("/users/member", "2021-10-01"))).status, 200);
    assert.equal((await rest("HEAD", api("/users/nobody", "2021-10-01"))).status, 404);
});

test("Python REST calls: only aud and exp +60 s, its parameter order and quoting, a reverse proxy's original URL as aud", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = pythonConnectionString(server.connectionString);
    const hub = "chat";
    const rest = (method, url, options, audience = url, tokenOptions = {}) =>
        restRequest(method, url, pythonRestToken(audience, accessKey, tokenOptions), options);

    // The request builders set `excluded`, then `api-version`, then `filter`.
    const send = `${endpoint}/api/hubs/${hub}/:send?excluded=c1&excluded=c2&api-version=2024-12-01&filter=${pythonQuote("userId ne 'x'")}`;
    assert.equal((await rest("POST", send, { body: '{"a":1}', contentType: "application/json" })).status, 202);
    const group = `${endpoint}/api/hubs/${hub}/groups/${pythonQuote("room a")}/:send?api-version=2024-12-01`;
    assert.equal((await rest("POST", group, { body: "hi", contentType: "text/plain" })).status, 202);
    const list = `${endpoint}/api/hubs/${hub}/groups/room/connections?api-version=2024-12-01&top=100`;
    assert.equal((await rest("GET", list)).status, 200);
    // The 1.0 releases' api-version, and a client built with user=: its name in the ClaimTypes.Name claim.
    const user = `${endpoint}/api/hubs/${hub}/users/someone/:send?api-version=2021-10-01`;
    assert.equal((await rest("POST", user, { body: "[1]", contentType: "application/json" }, user, { user: "app" })).status, 202);
    // reverse_proxy_endpoint: the request goes through the proxy, aud names the service's own URL.
    const proxied = `${endpoint}/api/hubs/${hub}/:send?api-version=2024-12-01`;
    const original = proxied.replace(endpoint, "https://hubcast.internal.example:8443");
    assert.equal((await rest("POST", proxied, { body: "via proxy", contentType: "text/plain" }, original)).status, 202);
});

test("Java REST calls: no typ, exp +10 min; api-versions of its releases, 2021-08-01-preview to 2024-01-01", async (t) => {
    const server = await startServer(t);
    const { endpoint, accessKey } = javaConnectionString(server.connectionString);
    const rest = (method, url, options) => restRequest(method, url, javaRestToken(url, accessKey), options);
    const api = (path, version) => `${endpoint}/api/hubs/chat${path}${path.includes("?") ? "&" : "?"}api-version=${version}`;

    assert.equal((await rest("POST", api("/:closeConnections?reason=bye", "2022-11-01"))).status, 204);
    assert.equal((await rest("HEAD", api("/permissions/sendToGroup/connections/nobody?targetName=room", "2024-01-01"))).status, 404);
    assert.equal((await rest("GET", api("/groups/room/connections", "2024-01-01"))).status, 200, "listConnectionsInGroup (1.5.0)");
    assert.equal((await rest("POST", api("/:send", "2021-10-01"), { body: "hi", contentType: "text/plain" })).status, 202);
    assert.equal((await rest("HEAD", api("/groups/room", "2021-08-01-preview"))).status, 404, "the 1.0.0 betas");
});

test("a REST token is refused when its aud names another query or it is signed with another key", async (t) => {
    // The control for the REST tests above.
    const server = await startServer(t);
    const { endpoint, accessKey } = dotnetConnectionString(server.connectionString);
    const url = `${endpoint}api/hubs/chat/:send?api-version=2024-12-01`;
    const otherQuery = `${url}&filter=${dotnetEscape("userId eq 'a'")}`;
    const body = { body: "hi", contentType: "text/plain" };
    assert.equal((await restRequest("POST", url, dotnetRestToken(otherQuery, accessKey), body)).status, 401);
    assert.equal((await restRequest("POST", url, dotnetRestToken(url, randomAccessKey()), body)).status, 401);
    assert.equal((await restRequest("POST", url, dotnetRestToken(url, accessKey), body)).status, 202);
});

// ---------------------------------------------------------------------------------------------
// Event handlers

const DOTNET_STATE = Buffer.from('{"visits":"MQ=="}').toString("base64");
const DOTNET_ANSWER = { userId: "dotnet-user", groups: ["dotnet-group"], roles: null, subprotocol: null };

/** hubcast whose hub `hub` sends every system event and every user event to `handler`. */
async function startWithDotnetHandler(t, hub, { accessKeys, handlerKey } = {}) {
    const handler = await startDotnetHandler(t, { hubClass: hub, connectAnswer: DOTNET_ANSWER, state: DOTNET_STATE });
    const config = writeConfig({
        [hub.toLowerCase()]: { handlers: [{ urlTemplate: handler.urlTemplate, userEventPattern: "*", systemEvents: SYSTEM_EVENTS }] },
    });
    const server = await startServer(t, { accessKeys, args: ["--config", config] });
    handler.configure(handlerKey === undefined ? server.connectionString : server.connectionStringWithKey(handlerKey));
    return { server, handler };
}

test(".NET middleware: hubcast's preflight, signatures, ce-* headers, media types and connection state pass every check", async (t) => {
    const { server, handler } = await startWithDotnetHandler(t, "SampleChatHub");
    const client = await connectSdkClient(t, server, "SampleChatHub", { userId: "alice" });
    assert.equal(client.userId, "dotnet-user", "the connect answer, written without Content-Type and with nulls, named the user");

    await acked(client.client.sendEvent("echo", "hi", "text"), "sendEvent text");
    await acked(client.client.sendEvent("echo", { a: 1 }, "json"), "sendEvent json");
    await acked(client.client.sendEvent("echo", Uint8Array.from([1, 2]).buffer, "binary"), "sendEvent binary");
    await waitFor(() => client.serverMessages.length >= 3, { what: "three answers from the handler" });
    assert.deepEqual(
        client.serverMessages.map((m) => [m.dataType, m.data]),
        [
            ["text", "dotnet: hi"],
            ["text", 'dotnet: {"a":1}'],
            ["text", "dotnet: \u0001\u0002"],
        ],
        "each answer, text/plain; charset=utf-8, reached the client",
    );
    await client.client.stop();
    await handler.waitFor("disconnected", 10_000);

    assert.deepEqual(handler.refusals, []);
    assert.deepEqual(
        handler.accepted.map((a) => a.event),
        ["preflight", "connect", "connected", "echo text/plain", "echo application/json", "echo application/octet-stream", "disconnected"],
    );
    const preflight = handler.accepted[0];
    assert.equal(preflight.method, "OPTIONS");
    assert.equal(preflight.headers["webhook-request-origin"], "127.0.0.1", ".NET's Uri.Host of the printed Endpoint");
    assert.equal(preflight.headers["ce-awpsversion"], "1.0", "without it the middleware passes the request on");
    for (const event of handler.accepted.slice(2)) {
        assert.equal(event.headers["ce-connectionstate"], DOTNET_STATE, `${event.event} carries the state the connect answer set`);
        assert.equal(event.headers["ce-userid"], "dotnet-user");
    }
});

test(".NET middleware given the secondary key finds its signature; given an unknown key it refuses and so does hubcast", async (t) => {
    const keys = [randomAccessKey(), randomAccessKey()];
    const rotated = await startWithDotnetHandler(t, "RotatedHub", { accessKeys: keys, handlerKey: keys[1] });
    const client = await connectSdkClient(t, rotated.server, "RotatedHub", { userId: "carol" });
    assert.equal(client.userId, "dotnet-user");
    assert.deepEqual(rotated.handler.refusals, []);

    const stale = await startWithDotnetHandler(t, "StaleHub", { accessKeys: keys, handlerKey: randomAccessKey() });
    const { url } = await stale.server.clientAccess("StaleHub", { userId: "dave" });
    assert.equal((await upgradeStatus(url)).status, 401, "the handler's 401 refuses the upgrade");
    assert.deepEqual(stale.handler.refusals, ["Signature validation failed."]);
});

test("express allowedEndpoints answers the preflight with host:port; hubcast accepts that origin and calls the handler", async (t) => {
    // The app lists the service endpoint with a port, as a connection string with Port= gives it;
    // express answers `WebHook-Allowed-Origin: 127.0.0.1:<port>`, whatever port it names.
    const app = await startAppServer(t, "chat", {
        allowedEndpoints: ["http://127.0.0.1:8080"],
        handleConnect: (_request, response) => response.success({ userId: "express-user" }),
    });
    const config = writeConfig({ chat: { handlers: [{ urlTemplate: app.urlTemplate, userEventPattern: "*", systemEvents: SYSTEM_EVENTS }] } });
    const server = await startServer(t, { args: ["--config", config] });
    const client = await connectSdkClient(t, server, "chat", { userId: "ignored" });
    assert.equal(client.userId, "express-user");
    await app.waitForEvent((e) => e.event === "connected", "connected");
});

test("a preflight answer listing several origins joined with ', ', as the Flask prototype writes it, allows hubcast's", async (t) => {
    const seen = [];
    const handler = createServer((req, res) => {
        seen.push(req.method === "OPTIONS" ? "preflight" : req.headers["ce-eventname"]);
        if (req.method === "OPTIONS") res.setHeader("WebHook-Allowed-Origin", "app.example.com, 127.0.0.1");
        req.resume();
        req.on("end", () => res.end());
    });
    await new Promise((resolve) => handler.listen(0, "127.0.0.1", resolve));
    t.after(() => {
        handler.closeAllConnections();
        return new Promise((resolve) => handler.close(resolve));
    });
    const urlTemplate = `http://127.0.0.1:${handler.address().port}/eventhandler`;
    const config = writeConfig({ chat: { handlers: [{ urlTemplate, systemEvents: ["connected"] }] } });
    const server = await startServer(t, { args: ["--config", config] });
    await connectSdkClient(t, server, "chat", { userId: "flask-user" });
    await waitFor(() => seen.includes("connected"), { what: `the connected event (handler saw ${JSON.stringify(seen)})` });
    assert.equal(seen[0], "preflight");
});
