#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/client_endpoint.hpp"
#include "api/client_session.hpp"
#include "core/connection_sink.hpp"
#include "transport/handlers.hpp"

namespace hubcast::server {

/// Joins a transport WebSocket session to its core connection: it is the session's ws_handler and
/// the connection's connection_sink. Owned by the ws_session; lives on its worker thread, which for
/// a recovery is the worker of the session's shard (http_frontend accepts it there).
/// On open it opens a new connection, resumes the admitted session (spec 5.5), or refuses a
/// recovery that cannot succeed with 1008.
class client_bridge final : public transport::ws_handler, public core::connection_sink {
public:
    client_bridge(api::client_endpoint& endpoint, api::client_admission admission, std::size_t worker);

    // transport::ws_handler
    void on_open(transport::ws_link& link) override;
    void on_message(protocol::ws_opcode opcode, std::string_view payload) override;
    void on_slow_consumer() override;
    void on_idle_timeout() override;
    void on_protocol_error(std::uint16_t code, std::string_view reason) override;
    void on_closed(std::uint16_t code, std::string_view reason) override;

    // core::connection_sink
    core::send_result send(const util::shared_bytes& frame,
                           core::send_deadline deadline = core::no_deadline) override;
    void close(std::uint16_t code, std::string_view reason) override;
    core::send_result send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                     const util::shared_bytes& body,
                                     core::send_deadline deadline = core::no_deadline) override;
    void hold_writes() override;
    void release_writes() override;
    /// A recovery on a new transport took the session over: forget it and drop this transport.
    void abandon() override;

private:
    api::client_endpoint& endpoint_;
    // Needed only until on_open: held on the heap and freed there, so an open connection does not
    // carry its ~0.5 KB admission (and its strings) for its whole life.
    std::unique_ptr<api::client_admission> admission_;
    std::size_t worker_;
    transport::ws_link* link_ = nullptr;
    std::unique_ptr<api::client_session> session_;

    /// What the access log says when the transport ends (docs/observability.md); made only while
    /// the access log is on, so a connection carries nothing of it otherwise.
    struct access_record {
        std::string connection_id;
        std::string hub;
        std::string user_id;
        std::string subprotocol;
        std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
        std::uint64_t messages_in = 0;
        std::uint64_t messages_out = 0;
    };
    std::unique_ptr<access_record> access_;
};

} // namespace hubcast::server
