#include "protocol/json_checker.hpp"

#include "protocol/json_text.hpp"

namespace hubcast::protocol {

namespace {

/// A recursive-descent reader of RFC 8259 that only says yes or no (is_single_json_value).
class json_checker {
public:
    explicit json_checker(std::string_view text) noexcept
        : p_(text.data()), end_(text.data() + text.size()) {}

    bool is_single_value(int max_depth) noexcept {
        skip_white_space();
        if (!value(max_depth)) {
            return false;
        }
        skip_white_space();
        return p_ == end_;
    }

private:
    bool value(int depth_left) noexcept {
        if (p_ == end_) {
            return false;
        }
        switch (*p_) {
        case '{':
            return object(depth_left);
        case '[':
            return array(depth_left);
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    bool object(int depth_left) noexcept {
        if (depth_left == 0) {
            return false;
        }
        ++p_;
        skip_white_space();
        if (consume('}')) {
            return true;
        }
        for (;;) {
            if (p_ == end_ || *p_ != '"' || !string()) {
                return false;
            }
            skip_white_space();
            if (!consume(':')) {
                return false;
            }
            skip_white_space();
            if (!value(depth_left - 1)) {
                return false;
            }
            skip_white_space();
            if (consume('}')) {
                return true;
            }
            if (!consume(',')) {
                return false;
            }
            skip_white_space();
        }
    }

    bool array(int depth_left) noexcept {
        if (depth_left == 0) {
            return false;
        }
        ++p_;
        skip_white_space();
        if (consume(']')) {
            return true;
        }
        for (;;) {
            if (!value(depth_left - 1)) {
                return false;
            }
            skip_white_space();
            if (consume(']')) {
                return true;
            }
            if (!consume(',')) {
                return false;
            }
            skip_white_space();
        }
    }

    bool string() noexcept {
        ++p_;
        for (;;) {
            p_ += plain_string_prefix(p_, end_);
            if (p_ == end_) {
                return false;
            }
            const char c = *p_++;
            if (c == '"') {
                return true;
            }
            if (c != '\\') {
                return false; // a control character
            }
            if (p_ == end_) {
                return false;
            }
            switch (*p_++) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            case 'u':
                // Lone surrogates are grammatical JSON (RFC 8259 section 8.2) and JSON.parse takes
                // them, so they pass through.
                for (int i = 0; i < 4; ++i, ++p_) {
                    if (p_ == end_ || !is_hex_digit(*p_)) {
                        return false;
                    }
                }
                break;
            default:
                return false;
            }
        }
    }

    bool number() noexcept {
        consume('-');
        if (consume('0')) {
            // A leading zero stands alone; "01" fails at the caller, which sees '1'.
        } else if (!digits()) {
            return false;
        }
        if (consume('.') && !digits()) {
            return false;
        }
        if (consume('e') || consume('E')) {
            if (!consume('+')) {
                consume('-');
            }
            return digits();
        }
        return true;
    }

    bool digits() noexcept {
        const char* start = p_;
        while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
            ++p_;
        }
        return p_ != start;
    }

    bool literal(std::string_view word) noexcept {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        return true;
    }

    bool consume(char c) noexcept {
        if (p_ != end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }

    void skip_white_space() noexcept {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
            ++p_;
        }
    }

    static bool is_hex_digit(char c) noexcept {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    const char* p_;
    const char* end_;
};

} // namespace

bool is_single_json_value(std::string_view text, int max_depth) noexcept {
    return json_checker(text).is_single_value(max_depth);
}

std::optional<std::string_view> json_data_text(std::string_view text) noexcept {
    const auto first = text.find_first_not_of(" \t\n\r");
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    text = text.substr(first, text.find_last_not_of(" \t\n\r") - first + 1);
    // The frame's own object is one level of the limit, as for data decoded from a JSON frame.
    if (text == "null" || !is_single_json_value(text, max_json_depth - 1)) {
        return std::nullopt;
    }
    return text;
}

} // namespace hubcast::protocol
