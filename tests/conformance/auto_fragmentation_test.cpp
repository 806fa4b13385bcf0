// Autobahn|Testsuite section 10 (auto-fragmentation): a 64 KiB message, mostly multi-byte UTF-8,
// sent in fragments of every size from 1 byte up, is assembled into exactly the message sent.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class AutoFragmentation : public conformance_test, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(AutoFragmentation, SixtyFourKiBMessageIsAssembled) {
    echo_client echo = connect_echo();
    std::string text;
    while (text.size() < 64 * 1024) {
        text += "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 \xF0\x9F\x98\x80 ascii ";
    }
    const std::string request = echo.request(text);
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < request.size(); at += GetParam()) {
        pieces.push_back(request.substr(at, GetParam()));
    }
    ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, pieces));
    echo.expect_echo(text, 20s);
}

INSTANTIATE_TEST_SUITE_P(FragmentSizes, AutoFragmentation,
                         ::testing::Values(1, 2, 3, 4, 7, 64, 1300, 4096, 32768, 65535, 65536));

} // namespace
} // namespace hubcast::test
