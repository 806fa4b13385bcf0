#include <string>

#include <gtest/gtest.h>

#include "auth/connection_string.hpp"

namespace hubcast::auth {
namespace {

connection_string parsed(std::string_view text) {
    auto result = parse_connection_string(text);
    EXPECT_TRUE(result) << text << ": " << (result ? "" : result.error());
    return result ? *result : connection_string{};
}

std::string error_of(std::string_view text) {
    auto result = parse_connection_string(text);
    EXPECT_FALSE(result) << text;
    return result ? std::string() : result.error();
}

TEST(ConnectionString, ReadsTheAzurePortalForm) {
    // Keys are base64 and end in '=': only the first '=' of a segment separates.
    const auto cs = parsed("Endpoint=https://demo.webpubsub.azure.com;AccessKey=AbC+/xyz==;Version=1.0;");
    EXPECT_EQ(cs.endpoint, "https://demo.webpubsub.azure.com");
    EXPECT_FALSE(cs.port);
    EXPECT_EQ(cs.access_key, "AbC+/xyz==");
    EXPECT_EQ(cs.version, "1.0");
    EXPECT_EQ(cs.base_url(), "https://demo.webpubsub.azure.com");
}

TEST(ConnectionString, PortKeyJoinsTheBaseUrl) {
    const auto cs = parsed("Endpoint=http://localhost;Port=8080;AccessKey=key;Version=1.0;");
    EXPECT_EQ(cs.endpoint, "http://localhost");
    EXPECT_EQ(cs.port, 8080);
    EXPECT_EQ(cs.base_url(), "http://localhost:8080");
}

TEST(ConnectionString, PortInsideEndpointIsSeparated) {
    const auto cs = parsed("Endpoint=http://127.0.0.1:9000/;AccessKey=key");
    EXPECT_EQ(cs.endpoint, "http://127.0.0.1");
    EXPECT_EQ(cs.port, 9000);
    EXPECT_EQ(cs.base_url(), "http://127.0.0.1:9000");
}

TEST(ConnectionString, PortKeyOverridesThePortInEndpoint) {
    EXPECT_EQ(parsed("Endpoint=http://localhost:9000;Port=8080;AccessKey=key").base_url(),
              "http://localhost:8080");
}

TEST(ConnectionString, Ipv6Host) {
    const auto cs = parsed("Endpoint=http://[::1]:8080;AccessKey=key");
    EXPECT_EQ(cs.endpoint, "http://[::1]");
    EXPECT_EQ(cs.port, 8080);
    EXPECT_EQ(parsed("Endpoint=http://[::1];AccessKey=key").base_url(), "http://[::1]");
}

TEST(ConnectionString, KeysAreCaseInsensitiveAndOrderFree) {
    const auto cs = parsed(" accesskey = key ; VERSION=2.0;port=80 ;ENDPOINT=HTTPS://Example.com");
    EXPECT_EQ(cs.endpoint, "https://Example.com");
    EXPECT_EQ(cs.port, 80);
    EXPECT_EQ(cs.access_key, "key");
    EXPECT_EQ(cs.version, "2.0");
}

TEST(ConnectionString, UnknownKeysAndBareSegmentsAreSkipped) {
    const auto cs = parsed(";;Endpoint=http://h;Foo=bar;junk;AccessKey=k;;");
    EXPECT_EQ(cs.endpoint, "http://h");
    EXPECT_EQ(cs.access_key, "k");
    EXPECT_EQ(cs.version, "1.0");
}

TEST(ConnectionString, MissingPartsAreNamed) {
    EXPECT_EQ(error_of("AccessKey=k;Version=1.0;"), "missing Endpoint");
    EXPECT_EQ(error_of("Endpoint=;AccessKey=k"), "missing Endpoint");
    EXPECT_EQ(error_of("Endpoint=http://h;Version=1.0;"), "missing AccessKey");
    EXPECT_EQ(error_of("Endpoint=http://h;AccessKey= ;"), "missing AccessKey");
    EXPECT_EQ(error_of(""), "missing Endpoint");
}

TEST(ConnectionString, BadPortsAreNamed) {
    for (const std::string port : {"abc", "0", "65536", "-1", "+80", "8080x", "", "99999999999"}) {
        EXPECT_EQ(error_of("Endpoint=http://h;Port=" + port + ";AccessKey=k"), "invalid Port '" + port + "'");
    }
    EXPECT_EQ(parsed("Endpoint=http://h;Port=65535;AccessKey=k").port, 65535);
    EXPECT_EQ(parsed("Endpoint=http://h;Port=1;AccessKey=k").port, 1);
}

TEST(ConnectionString, BadEndpointsAreNamed) {
    for (const std::string endpoint :
         {"localhost", "ftp://h", "ws://h", "http://", "http://:8080", "http://h:0", "http://h:port",
          "http://h/base", "http://h?x=1", "http://u@h"}) {
        const std::string error = error_of("Endpoint=" + endpoint + ";AccessKey=k");
        EXPECT_EQ(error.rfind("invalid Endpoint '" + endpoint + "'", 0), 0U) << error;
    }
}

TEST(ConnectionString, DuplicateKeysAreRefused) {
    EXPECT_EQ(error_of("Endpoint=http://a;endpoint=http://b;AccessKey=k"), "duplicate Endpoint");
    EXPECT_EQ(error_of("Endpoint=http://a;AccessKey=k;ACCESSKEY=j"), "duplicate AccessKey");
}

TEST(ConnectionString, FormatsWithThePortInsideEndpoint) {
    connection_string cs;
    cs.endpoint = "http://localhost";
    cs.port = 8080;
    cs.access_key = "k=";
    EXPECT_EQ(cs.to_string(), "Endpoint=http://localhost:8080;AccessKey=k=;Version=1.0;");
    cs.port.reset();
    EXPECT_EQ(cs.to_string(), "Endpoint=http://localhost;AccessKey=k=;Version=1.0;");
}

TEST(ConnectionString, FormattedStringParsesBack) {
    for (const std::string_view text :
         {"Endpoint=https://demo.webpubsub.azure.com;AccessKey=AbC+/xyz==;Version=1.0;",
          "Endpoint=http://localhost;Port=8080;AccessKey=key;Version=1.1;",
          "Endpoint=http://[::1]:7;AccessKey=k"}) {
        const auto original = parsed(text);
        const auto again = parsed(original.to_string());
        EXPECT_EQ(again.endpoint, original.endpoint);
        EXPECT_EQ(again.port, original.port);
        EXPECT_EQ(again.access_key, original.access_key);
        EXPECT_EQ(again.version, original.version);
        EXPECT_EQ(again.to_string(), original.to_string());
    }
}

} // namespace
} // namespace hubcast::auth
