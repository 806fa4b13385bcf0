#include "protocol/json_sequence.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>

#include "util/decimal.hpp"

namespace hubcast::protocol {

namespace {
constexpr std::string_view sequence_id_member = R"({"sequenceId":)";
} // namespace

std::string json_sequence_prefix(std::uint64_t sequence_id) {
    std::string out(json_sequence_prefix_size(sequence_id), '\0');
    write_json_sequence_prefix(out.data(), sequence_id);
    return out;
}

char* write_json_sequence_prefix(char* out, std::uint64_t sequence_id) noexcept {
    out = std::copy(sequence_id_member.begin(), sequence_id_member.end(), out);
    out = std::to_chars(out, out + 20, sequence_id).ptr; // 20: the digits of the largest uint64
    *out++ = ',';
    return out;
}

std::size_t json_sequence_prefix_size(std::uint64_t sequence_id) noexcept {
    return sequence_id_member.size() + util::decimal_digits(sequence_id) + 1;
}

std::string_view json_sequenced_body(std::string_view message) noexcept {
    assert(!message.empty() && message.front() == '{');
    return message.substr(1);
}

} // namespace hubcast::protocol
