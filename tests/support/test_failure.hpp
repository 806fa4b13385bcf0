#pragma once

#include <stdexcept>
#include <string>

namespace hubcast::test {

/// Thrown by support helpers that return a value (expect_json, start, ...) when the expectation
/// fails. GoogleTest reports it as a failure of the running test with this message and ends the
/// test, like a fatal assertion, which a helper returning a value cannot use.
class test_failure : public std::runtime_error {
public:
    explicit test_failure(const std::string& what) : std::runtime_error(what) {}
};

} // namespace hubcast::test
