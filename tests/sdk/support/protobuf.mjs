// The protobuf subprotocols for the SDK tests, read from our own proto/webpubsub.proto by
// protobufjs: a codec independent of the server's (libprotobuf, generated C++).
//
// protobufProtocol() plugs protobuf.webpubsub.azure.v1 into the official @azure/web-pubsub-client,
// which accepts any object with the WebPubSubClientProtocol shape. Microsoft's own add-on
// (@azure/web-pubsub-client-protobuf) is not on the npm registry this project can reach, so this is
// written from the client-protocol spec (sections 6.2-6.4) with the same data mapping: text_data →
// "text", json_data → "json" (parsed), binary_data → "binary" (an ArrayBuffer), protobuf_data →
// "protobuf" (the google.protobuf.Any as {type_url, value}).

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

export const PROTOBUF_SUBPROTOCOL = "protobuf.webpubsub.azure.v1";
export const PROTOBUF_RELIABLE_SUBPROTOCOL = "protobuf.reliable.webpubsub.azure.v1";

const schema = fileURLToPath(new URL("../../../proto/webpubsub.proto", import.meta.url));
const root = protobuf.loadSync(schema);
export const Upstream = root.lookupType("azure.webpubsub.UpstreamMessage");
export const Downstream = root.lookupType("azure.webpubsub.DownstreamMessage");
export const Any = root.lookupType("google.protobuf.Any");

/** The bytes of one UpstreamMessage built from a plain object (protobufjs field names). */
export function encodeUpstream(fields) {
    const error = Upstream.verify(fields);
    if (error) throw new TypeError(`not an UpstreamMessage: ${error}`);
    return Buffer.from(Upstream.encode(Upstream.create(fields)).finish());
}

/**
 * A DownstreamMessage as a plain object: uint64s as numbers, bytes as Buffers, and for every oneof
 * the name of the member that is set (`message`, `data`), so a test can tell an empty text from none.
 */
export function decodeDownstream(bytes) {
    return Downstream.toObject(Downstream.decode(bytes), { longs: Number, bytes: Buffer, oneofs: true });
}

/** A serialized google.protobuf.Any. */
export function encodeAny(typeUrl, value) {
    return Buffer.from(Any.encode(Any.create({ type_url: typeUrl, value })).finish());
}

function toArrayBuffer(bytes) {
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function messageData(data, dataType) {
    switch (dataType) {
        case "text":
            return { textData: data };
        case "json":
            return { jsonData: JSON.stringify(data) };
        case "binary":
            return { binaryData: new Uint8Array(data) };
        case "protobuf":
            return { protobufData: { type_url: data.type_url, value: data.value } };
        default:
            throw new TypeError(`dataType ${dataType} has no protobuf form`);
    }
}

function fromMessageData(data) {
    switch (data?.data) {
        case "textData":
            return { dataType: "text", data: data.textData };
        case "jsonData":
            return { dataType: "json", data: JSON.parse(data.jsonData) };
        case "binaryData":
            return { dataType: "binary", data: toArrayBuffer(data.binaryData) };
        case "protobufData":
            return {
                dataType: "protobuf",
                data: { type_url: data.protobufData.type_url ?? "", value: data.protobufData.value ?? Buffer.alloc(0) },
            };
        default:
            return null;
    }
}

function upstreamFields(message) {
    switch (message.kind) {
        case "joinGroup":
            return { joinGroupMessage: { group: message.group, ackId: message.ackId } };
        case "leaveGroup":
            return { leaveGroupMessage: { group: message.group, ackId: message.ackId } };
        case "sendToGroup":
            return {
                sendToGroupMessage: {
                    group: message.group,
                    ackId: message.ackId,
                    noEcho: message.noEcho,
                    data: messageData(message.data, message.dataType),
                },
            };
        case "sendEvent":
            return {
                eventMessage: { event: message.event, ackId: message.ackId, data: messageData(message.data, message.dataType) },
            };
        case "sequenceAck":
            return { sequenceAckMessage: { sequenceId: message.sequenceId } };
        case "ping":
            return { pingMessage: {} };
        default:
            throw new TypeError(`the protobuf protocol cannot send ${message.kind}`);
    }
}

function toSdkMessage(bytes) {
    const message = decodeDownstream(bytes);
    switch (message.message) {
        case "ackMessage": {
            const ack = message.ackMessage;
            const out = { kind: "ack", ackId: ack.ackId ?? 0, success: ack.success ?? false };
            if (ack.error) out.error = { name: ack.error.name ?? "", message: ack.error.message ?? "" };
            return out;
        }
        case "pongMessage":
            return { kind: "pong" };
        case "systemMessage": {
            const system = message.systemMessage;
            if (system.message === "connectedMessage") {
                const connected = system.connectedMessage;
                return {
                    kind: "connected",
                    connectionId: connected.connectionId ?? "",
                    userId: connected.userId ?? "",
                    reconnectionToken: connected.reconnectionToken,
                };
            }
            if (system.message === "disconnectedMessage") {
                return { kind: "disconnected", message: system.disconnectedMessage.reason ?? "" };
            }
            return null;
        }
        case "dataMessage": {
            const data = message.dataMessage;
            const payload = fromMessageData(data.data);
            if (payload === null) return null;
            if (data.from === "group") return { kind: "groupData", group: data.group, sequenceId: data.sequenceId, ...payload };
            if (data.from === "server") return { kind: "serverData", sequenceId: data.sequenceId, ...payload };
            return null;
        }
        default:
            return null; // unknown kinds are ignored, as the SDK does for JSON
    }
}

/**
 * protobuf.webpubsub.azure.v1 for `new WebPubSubClient(..., { protocol: protobufProtocol() })`;
 * with `{ reliable: true }`, protobuf.reliable.webpubsub.azure.v1 (the SDK then acks sequence ids
 * and recovers, as with its JSON reliable protocol).
 */
export function protobufProtocol({ reliable = false } = {}) {
    return {
        name: reliable ? PROTOBUF_RELIABLE_SUBPROTOCOL : PROTOBUF_SUBPROTOCOL,
        isReliableSubProtocol: reliable,
        parseMessages(input) {
            if (typeof input === "string") throw new TypeError("the protobuf protocol expects binary frames");
            const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
            return toSdkMessage(bytes);
        },
        writeMessage(message) {
            return toArrayBuffer(Upstream.encode(Upstream.create(upstreamFields(message))).finish());
        },
    };
}

/**
 * The two reliable protocols an SDK client can speak (style rule 14: one test per variant): JSON,
 * the SDK's default, and protobuf through protobufProtocol(). `options()` are the SDK client
 * options selecting it; the default one passes none.
 */
export const RELIABLE_PROTOCOLS = [
    { name: "json.reliable.webpubsub.azure.v1 (the SDK default)", subprotocol: "json.reliable.webpubsub.azure.v1", options: () => ({}) },
    {
        name: PROTOBUF_RELIABLE_SUBPROTOCOL,
        subprotocol: PROTOBUF_RELIABLE_SUBPROTOCOL,
        options: () => ({ protocol: protobufProtocol({ reliable: true }) }),
    },
];

/** Every upgrade `proxy` (support/cuttable-proxy.mjs) saw, at least one, negotiated `variant`'s subprotocol. */
export function assertNegotiated(proxy, variant) {
    assert.ok(proxy.subprotocols.length > 0, "no upgrade went through the proxy");
    assert.deepEqual(proxy.subprotocols, proxy.subprotocols.map(() => variant.subprotocol), "the negotiated subprotocols");
}
