#pragma once

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "support/any_client.hpp"
#include "support/echo_client.hpp"
#include "support/server_test.hpp"

namespace hubcast::test {

inline void PrintTo(client_kind kind, std::ostream* out) {
    *out << to_string(kind);
}

/// Base of the WebSocket conformance suites (organised like Autobahn|Testsuite sections): one
/// hubcast per suite, clients of either kind in a group of their own.
class conformance_test : public server_test {
protected:
    static any_client connect_any(client_kind kind, ping_mode pings = ping_mode::answer) {
        return any_client::connect(server(), kind, unique_group("echo"), pings);
    }
    static echo_client connect_echo(ping_mode pings = ping_mode::answer) {
        return echo_client::connect(server(), unique_group("echo"), pings);
    }
};

/// Cases that hold for every client kind.
class each_kind : public conformance_test, public ::testing::WithParamInterface<client_kind> {
protected:
    any_client connect_client(ping_mode pings = ping_mode::answer) {
        return conformance_test::connect_any(GetParam(), pings);
    }
};

inline std::string kind_name(const ::testing::TestParamInfo<client_kind>& info) {
    return to_string(info.param);
}

} // namespace hubcast::test
