#include "server/client_bridge.hpp"

#include <chrono>

#include "server/logging.hpp"

namespace hubcast::server {

client_bridge::client_bridge(api::client_endpoint& endpoint, api::client_admission admission,
                             std::size_t worker)
    : endpoint_(endpoint), admission_(std::make_unique<api::client_admission>(std::move(admission))),
      worker_(worker) {}

void client_bridge::on_open(transport::ws_link& link) {
    link_ = &link;
    const auto admission = std::move(admission_);
    if (admission->keepalive_seconds) {
        link.set_keepalive_interval(std::chrono::seconds{*admission->keepalive_seconds});
    }
    if (access_log() != nullptr) {
        access_ = std::make_unique<access_record>(access_record{
            .connection_id = admission->recovery   ? admission->recovery->connection_id
                             : admission->takeover ? admission->takeover->connection_id
                                                   : std::string("-"),
            .hub = admission->hub,
            .user_id = admission->user_id.value_or("-"),
            .subprotocol = admission->subprotocol.empty() ? std::string("-") : admission->subprotocol});
    }
    if (admission->refuse_recovery) {
        endpoint_.refuse_recovery(*admission, *this);
        return;
    }
    if (admission->recovery) {
        session_ = endpoint_.resume(*admission, *this);
        if (!session_) {
            endpoint_.refuse_recovery(*admission, *this);
        }
        return;
    }
    if (admission->takeover) {
        take_over(*admission);
        return;
    }
    session_ = endpoint_.open(std::move(*admission), *this, worker_);
    if (access_ && session_ && session_->connection() != nullptr) {
        access_->connection_id = session_->connection()->id();
    }
}

void client_bridge::take_over(const api::client_admission& admission) {
    waiting_ = std::make_shared<core::connection_sink*>(this);
    // Only what refuse_recovery() reads is kept for the answer.
    api::client_admission refused{.hub = admission.hub, .kind = admission.kind};
    // The endpoint calls back only while the slot still names this bridge: the transport is open.
    endpoint_.take_over(admission, waiting_, worker_,
                        [this, refused = std::move(refused)](std::unique_ptr<api::client_session> session) {
                            on_taken_over(refused, std::move(session));
                        });
}

void client_bridge::on_taken_over(const api::client_admission& refused,
                                  std::unique_ptr<api::client_session> session) {
    waiting_.reset();
    if (!session) {
        held_.clear();
        endpoint_.refuse_recovery(refused, *this);
        return;
    }
    session_ = std::move(session);
    auto held = std::move(held_);
    held_bytes_ = 0;
    for (const auto& [opcode, payload] : held) {
        if (!session_) {
            break; // a frame closed the session
        }
        session_->on_message(opcode, payload);
    }
}

void client_bridge::on_message(protocol::ws_opcode opcode, std::string_view payload) {
    if (access_) {
        ++access_->messages_in;
    }
    if (session_) {
        session_->on_message(opcode, payload);
        return;
    }
    if (waiting_) {
        held_bytes_ += payload.size();
        if (held_bytes_ > max_held_bytes) {
            held_.clear();
            close(protocol::close_code::policy_violation,
                  "Too much was sent before the session was recovered.");
            return;
        }
        held_.emplace_back(opcode, std::string(payload));
    }
}

void client_bridge::on_slow_consumer() {
    if (session_) {
        session_->on_slow_consumer();
    }
}

void client_bridge::on_idle_timeout() {
    if (session_) {
        session_->on_idle_timeout();
    }
}

void client_bridge::on_protocol_error(std::uint16_t code, std::string_view reason) {
    if (session_) {
        session_->on_protocol_error(code, reason);
    }
}

void client_bridge::on_closed(std::uint16_t code, std::string_view reason) {
    if (access_) {
        const std::chrono::duration<double> lasted = std::chrono::steady_clock::now() - access_->start;
        access_log()->info("connection {} hub {} user {} subprotocol {} ended {} \"{}\" after {:.3f} s, "
                           "{} messages in, {} out",
                           access_->connection_id, access_->hub, access_->user_id, access_->subprotocol, code,
                           reason, lasted.count(), access_->messages_in, access_->messages_out);
    }
    if (session_) {
        session_->on_closed(code, reason);
        session_.reset();
    }
    if (waiting_) {
        *waiting_ = nullptr; // the session, when it arrives, waits parked for another recovery
    }
    link_ = nullptr;
}

core::send_result client_bridge::send(const util::shared_bytes& frame, core::send_deadline deadline) {
    if (link_ == nullptr) {
        return core::send_result::dropped;
    }
    if (access_) {
        ++access_->messages_out;
    }
    // core and transport speak util's send_result and send_deadline: passed through as they are.
    return link_->send(frame, deadline);
}

core::send_result client_bridge::send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                                const util::shared_bytes& body,
                                                core::send_deadline deadline) {
    if (link_ == nullptr) {
        return core::send_result::dropped;
    }
    if (access_) {
        ++access_->messages_out;
    }
    return link_->send_sequenced(family, sequence_id, body, deadline);
}

void client_bridge::hold_writes() {
    if (link_ != nullptr) {
        link_->hold_writes();
    }
}

void client_bridge::release_writes() {
    if (link_ != nullptr) {
        link_->release_writes();
    }
}

void client_bridge::abandon() {
    // The session belongs to the new transport now: this one must never report to the core again
    // (its on_closed follows later), so the handler is disowned before the transport goes.
    if (session_) {
        session_->disown();
        session_.reset();
    }
    if (link_ != nullptr) {
        link_->abort();
    }
}

void client_bridge::close(std::uint16_t code, std::string_view reason) {
    if (link_ != nullptr) {
        link_->close(code, reason);
    }
}

} // namespace hubcast::server
