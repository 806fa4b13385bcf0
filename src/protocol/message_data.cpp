#include "protocol/message_data.hpp"

#include "protocol/ascii.hpp"

namespace hubcast::protocol {

std::string_view to_string(data_type type) noexcept {
    switch (type) {
    case data_type::json:
        return "json";
    case data_type::text:
        return "text";
    case data_type::binary:
        return "binary";
    case data_type::protobuf:
        return "protobuf";
    }
    return "binary";
}

std::optional<data_type> parse_data_type(std::string_view name) noexcept {
    for (auto type : {data_type::json, data_type::text, data_type::binary, data_type::protobuf}) {
        if (iequals(name, to_string(type))) {
            return type;
        }
    }
    return std::nullopt;
}

} // namespace hubcast::protocol
