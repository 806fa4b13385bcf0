#include "protocol/http_types.hpp"

#include "protocol/ascii.hpp"

namespace hubcast::protocol {

std::string_view http_request::header(std::string_view name) const noexcept {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return {};
}

} // namespace hubcast::protocol
