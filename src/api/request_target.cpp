#include "api/request_target.hpp"

#include <array>
#include <cstddef>

#include <boost/url/parse.hpp>

namespace hubcast::api {
namespace {

/// The bytes that may appear raw in an origin-form target: alphanumerics and "-._~!$&'()*+,;=:@/?%".
constexpr std::array<bool, 256> make_raw_target_bytes() {
    std::array<bool, 256> allowed{};
    for (int c = 0; c < 256; ++c) {
        allowed[static_cast<std::size_t>(c)] =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    for (const char c : std::string_view("-._~!$&'()*+,;=:@/?%")) {
        allowed[static_cast<unsigned char>(c)] = true;
    }
    return allowed;
}

constexpr auto raw_target_bytes = make_raw_target_bytes();

std::string escape_lenient(std::string_view target) {
    std::string out;
    out.reserve(target.size());
    // Runs over every byte of every request target (an access token is most of a connect's), so
    // a table lookup per byte and whole runs appended at once.
    std::size_t run = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
        const auto byte = static_cast<unsigned char>(target[i]);
        if (raw_target_bytes[byte]) {
            continue;
        }
        static constexpr char hex[] = "0123456789ABCDEF";
        out.append(target.substr(run, i - run));
        out.push_back('%');
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0x0F]);
        run = i + 1;
    }
    out.append(target.substr(run));
    return out;
}

} // namespace

bool parse_request_target(std::string_view raw, request_target& out) {
    out.escaped = escape_lenient(raw);
    auto parsed = boost::urls::parse_origin_form(out.escaped);
    if (!parsed) {
        return false;
    }
    out.url = *parsed;
    return true;
}

std::vector<std::string> request_target::segments() const {
    const auto decoded = url.segments();
    return {decoded.begin(), decoded.end()};
}

std::vector<std::pair<std::string, std::string>> request_target::parameters() const {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& param : url.params()) {
        pairs.emplace_back(param.key, param.value);
    }
    return pairs;
}

} // namespace hubcast::api
