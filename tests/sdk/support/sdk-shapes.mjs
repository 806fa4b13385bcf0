// What the .NET, Python and Java Web PubSub SDKs send and check, rebuilt from their sources so
// that sdk-compat.test.mjs can send exactly that to the real binary: how each reads a connection
// string, how it signs a REST call, how it builds a client URL and token, and the checks the .NET
// event-handler middleware (Microsoft.Azure.WebPubSub.AspNetCore) applies to every request.
// docs/sdk-compatibility.md names the source file of each; a change there must change this too.

import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { waitFor, withDeadline } from "./server.mjs";

const CALL_TIMEOUT_MS = 5_000;

function base64url(value) {
    return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** An HS256 JWT with exactly this header and these claims (their key order kept). */
export function signJwt(header, claims, key) {
    const signed = `${base64url(header)}.${base64url(claims)}`;
    const signature = createHmac("sha256", Buffer.from(key, "utf8")).update(signed).digest("base64url");
    return `${signed}.${signature}`;
}

/** The header of a JWT (not verified). */
export function jwtHeader(token) {
    return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------------------------
// Connection strings: the base URL each SDK derives, and the access key.

/**
 * .NET (Azure.Messaging.WebPubSub src/Shared/ConnectionStringParser.cs): split on ';' dropping
 * empty segments, each at its first '='; keys and values trimmed, keys ignoring case, a key given
 * twice throws; Endpoint's trailing '/' trimmed; Port (1-65535) set on a UriBuilder. The result
 * is the Uri's AbsoluteUri, which always ends with '/'.
 */
export function dotnetConnectionString(connectionString) {
    const properties = new Map();
    for (const segment of connectionString.split(";").filter((s) => s.length > 0)) {
        const equals = segment.indexOf("=");
        if (equals < 0) continue;
        const key = segment.slice(0, equals).trim().toLowerCase();
        if (properties.has(key)) throw new Error(`Duplicate properties found in connection string: ${key}.`);
        properties.set(key, segment.slice(equals + 1).trim());
    }
    if (!properties.has("endpoint")) throw new Error("Required property not found in connection string: Endpoint.");
    if (!properties.has("accesskey")) throw new Error("Required property not found in connection string: AccessKey.");
    const uri = new URL(properties.get("endpoint").replace(/\/+$/, ""));
    if (properties.has("port")) {
        const port = Number(properties.get("port"));
        if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new Error(`Invalid Port value: ${properties.get("port")}`);
        uri.port = String(port);
    }
    return { endpoint: uri.href, host: uri.hostname, accessKey: properties.get("accesskey") };
}

/**
 * Python (azure-messaging-webpubsubservice _patch.py, _parse_connection_string and
 * WebPubSubServiceClientBase.__init__): split on ';', each segment at its first '='; keys
 * lowercased, values kept as written; `version` dropped; the first of a key given twice wins; a
 * `port` is appended: endpoint.rstrip("/") + ":" + port.
 */
export function pythonConnectionString(connectionString) {
    const kwargs = {};
    for (const segment of connectionString.split(";")) {
        const equals = segment.indexOf("=");
        if (equals >= 0) {
            const key = segment.slice(0, equals).toLowerCase();
            if (key !== "version" && !(key in kwargs)) kwargs[key] = segment.slice(equals + 1);
        } else if (segment) {
            throw new Error("Malformed connection string - expected 'key=value'");
        }
    }
    if (!("endpoint" in kwargs)) throw new Error("connection_string missing 'endpoint' field");
    if (!("accesskey" in kwargs)) throw new Error("connection_string missing 'accesskey' field");
    let endpoint = kwargs.endpoint;
    if (kwargs.port) endpoint = `${endpoint.replace(/\/+$/, "")}:${kwargs.port}`;
    return { endpoint, accessKey: kwargs.accesskey };
}

/**
 * Java (azure-messaging-webpubsub WebPubSubServiceClientBuilder.java, parseConnectionString and
 * buildInnerClient): keys and values trimmed, keys lowercased, the later of a key given twice
 * wins; the endpoint kept as written unless `port` is given, which UrlBuilder.setPort replaces.
 */
export function javaConnectionString(connectionString) {
    const properties = new Map();
    for (const segment of connectionString.split(";")) {
        const equals = segment.indexOf("=");
        if (equals < 0) continue;
        properties.set(segment.slice(0, equals).trim().toLowerCase(), segment.slice(equals + 1).trim());
    }
    let endpoint = properties.get("endpoint");
    if (properties.get("port")) {
        const url = new URL(endpoint);
        url.port = properties.get("port");
        // UrlBuilder.toString() writes no path for an endpoint that had none.
        endpoint = url.pathname === "/" ? url.origin : url.href;
    }
    return { endpoint, accessKey: properties.get("accesskey") };
}

// ---------------------------------------------------------------------------------------------
// REST bearer tokens: `url` is the absolute URL of the request, query included.

/** .NET src/Shared/WebPubSubAuthenticationPolicy.cs: nbf, exp (+5 min), iat, aud = Uri.AbsoluteUri. */
export function dotnetRestToken(url, key) {
    const now = nowSeconds();
    return signJwt({ alg: "HS256", typ: "JWT" }, { nbf: now, exp: now + 300, iat: now, aud: url }, key);
}

/**
 * Python _patch.py JwtCredentialPolicy: PyJWT's header; aud = the request URL (a reverse proxy's
 * endpoint swapped back to the original one), exp (+60 s), and the ClaimTypes.Name claim only when
 * the client was built with `user=`.
 */
export function pythonRestToken(url, key, { user } = {}) {
    const claims = { aud: url, exp: nowSeconds() + 60 };
    if (user) claims["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] = user;
    return signJwt({ alg: "HS256", typ: "JWT" }, claims, key);
}

/** Java WebPubSubAuthenticationPolicy.java: Nimbus JWSHeader(HS256), so no typ; aud = getUrl().toString(), exp (+10 min). */
export function javaRestToken(url, key) {
    return signJwt({ alg: "HS256" }, { aud: url, exp: nowSeconds() + 600 }, key);
}

/** Sends one REST request to `url` with `token`; resolves {status, body}. Bounded. */
export async function restRequest(method, url, token, { body, contentType } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    return { status: response.status, body: await response.text() };
}

/** Percent-encodes all but the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~). */
function escapeAllButUnreserved(value) {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Python's path and query serializer (Serializer.url / Serializer.query): urllib's quote(value, safe=""). */
export const pythonQuote = escapeAllButUnreserved;

/** .NET's Uri.EscapeDataString, which RequestUriBuilder.AppendPath/AppendQuery apply when asked to escape. */
export const dotnetEscape = escapeAllButUnreserved;

// ---------------------------------------------------------------------------------------------
// Client URLs and client access tokens; each returns {url, token}.

/**
 * .NET src/WebPubSubServiceClient_helpers.cs and src/Shared/WebPubSubClientAccessTokenGenerator.cs:
 * aud = endpoint.AbsoluteUri (ends with '/') + "client/hubs/" + hub as the app wrote it; claims
 * sub (whenever userId is not null), role and webpubsub.group when non-empty, nbf, exp, iat, aud;
 * the URL is a UriBuilder with scheme ws/wss + "client/hubs/" + hub + "?access_token=".
 */
export function dotnetClientAccess(endpoint, hub, key, { userId, roles = [], groups = [], lifetimeSeconds = 3600 } = {}) {
    const now = nowSeconds();
    const claims = {};
    if (userId !== undefined && userId !== null) claims.sub = userId;
    if (roles.length > 0) claims.role = roles;
    if (groups.length > 0) claims["webpubsub.group"] = groups;
    Object.assign(claims, { nbf: now, exp: now + lifetimeSeconds, iat: now, aud: `${endpoint}client/hubs/${hub}` });
    const token = signJwt({ alg: "HS256", typ: "JWT" }, claims, key);
    const client = new URL(endpoint);
    const base = `${client.protocol === "https:" ? "wss" : "ws"}://${client.host}${client.pathname}`;
    return { url: `${base}client/hubs/${hub}?access_token=${token}`, token };
}

/**
 * Python _operations/_patch.py get_client_access_token and get_token_by_key: the endpoint
 * lowercased and its trailing '/' stripped; URL "ws" + endpoint[4:] + "/client/hubs/" + hub;
 * aud = endpoint + "/client/hubs/" + hub (the hub's case kept); iat, exp (60 min by default), sub,
 * role and webpubsub.group when given; `jwt_headers` join PyJWT's header.
 */
export function pythonClientAccess(endpoint, hub, key, { userId, roles = [], groups = [], minutes = 60, jwtHeaders = {} } = {}) {
    const lowered = endpoint.toLowerCase().replace(/\/+$/, "");
    const now = nowSeconds();
    const claims = { aud: `${lowered}/client/hubs/${hub}`, iat: now, exp: now + minutes * 60 };
    if (userId) claims.sub = userId;
    if (roles.length > 0) claims.role = roles;
    if (groups.length > 0) claims["webpubsub.group"] = groups;
    const token = signJwt({ alg: "HS256", ...jwtHeaders, typ: "JWT" }, claims, key);
    return { url: `ws${lowered.slice(4)}/client/hubs/${hub}?access_token=${token}`, token };
}

/**
 * Java WebPubSubServiceAsyncClient.getClientAccessToken: endpoint + "/" unless it ends with one;
 * aud = that + "client/hubs/" + hub; the URL replaces the first "http" with "ws"; Nimbus header
 * without typ; exp, sub, role and (since 1.2.0) webpubsub.group.
 */
export function javaClientAccess(endpoint, hub, key, { userId, roles = [], groups = [], lifetimeSeconds = 3600 } = {}) {
    const base = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
    const claims = { aud: `${base}client/hubs/${hub}`, exp: nowSeconds() + lifetimeSeconds };
    if (userId !== undefined && userId !== null) claims.sub = userId;
    if (roles.length > 0) claims.role = roles;
    if (groups.length > 0) claims["webpubsub.group"] = groups;
    const token = signJwt({ alg: "HS256" }, claims, key);
    return { url: `${base.replace("http", "ws")}client/hubs/${hub}?access_token=${token}`, token };
}

// ---------------------------------------------------------------------------------------------
// The .NET event-handler middleware, as an HTTP server.

/** Constants.HeaderSeparator: WebHook-Request-Origin and ce-signature are split on ',' and ' '. */
function headerList(value) {
    return value === undefined ? [] : String(value).split(/[, ]/).filter((s) => s.length > 0);
}

/** `rawHeaders` values of one header, every line (IHeaderDictionary keeps them all). */
function headerValues(req, name) {
    const values = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i].toLowerCase() === name) values.push(req.rawHeaders[i + 1]);
    }
    return values;
}

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        req.on("data", (chunk) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

const isStringArray = (value) => Array.isArray(value) && value.every((v) => typeof v === "string");
const isStringListMap = (value) =>
    value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every(isStringArray);

/**
 * An app server running the checks of Microsoft.Azure.WebPubSub.AspNetCore (sources:
 * src/Internal/WebPubSubMiddleware.cs, src/Internal/RequestValidator.cs,
 * src/Extensions/WebPubSubRequestExtensions.cs, src/Internal/ServiceRequestHandlerAdapter.cs,
 * src/Internal/Constants.cs) for one hub class `hubClass`. `configure(connectionString)` gives it
 * the app's connection string (its Endpoint host and AccessKey, read as WebPubSubServiceEndpoint
 * reads them), usually hubcast's printed one, so it is called once hubcast runs. Every refusal is
 * answered with the status the middleware gives and recorded in `refusals`; what passed every
 * check is recorded in `accepted`. Its hub answers connect with `connectAnswer` and the
 * connection state `state` (base64 of a JSON object, as EncodeConnectionStates writes it), and a
 * user event with "dotnet: " + the data as text/plain; charset=utf-8.
 */
export async function startDotnetHandler(t, { hubClass, connectAnswer, state }) {
    let host;
    let accessKey;
    const refusals = [];
    const accepted = [];
    const refuse = (res, status, why) => {
        refusals.push(why);
        res.statusCode = status;
        res.end(why);
    };

    const isValidSignature = (req, connectionId) => {
        // context.Origin is every WebHook-Request-Origin line joined with ','.
        const origins = headerList(headerValues(req, "webhook-request-origin").join(","));
        if (!origins.some((origin) => origin.toLowerCase() === host.toLowerCase())) return false;
        const expected = `sha256=${createHmac("sha256", Buffer.from(accessKey, "utf8")).update(connectionId, "utf8").digest("hex").toUpperCase()}`;
        // signatures.Contains(hash, StringComparer.OrdinalIgnoreCase)
        return headerList(headerValues(req, "ce-signature").join(",")).some((s) => s.toLowerCase() === expected.toLowerCase());
    };

    const handle = async (req, res) => {
        const body = await readBody(req);
        if (host === undefined) return refuse(res, 503, "the handler was not given its connection string yet");
        if (req.headers["ce-awpsversion"] === undefined) return refuse(res, 404, "not a Web PubSub request: no ce-awpsversion");
        const requestOrigins = headerValues(req, "webhook-request-origin").flatMap(headerList);
        if (req.method === "OPTIONS" && requestOrigins.length > 0) {
            if (!requestOrigins.some((origin) => origin.toLowerCase() === host.toLowerCase())) {
                return refuse(res, 400, `preflight origin ${requestOrigins} is not ${host}`);
            }
            accepted.push({ event: "preflight", method: req.method, headers: req.headers });
            res.setHeader("WebHook-Allowed-Origin", "*");
            return res.end();
        }
        const hub = req.headers["ce-hub"];
        if (hub === undefined || hub.toLowerCase() !== hubClass.toLowerCase()) {
            return refuse(res, 404, `ce-hub ${hub} is not the registered hub ${hubClass}`);
        }
        const type = req.headers["ce-type"];
        const eventName = req.headers["ce-eventname"];
        const connectionId = req.headers["ce-connectionid"];
        if (type === undefined || eventName === undefined || connectionId === undefined) {
            return refuse(res, 500, "Invalid Web PubSub upstream request missing required fields in header.");
        }
        if (req.headers["ce-connectionstate"] !== undefined) {
            let states;
            try {
                states = JSON.parse(Buffer.from(req.headers["ce-connectionstate"], "base64").toString("utf8"));
            } catch {
                states = undefined;
            }
            if (states === null || typeof states !== "object" || Array.isArray(states)) {
                return refuse(res, 500, "ce-connectionState is not base64 of a JSON object");
            }
            if (req.headers["ce-connectionstate"] !== state) return refuse(res, 500, "ce-connectionState is not the state the hub set");
        }
        if (!isValidSignature(req, connectionId)) return refuse(res, 401, "Signature validation failed.");

        const record = (event) => accepted.push({ event, method: req.method, headers: req.headers, body });
        if (!type.toLowerCase().startsWith("azure.webpubsub.sys.")) {
            const media = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
            if (!["text/plain", "application/octet-stream", "application/json"].includes(media)) {
                return refuse(res, 500, `ContentType is not supported: ${req.headers["content-type"]}`);
            }
            record(`${eventName} ${media}`);
            res.setHeader("Content-Type", "text/plain; charset=utf-8");
            return res.end(`dotnet: ${body.toString("utf8")}`);
        }
        const name = eventName.toLowerCase();
        if (name === "connect") {
            let request;
            try {
                request = JSON.parse(body.toString("utf8"));
            } catch {
                return refuse(res, 500, `connect body is not JSON: ${body}`);
            }
            for (const map of ["claims", "query", "headers"]) {
                if (request[map] !== undefined && !isStringListMap(request[map])) return refuse(res, 500, `${map} is not a map of string arrays`);
            }
            if (request.subprotocols !== undefined && !isStringArray(request.subprotocols)) {
                return refuse(res, 500, "subprotocols is not a string array");
            }
            record("connect");
            if (state !== undefined) res.setHeader("ce-connectionState", state);
            // JsonSerializer.Serialize writes the unset members as null, and no Content-Type is set.
            return res.end(JSON.stringify(connectAnswer));
        }
        if (name === "disconnected") {
            let request;
            try {
                request = JSON.parse(body.toString("utf8"));
            } catch {
                return refuse(res, 500, `disconnected body is not JSON: ${body}`);
            }
            if (request.reason !== undefined && request.reason !== null && typeof request.reason !== "string") {
                return refuse(res, 500, "disconnected reason is not a string");
            }
        }
        record(name);
        res.end();
    };

    const server = createServer((req, res) => {
        handle(req, res).catch((err) => refuse(res, 500, String(err)));
    });
    await new Promise((resolve, reject) => {
        server.listen(0, "127.0.0.1", resolve);
        server.once("error", reject);
    });
    const handler = {
        port: server.address().port,
        refusals,
        accepted,
        configure(connectionString) {
            ({ host, accessKey } = dotnetConnectionString(connectionString));
        },
        get urlTemplate() {
            return `http://127.0.0.1:${this.port}/eventhandler/{event}`;
        },
        saw(event) {
            return accepted.some((a) => a.event === event);
        },
        async waitFor(event, timeoutMs = 5_000) {
            return waitFor(() => accepted.find((a) => a.event === event), {
                timeoutMs,
                what: `the .NET handler to accept ${event} (accepted ${JSON.stringify(accepted.map((a) => a.event))}, refused ${JSON.stringify(refusals)})`,
            });
        },
    };
    t.after(() => {
        server.closeAllConnections();
        return withDeadline(new Promise((resolve) => server.close(resolve)), 5_000, "the .NET handler to close");
    });
    return handler;
}
