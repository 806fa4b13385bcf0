// An app server written the way Azure Web PubSub users write theirs: express with the official
// @azure/web-pubsub-express event handler, on an ephemeral loopback port. Tests give it the
// handlers they need and read back every event it received; hubcast is started with a config file
// whose event handler points here (style rule 16: every wait has a deadline).

import { AsyncLocalStorage } from "node:async_hooks";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { waitFor, withDeadline } from "./server.mjs";

/**
 * Starts express with a WebPubSubEventHandler for `hub`. `handlers` are the SDK's options
 * (handleConnect, handleUserEvent, onConnected, onDisconnected, allowedEndpoints); whatever they
 * are, every request the SDK dispatches is recorded in `events` first:
 *   {event: "connect"|"connected"|"disconnected"|<user event>, context, request, headers}
 * `headers` are the raw HTTP request headers hubcast sent. The server stops when the test ends.
 */
export async function startAppServer(t, hub, handlers = {}) {
    const app = express();
    const events = [];
    // The SDK hides the HTTP request; this carries its headers to the handlers of that request.
    const current = new AsyncLocalStorage();
    app.use((req, _res, next) => current.run(req.headers, next));
    const record = (event, request) => {
        events.push({ event, context: request.context, request, headers: current.getStore() });
    };
    const options = {
        allowedEndpoints: handlers.allowedEndpoints,
        onConnected: (request) => {
            record("connected", request);
            handlers.onConnected?.(request);
        },
        onDisconnected: (request) => {
            record("disconnected", request);
            handlers.onDisconnected?.(request);
        },
    };
    if (handlers.handleConnect) {
        options.handleConnect = (request, response) => {
            record("connect", request);
            return handlers.handleConnect(request, response);
        };
    }
    if (handlers.handleUserEvent) {
        options.handleUserEvent = (request, response) => {
            record(request.context.eventName, request);
            return handlers.handleUserEvent(request, response);
        };
    }
    const handler = new WebPubSubEventHandler(hub, options);
    app.use(handler.getMiddleware());

    const server = await new Promise((resolve, reject) => {
        const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
        listening.once("error", reject);
    });
    const sockets = new Set();
    server.on("connection", (socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
    });
    const appServer = {
        port: server.address().port,
        events,
        /** The event handler URL template for hubcast's config. */
        get urlTemplate() {
            return `http://127.0.0.1:${this.port}/api/webpubsub/hubs/{hub}/`;
        },
        /** Waits for a recorded event matching `predicate`; returns it. */
        async waitForEvent(predicate, what, timeoutMs = 5_000) {
            return waitFor(() => events.find(predicate), {
                timeoutMs,
                what: `${what} (app server saw ${JSON.stringify(events.map((e) => [e.event, e.context.connectionId]))})`,
            });
        },
        async close() {
            for (const socket of sockets) socket.destroy();
            await withDeadline(new Promise((resolve) => server.close(resolve)), 5_000, "the app server to close");
        },
    };
    t?.after(() => appServer.close());
    return appServer;
}

/**
 * Writes a hubcast config file (TOML) to a fresh temporary directory and returns its path.
 * `hubs` maps hub names to {anonymousConnect, keepaliveSeconds, handlers: [{urlTemplate,
 * userEventPattern, systemEvents}]}; `upstream` holds [upstream] keys as they are spelled in TOML.
 */
export function writeConfig(hubs, upstream = {}) {
    const lines = [];
    if (Object.keys(upstream).length > 0) {
        lines.push("[upstream]");
        for (const [key, value] of Object.entries(upstream)) lines.push(`${key} = ${JSON.stringify(value)}`);
    }
    for (const [name, hub] of Object.entries(hubs)) {
        const table = name === "*" ? `hubs."*"` : `hubs.${name}`;
        lines.push(`[${table}]`);
        if (hub.anonymousConnect !== undefined) lines.push(`anonymous_connect = ${hub.anonymousConnect}`);
        if (hub.keepaliveSeconds !== undefined) lines.push(`keepalive_seconds = ${hub.keepaliveSeconds}`);
        for (const h of hub.handlers ?? []) {
            lines.push(`[[${table}.event_handlers]]`);
            lines.push(`url_template = ${JSON.stringify(h.urlTemplate)}`);
            lines.push(`user_event_pattern = ${JSON.stringify(h.userEventPattern ?? "")}`);
            lines.push(`system_events = ${JSON.stringify(h.systemEvents ?? [])}`);
        }
    }
    const dir = mkdtempSync(join(tmpdir(), "hubcast-webhooks-"));
    const path = join(dir, "hubcast.toml");
    writeFileSync(path, lines.join("\n") + "\n");
    return path;
}
