#include "protocol/subprotocol.hpp"

#include <array>
#include <utility>

#include "protocol/ascii.hpp"

namespace hubcast::protocol {

namespace {
constexpr std::array<std::pair<subprotocol_kind, std::string_view>, 4> service_subprotocols{{
    {subprotocol_kind::json, "json.webpubsub.azure.v1"},
    {subprotocol_kind::json_reliable, "json.reliable.webpubsub.azure.v1"},
    {subprotocol_kind::protobuf, "protobuf.webpubsub.azure.v1"},
    {subprotocol_kind::protobuf_reliable, "protobuf.reliable.webpubsub.azure.v1"},
}};
} // namespace

std::string_view to_string(subprotocol_kind kind) noexcept {
    for (const auto& [k, name] : service_subprotocols) {
        if (k == kind) {
            return name;
        }
    }
    return {};
}

std::optional<subprotocol_kind> parse_subprotocol(std::string_view name) noexcept {
    for (const auto& [kind, known] : service_subprotocols) {
        if (iequals(name, known)) {
            return kind;
        }
    }
    return std::nullopt;
}

} // namespace hubcast::protocol
