// A TCP proxy of the tests' own between SDK clients and hubcast (or a balancer in front of it),
// which can cut every connection passing through it as a network failure would.

import net from "node:net";
import { decodeDownstream } from "./protobuf.mjs";

/**
 * A TCP proxy between SDK clients and hubcast. cut() drops every connection passing through it:
 * `halfOpen` closes only the client's side and leaves the server's side open and unread, as a
 * network failure the server cannot see would. refuse() makes it drop new connections at once.
 * It also reads what the server sends (unmasked frames after the 101) to record the close codes
 * and the negotiated subprotocol, which the SDK does not expose.
 */
export class CuttableProxy {
    constructor(targetPort) {
        this.targetPort = targetPort;
        this.connections = new Set();
        this.refusing = false;
        this.closeCodes = [];
        this.subprotocols = [];
        /** Every data message the server sent through the proxy, parsed, in order. */
        this.messages = [];
        /** The connectionId of every `connected` message the server sent. */
        this.connectedIds = [];
        this.server = net.createServer((client) => this.#accept(client));
    }

    async listen() {
        await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.port = this.server.address().port;
        return this;
    }

    close() {
        for (const c of this.connections) {
            c.client.destroy();
            c.upstream.destroy();
        }
        this.server.close();
    }

    refuse(refusing) {
        this.refusing = refusing;
    }

    cut({ halfOpen = false } = {}) {
        for (const c of this.connections) {
            c.cut = true;
            c.client.destroy();
            if (halfOpen) {
                c.upstream.pause(); // open, unread: the server keeps writing into it
            } else {
                c.upstream.destroy();
            }
        }
        this.connections.clear();
    }

    #accept(client) {
        client.on("error", () => {});
        if (this.refusing) {
            client.destroy();
            return;
        }
        const upstream = net.connect(this.targetPort, "127.0.0.1");
        upstream.on("error", () => {});
        const connection = { client, upstream, cut: false, scanner: new ServerStreamScanner(this) };
        this.connections.add(connection);
        client.on("data", (chunk) => {
            if (!connection.cut) upstream.write(chunk);
        });
        upstream.on("data", (chunk) => {
            if (connection.cut) return;
            connection.scanner.feed(chunk);
            client.write(chunk);
        });
        client.on("close", () => {
            if (!connection.cut) upstream.destroy();
            this.connections.delete(connection);
        });
        upstream.on("close", () => {
            if (!connection.cut) client.destroy();
        });
    }
}

/** Reads the server's side of one proxied connection: the HTTP response head, then frames. */
class ServerStreamScanner {
    constructor(proxy) {
        this.proxy = proxy;
        this.buffer = Buffer.alloc(0);
        this.inFrames = false;
    }

    feed(chunk) {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        if (!this.inFrames) {
            const end = this.buffer.indexOf("\r\n\r\n");
            if (end < 0) return;
            const head = this.buffer.subarray(0, end).toString("latin1");
            const protocol = /^sec-websocket-protocol:\s*(.+)$/im.exec(head);
            this.proxy.subprotocols.push(protocol ? protocol[1].trim() : "");
            this.buffer = this.buffer.subarray(end + 4);
            this.inFrames = true;
        }
        for (;;) {
            if (this.buffer.length < 2) return;
            const opcode = this.buffer[0] & 0x0f;
            let length = this.buffer[1] & 0x7f;
            let offset = 2;
            if (length === 126) {
                if (this.buffer.length < 4) return;
                length = this.buffer.readUInt16BE(2);
                offset = 4;
            } else if (length === 127) {
                if (this.buffer.length < 10) return;
                length = Number(this.buffer.readBigUInt64BE(2));
                offset = 10;
            }
            if (this.buffer.length < offset + length) return;
            const payload = this.buffer.subarray(offset, offset + length);
            this.buffer = this.buffer.subarray(offset + length);
            if (opcode === 0x8 && payload.length >= 2) {
                this.proxy.closeCodes.push(payload.readUInt16BE(0));
            } else if (opcode === 0x1) {
                const message = JSON.parse(payload.toString("utf8"));
                if (message.type === "message") this.proxy.messages.push(message);
                if (message.type === "system" && message.event === "connected") {
                    this.proxy.connectedIds.push(message.connectionId);
                }
            } else if (opcode === 0x2) {
                const message = decodeDownstream(payload);
                if (message.dataMessage) {
                    this.proxy.messages.push({ type: "message", sequenceId: message.dataMessage.sequenceId });
                }
                if (message.systemMessage?.connectedMessage) {
                    this.proxy.connectedIds.push(message.systemMessage.connectedMessage.connectionId);
                }
            }
        }
    }
}

/** A CuttableProxy to 127.0.0.1:`targetPort`, closed when the test `t` ends. */
export async function startProxy(t, targetPort) {
    const proxy = await new CuttableProxy(targetPort).listen();
    t.after(() => proxy.close());
    return proxy;
}
