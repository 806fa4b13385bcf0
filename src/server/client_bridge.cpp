#include "server/client_bridge.hpp"

#include <chrono>

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
    session_ = endpoint_.open(std::move(*admission), *this, worker_);
}

void client_bridge::on_message(protocol::ws_opcode opcode, std::string_view payload) {
    if (session_) {
        session_->on_message(opcode, payload);
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
    if (session_) {
        session_->on_closed(code, reason);
        session_.reset();
    }
    link_ = nullptr;
}

core::send_result client_bridge::send(const util::shared_bytes& frame, core::send_deadline deadline) {
    if (link_ == nullptr) {
        return core::send_result::dropped;
    }
    // core and transport speak util's send_result and send_deadline: passed through as they are.
    return link_->send(frame, deadline);
}

core::send_result client_bridge::send_spliced(const util::shared_bytes& head, const util::shared_bytes& body,
                                              core::send_deadline deadline) {
    if (link_ == nullptr) {
        return core::send_result::dropped;
    }
    return link_->send_spliced(head, body, deadline);
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
