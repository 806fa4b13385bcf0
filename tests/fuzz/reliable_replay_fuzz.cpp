// fuzz-extra-sources: src/core/reliable_buffer.cpp src/core/prepared_message.cpp
//
// libFuzzer target for a reliable session's unacknowledged messages (src/core/reliable_buffer*):
// what a recovery replays (spec 5.2-5.5).
//
// The input is a program: byte 0 picks the family (JSON or protobuf reliable) and the message
// limit, byte 1 the byte limit, then each operation is one byte and its operands: push a message
// (numbered as core::connection numbers it: a protocol::sequence_head + the shared sequenced_body), a
// cumulative sequenceAck (ids near the window, 0, stale, past the last one sent, or any 64-bit
// value), a replay, or the end of the session (clear). A reference model, a plain list of (id,
// payload), runs beside it. After every operation: nothing acknowledged is kept, everything
// unacknowledged is kept once, in id order, and each replayed frame decodes to its own id and
// payload; a push is refused exactly when it would pass a limit, so memory stays bounded.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>
#include <simdjson.h>

#include "core/prepared_message.hpp"
#include "core/reliable_buffer.hpp"
#include "fuzz_check.hpp"
#include "proto/webpubsub.pb.h"
#include "protocol/sequence_head.hpp"
#include "protocol/websocket_frame.hpp"
#include "util/base64.hpp"

