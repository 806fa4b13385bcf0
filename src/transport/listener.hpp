#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/handlers.hpp"
#include "transport/session_options.hpp"
#include "transport/worker_pool.hpp"
#include "util/result.hpp"

namespace hubcast::transport {

class acceptor_loop;

/// One listening address, opened once per worker with SO_REUSEPORT so the kernel spreads
/// accepted connections over the workers (design section 3).
class listener {
public:
    /// Binds `host:port` (port 0: an ephemeral port, the same one for every worker). Error: a
    /// message naming the address and the reason. `handler`, `options` and `counters` are held by
    /// reference: they must outlive the listener and every session it starts.
    static util::result<std::unique_ptr<listener>, std::string>
    open(worker_pool& workers, const std::string& host, std::uint16_t port, http_handler& handler,
         const session_options& options, session_counters& counters);

    ~listener();
    std::uint16_t port() const noexcept { return port_; }
    const std::string& host() const noexcept { return host_; }
    /// Begins accepting on every worker.
    void start();
    /// Stops accepting (thread-safe); open sessions are not touched.
    void stop();

private:
    listener() = default;
    std::string host_;
    std::uint16_t port_ = 0;
    std::vector<std::shared_ptr<acceptor_loop>> loops_;
};

} // namespace hubcast::transport
