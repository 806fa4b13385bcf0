#pragma once

#include <iostream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"

namespace hubcast::test {

/// Base fixture: one hubcast per test suite, started by the first test that asks for it (so a
/// start failure fails that test with the server's output, not the whole binary). After every
/// test the server must still be running: a crash fails the test that caused it, and the next
/// test gets a fresh server. A failing test prints the end of the server's output.
class server_test : public ::testing::Test {
protected:
    static hubcast_process& server() {
        if (!server_) {
            server_ = std::make_unique<hubcast_process>();
        }
        return *server_;
    }

    static pubsub_client connect(const client_options& options = {}) {
        return pubsub_client::connect(server(), options);
    }

    /// A group name no other test in this process uses.
    static std::string unique_group(std::string_view stem = "group") {
        static int counter = 0;
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        return std::string(stem) + "-" + (info != nullptr ? info->name() : "") + "-" +
               std::to_string(++counter);
    }

    void TearDown() override {
        if (!server_) {
            return;
        }
        if (!server_->running()) {
            ADD_FAILURE() << "hubcast is no longer running after this test. Output:\n" << server_->output();
            server_.reset();
            return;
        }
        if (HasFailure()) {
            std::string output = server_->output();
            constexpr std::size_t limit = 4000;
            std::cerr << "---- hubcast output (last " << limit << " bytes) ----\n"
                      << (output.size() > limit ? output.substr(output.size() - limit) : output)
                      << "\n---- end of hubcast output ----\n";
        }
    }

    static void TearDownTestSuite() { server_.reset(); }

private:
    inline static std::unique_ptr<hubcast_process> server_;
};

} // namespace hubcast::test