namespace {

using namespace hubcast;

// Small limits so that short inputs reach them; the last is the production default.
constexpr std::size_t byte_limit_choices[8] = {0, 1, 64, 200, 600, 1000, 4096, 16 * 1024 * 1024};

struct model_entry {
    std::uint64_t id;
    std::string payload;
    std::size_t size; // the frame bytes the buffer is charged for
};

/// The sequence id and payload a client reads from one replayed frame.
struct decoded_frame {
    std::uint64_t id = 0;
    std::string payload;
};

decoded_frame decode_json(std::string_view payload) {
    static simdjson::dom::parser parser;
    simdjson::dom::element root;
    FUZZ_CHECK(parser.parse(payload.data(), payload.size()).get(root) == simdjson::SUCCESS);
    decoded_frame out;
    FUZZ_CHECK(root["sequenceId"].get_uint64().get(out.id) == simdjson::SUCCESS);
    std::string_view type;
    FUZZ_CHECK(root["type"].get_string().get(type) == simdjson::SUCCESS && type == "message");
    std::string_view data;
    FUZZ_CHECK(root["data"].get_string().get(data) == simdjson::SUCCESS);
    const auto bytes = util::base64_decode(data);
    FUZZ_CHECK(bytes.has_value());
    out.payload = *bytes;
    return out;
}

decoded_frame decode_protobuf(std::string_view payload) {
    azure::webpubsub::DownstreamMessage message;
    FUZZ_CHECK(message.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
    FUZZ_CHECK(message.has_data_message());
    const auto& data = message.data_message();
    FUZZ_CHECK(data.has_sequence_id());
    FUZZ_CHECK(data.data().has_binary_data());
    return decoded_frame{data.sequence_id(), data.data().binary_data()};
}

class session {
public:
    session(protocol::frame_family family, core::reliable_limits limits)
        : family_(family), limits_(limits), buffer_(limits) {}

    void push(std::string payload) {
        const auto message = core::prepared_message::for_server(
            protocol::message_data{.type = protocol::data_type::binary, .bytes = payload});
        const util::shared_bytes& body = message->sequenced_body(family_);
        FUZZ_CHECK(body != nullptr);
        const std::uint64_t id = buffer_.next_sequence_id();
        const protocol::sequence_head head(family_, id, body->size());
        FUZZ_CHECK(head.size() == protocol::sequence_head::size_of(family_, id, body->size()));
        const std::size_t size = head.size() + body->size();
        const bool fits = model_.size() < limits_.max_messages && model_bytes_ + size <= limits_.max_bytes;
        FUZZ_CHECK(buffer_.push(body, head.size()) == fits);
        if (fits) {
            model_.push_back(model_entry{id, std::move(payload), size});
            model_bytes_ += size;
            ++next_id_;
        }
    }

    void acknowledge(std::uint64_t id) {
        std::size_t released = 0;
        while (!model_.empty() && model_.front().id <= id) {
            model_bytes_ -= model_.front().size;
            model_.pop_front();
            ++released;
        }
        FUZZ_CHECK(buffer_.acknowledge(id) == released);
    }

    void replay() const {
        const auto& kept = buffer_.unacked();
        FUZZ_CHECK(kept.size() == model_.size());
        for (std::size_t i = 0; i < kept.size(); ++i) {
            const auto& entry = kept[i];
            FUZZ_CHECK(entry.sequence_id == model_[i].id);
            FUZZ_CHECK(entry.body != nullptr);
            FUZZ_CHECK(entry.size() == model_[i].size);
            // A replay rebuilds the head from the id (as the transport does when it writes one).
            const protocol::sequence_head head(family_, entry.sequence_id, entry.body->size());
            const std::string frame = std::string(head.bytes()) + *entry.body;
            const std::string_view payload = protocol::frame_payload(frame);
            // The whole frame is the header and its payload: nothing of another message follows.
            FUZZ_CHECK(frame.size() - payload.size() <= 10);
            const decoded_frame decoded =
                family_ == protocol::frame_family::json ? decode_json(payload) : decode_protobuf(payload);
            FUZZ_CHECK(decoded.id == model_[i].id);
            FUZZ_CHECK(decoded.payload == model_[i].payload);
        }
    }

    void clear() {
        buffer_.clear();
        model_.clear();
        model_bytes_ = 0;
    }

    std::uint64_t pick_ack(FuzzedDataProvider& input) const {
        const std::uint64_t first = model_.empty() ? next_id_ : model_.front().id;
        switch (input.ConsumeIntegralInRange<int>(0, 5)) {
        case 0:
            return 0;
        case 1:
            return input.ConsumeIntegral<std::uint64_t>();
        case 2: // inside or just past the window
            return first + input.ConsumeIntegralInRange<std::uint64_t>(0, 20) - 1;
        case 3: // stale: already acknowledged
            return first - std::min<std::uint64_t>(first, input.ConsumeIntegralInRange<std::uint64_t>(1, 4));
        case 4: // around the last id sent
            return next_id_ - 1 + input.ConsumeIntegralInRange<std::uint64_t>(0, 3);
        default:
            return UINT64_MAX;
        }
    }

    void check_state() const {
        FUZZ_CHECK(buffer_.size() == model_.size());
        FUZZ_CHECK(buffer_.bytes() == model_bytes_);
        FUZZ_CHECK(buffer_.size() <= limits_.max_messages);
        FUZZ_CHECK(buffer_.bytes() <= limits_.max_bytes);
        FUZZ_CHECK(buffer_.next_sequence_id() == next_id_);
        FUZZ_CHECK(buffer_.last_sequence_id() == next_id_ - 1);
        FUZZ_CHECK(buffer_.unacked().empty() == model_.empty());
    }

private:
    protocol::frame_family family_;
    core::reliable_limits limits_;
    core::reliable_buffer buffer_;
    std::deque<model_entry> model_;
    std::size_t model_bytes_ = 0;
    std::uint64_t next_id_ = 1; // ids keep counting across clear(): a session never reuses one
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const auto setup = input.ConsumeIntegral<std::uint8_t>();
    const auto family = (setup & 0x80) != 0 ? protocol::frame_family::protobuf : protocol::frame_family::json;
    core::reliable_limits limits;
    limits.max_messages = 1 + (setup & 0x0f); // 1-16: the limit is reached within a short input
    limits.max_bytes = byte_limit_choices[input.ConsumeIntegral<std::uint8_t>() % 8];
    session s(family, limits);
    s.check_state();
    for (int op = 0; op < 128 && input.remaining_bytes() > 0; ++op) {
        switch (input.ConsumeIntegralInRange<int>(0, 7)) {
        case 0:
        case 1:
        case 2: // pushes are the common case, or the window stays empty
            s.push(input.ConsumeRandomLengthString(100));
            break;
        case 3:
        case 4:
            s.acknowledge(s.pick_ack(input));
            break;
        case 5:
        case 6:
            s.replay();
            break;
        default:
            s.clear();
            break;
        }
        s.check_state();
    }
    s.replay();
    return 0;
}
