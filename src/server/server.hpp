#pragma once

#include "server/options.hpp"

namespace hubcast::server {

/// Runs hubcast until SIGTERM or SIGINT: binds, prints the listening address and the connection
/// string on stdout, serves, then shuts down gracefully (stop accepting, `disconnected` and close
/// 1001 to every client, exit within 5 s). Returns the process exit code.
int run_server(const server_options& options);

} // namespace hubcast::server
