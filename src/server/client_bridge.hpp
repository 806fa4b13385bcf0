#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

    /// What a client may send before a session taken over from another node is here (it is then
    /// handed to the session in order); past it the client is closed with 1008.
    static constexpr std::size_t max_held_bytes = 1024 * 1024;

private:
    /// Asks the node holding the admitted session for it (api::client_endpoint::take_over).
    void take_over(const api::client_admission& admission);
    /// The session taken over is here (or not: null refuses the recovery).
    void on_taken_over(const api::client_admission& refused, std::unique_ptr<api::client_session> session);

    api::client_endpoint& endpoint_;
    // Needed only until on_open: held on the heap and freed there, so an open connection does not
    // carry its ~0.5 KB admission (and its strings) for its whole life.
    std::unique_ptr<api::client_admission> admission_;
    std::size_t worker_;
    transport::ws_link* link_ = nullptr;
    std::unique_ptr<api::client_session> session_;
    // While a session is being taken over from another node: the slot the endpoint reads this
    // sink from (cleared when the transport closes first), and what the client sent meanwhile.
    std::shared_ptr<core::connection_sink*> waiting_;
    std::vector<std::pair<protocol::ws_opcode, std::string>> held_;
    std::size_t held_bytes_ = 0;

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
