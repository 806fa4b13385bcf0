#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hubcast::server {

/// `hubcast token`: prints a client access URL with a signed token, for connecting by hand.
struct token_command {
    std::string endpoint = "http://127.0.0.1:8080";
    std::string connection_string; ///< overrides endpoint and access key when set
    std::string access_key;
    std::string hub;
    std::optional<std::string> user_id;
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    int minutes = 60;
};

/// Returns the exit code; prints the URL on stdout or the problem on stderr.
int run_token_command(const token_command& command);

} // namespace hubcast::server
