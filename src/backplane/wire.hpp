#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hubcast::backplane {

// The primitives of the messages nodes exchange through Redis (envelope.hpp, command_wire.hpp):
// integers big-endian, a string as a u32 length then its bytes.

inline void put_integer(std::string& out, std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = bytes; i-- > 0;) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
    }
}

inline void put_string(std::string& out, std::string_view text) {
    put_integer(out, text.size(), 4);
    out.append(text);
}

/// Reads the wire form front to back; every read checks what is left, so a short or hostile
/// message fails cleanly instead of reading past its end.
class reader {
public:
    explicit reader(std::string_view bytes) : rest_(bytes) {}

    bool integer(std::uint64_t& value, std::size_t bytes) {
        if (rest_.size() < bytes) {
            return false;
        }
        value = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            value = (value << 8) | static_cast<unsigned char>(rest_[i]);
        }
        rest_.remove_prefix(bytes);
        return true;
    }
    bool string(std::string& text) {
        std::uint64_t size = 0;
        if (!integer(size, 4) || rest_.size() < size) {
            return false;
        }
        text.assign(rest_.substr(0, size));
        rest_.remove_prefix(size);
        return true;
    }
    /// A count of items that each take at least `min_item_bytes`: refused (false) when the bytes
    /// left cannot hold that many, before anything is reserved for them.
    bool count(std::uint64_t& value, std::size_t min_item_bytes) {
        return integer(value, 4) && value <= rest_.size() / min_item_bytes;
    }
    bool done() const noexcept { return rest_.empty(); }
    std::size_t left() const noexcept { return rest_.size(); }

private:
    std::string_view rest_;
};

inline void put_strings(std::string& out, const std::vector<std::string>& items) {
    put_integer(out, items.size(), 4);
    for (const auto& item : items) {
        put_string(out, item);
    }
}

inline bool read_strings(reader& in, std::vector<std::string>& items) {
    std::uint64_t count = 0;
    if (!in.count(count, 4)) {
        return false;
    }
    items.resize(count);
    for (auto& item : items) {
        if (!in.string(item)) {
            return false;
        }
    }
    return true;
}

/// One byte that must be at most `last` (a kind or a flag).
inline bool read_small(reader& in, std::uint8_t& value, std::uint8_t last) {
    std::uint64_t raw = 0;
    if (!in.integer(raw, 1) || raw > last) {
        return false;
    }
    value = static_cast<std::uint8_t>(raw);
    return true;
}

} // namespace hubcast::backplane
