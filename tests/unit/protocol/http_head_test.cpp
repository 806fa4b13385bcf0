// The request-head rules that keep one request from being read as another (RFC 9112 framing) and
// Host and WebSocket key values harmless.
#include <gtest/gtest.h>

#include "protocol/http_head.hpp"

namespace hubcast::protocol {
namespace {

std::optional<unsigned> refusal(std::string_view method, unsigned version, header_list fields) {
    const auto rejection = check_request_head(method, version, fields);
    return rejection ? std::optional<unsigned>(rejection->status) : std::nullopt;
}

TEST(HttpHead, APlainRequestPasses) {
    EXPECT_EQ(refusal("GET", 11, {{"Host", "localhost:8080"}}), std::nullopt);
    EXPECT_EQ(refusal("GET", 10, {}), std::nullopt);
    EXPECT_EQ(refusal("POST", 11, {{"host", "h"}, {"Transfer-Encoding", "chunked"}}), std::nullopt);
    EXPECT_EQ(refusal("POST", 11, {{"host", "h"}, {"Transfer-Encoding", "CHUNKED"}}), std::nullopt);
}

TEST(HttpHead, TransferCodingsMustEndWithChunkedOnce) {
    for (const char* coding :
         {"gzip", "identity", "xchunked", "chunked, identity", "chunked,chunked", "chunked;x=1", " , "}) {
        EXPECT_EQ(refusal("POST", 11, {{"Host", "h"}, {"Transfer-Encoding", coding}}), 400u) << coding;
    }
    EXPECT_EQ(
        refusal("POST", 11, {{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "gzip"}}),
        400u);
    EXPECT_EQ(
        refusal("POST", 11, {{"Host", "h"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}),
        501u);
    EXPECT_EQ(refusal("POST", 11, {{"Host", "h"}, {"Transfer-Encoding", "gzip, chunked"}}), 501u);
    EXPECT_EQ(refusal("POST", 11, {{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}}),
              400u);
    EXPECT_EQ(refusal("POST", 10, {{"Transfer-Encoding", "chunked"}}), 400u);
}

TEST(HttpHead, HostIsRequiredOnceInHttp11AndValid) {
    EXPECT_EQ(refusal("GET", 11, {}), 400u);
    EXPECT_EQ(refusal("GET", 11, {{"Host", "a"}, {"HOST", "a"}}), 400u);
    EXPECT_EQ(refusal("GET", 10, {{"Host", "a"}, {"Host", "b"}}), 400u);
    EXPECT_EQ(refusal("GET", 11, {{"Host", ""}}), std::nullopt);
}

TEST(HttpHead, HostValues) {
    for (const char* good : {"", "localhost", "127.0.0.1:8080", "[::1]", "[::1]:443", "my-host.example.com",
                             "xn--bcher-kva.example", "a%20b"}) {
        EXPECT_TRUE(is_valid_host(good)) << good;
    }
    for (const char* bad : {"a b", "evil.example/path", "h?x", "h#f", "user@h", ":80", "h:80a", "h:123456",
                            "[::1", "[]", "h\r\nX: y", "a%2", "a%zz"}) {
        EXPECT_FALSE(is_valid_host(bad)) << bad;
    }
}

TEST(HttpHead, SingletonFieldsAppearOnce) {
    for (const char* name :
         {"Authorization", "Content-Type", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Upgrade"}) {
        EXPECT_EQ(refusal("GET", 11, {{"Host", "h"}, {name, "a"}, {name, "a"}}), 400u) << name;
    }
}

TEST(HttpHead, WebSocketKeyIsSixteenBytesOfBase64) {
    EXPECT_TRUE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
    for (const char* bad : {"", "dGhlIHNhbXBsZSBub25jZQ", "!!!!!!!!!!!!!!!!!!!!!!==",
                            "dGhlIHNhbXBsZSBub25jZSEh", "dGhlIHNhbXBsZSBub25jZQ==AAAA"}) {
        EXPECT_FALSE(is_valid_websocket_key(bad)) << bad;
    }
    const header_list upgrade{{"Host", "h"},
                              {"Upgrade", "websocket"},
                              {"Connection", "keep-alive, Upgrade"},
                              {"Sec-WebSocket-Key", "short"}};
    EXPECT_EQ(refusal("GET", 11, upgrade), 400u);
    header_list missing = upgrade;
    missing.pop_back();
    EXPECT_EQ(refusal("GET", 11, missing), 400u);
    EXPECT_TRUE(is_websocket_upgrade("GET", 11, upgrade));
    EXPECT_FALSE(is_websocket_upgrade("POST", 11, upgrade));
    EXPECT_FALSE(is_websocket_upgrade("GET", 10, upgrade));
}

} // namespace
} // namespace hubcast::protocol
