#include "protocol/json_sequence.hpp"

#include <cassert>

#include "protocol/json_text.hpp"

namespace hubcast::protocol {

namespace {
constexpr std::string_view sequence_id_member = R"({"sequenceId":)";
} // namespace

std::string json_sequence_prefix(std::uint64_t sequence_id) {
    std::string out;
    out.reserve(json_sequence_prefix_size(sequence_id));
    append_json_sequence_prefix(out, sequence_id);
    return out;
}

void append_json_sequence_prefix(std::string& out, std::uint64_t sequence_id) {
    out += sequence_id_member;
    append_json_uint(out, sequence_id);
    out += ',';
}

std::size_t json_sequence_prefix_size(std::uint64_t sequence_id) noexcept {
    std::size_t digits = 1;
    for (; sequence_id >= 10; sequence_id /= 10) {
        ++digits;
    }
    return sequence_id_member.size() + digits + 1;
}

std::string_view json_sequenced_body(std::string_view message) noexcept {
    assert(!message.empty() && message.front() == '{');
    return message.substr(1);
}

} // namespace hubcast::protocol
