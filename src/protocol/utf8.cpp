#include "protocol/utf8.hpp"

#include <array>
#include <cstring>

#include <simdjson.h>

namespace hubcast::protocol {

namespace {

// A DFA over byte classes. Each state is stored premultiplied by the class count so a transition is
// one add and one load. The states that follow a lead byte narrow the range of the next byte, which
// is how overlongs (E0 80, F0 80), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90)
// are rejected at the first byte that makes them so, not at the end of the sequence.
enum byte_class : std::uint8_t {
    ascii,     // 00..7F
    cont_low,  // 80..8F
    cont_mid,  // 90..9F
    cont_high, // A0..BF
    never,     // C0, C1, F5..FF: no valid sequence starts or continues with them
    lead_2,    // C2..DF
    lead_e0,   // E0: second byte A0..BF (below is overlong)
    lead_3,    // E1..EC, EE, EF
    lead_ed,   // ED: second byte 80..9F (above is a surrogate)
    lead_f0,   // F0: second byte 90..BF (below is overlong)
    lead_4,    // F1..F3
    lead_f4,   // F4: second byte 80..8F (above is past U+10FFFF)
    class_count
};

enum dfa_state : std::uint8_t {
    accept = 0,
    reject = 1 * class_count,
    need_1 = 2 * class_count,
    need_2 = 3 * class_count,
    need_3 = 4 * class_count,
    after_e0 = 5 * class_count,
    after_ed = 6 * class_count,
    after_f0 = 7 * class_count,
    after_f4 = 8 * class_count,
    state_end = 9 * class_count
};

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> c{};
    for (int b = 0; b < 256; ++b) {
        std::uint8_t k = never;
        if (b < 0x80) {
            k = ascii;
        } else if (b < 0x90) {
            k = cont_low;
        } else if (b < 0xA0) {
            k = cont_mid;
        } else if (b < 0xC0) {
            k = cont_high;
        } else if (b >= 0xC2 && b <= 0xDF) {
            k = lead_2;
        } else if (b == 0xE0) {
            k = lead_e0;
        } else if (b == 0xED) {
            k = lead_ed;
        } else if (b >= 0xE1 && b <= 0xEF) {
            k = lead_3;
        } else if (b == 0xF0) {
            k = lead_f0;
        } else if (b >= 0xF1 && b <= 0xF3) {
            k = lead_4;
        } else if (b == 0xF4) {
            k = lead_f4;
        }
        c[static_cast<std::size_t>(b)] = k;
    }
    return c;
}

constexpr std::array<std::uint8_t, state_end> make_transitions() {
    std::array<std::uint8_t, state_end> t{};
    for (auto& s : t) {
        s = reject;
    }
    auto set = [&t](dfa_state from, byte_class k, dfa_state to) {
        t[static_cast<std::size_t>(from) + static_cast<std::size_t>(k)] = to;
    };
    set(accept, ascii, accept);
    set(accept, lead_2, need_1);
    set(accept, lead_e0, after_e0);
    set(accept, lead_3, need_2);
    set(accept, lead_ed, after_ed);
    set(accept, lead_f0, after_f0);
    set(accept, lead_4, need_3);
    set(accept, lead_f4, after_f4);
    for (auto k : {cont_low, cont_mid, cont_high}) {
        set(need_1, k, accept);
        set(need_2, k, need_1);
        set(need_3, k, need_2);
    }
    set(after_e0, cont_high, need_1);
    set(after_ed, cont_low, need_1);
    set(after_ed, cont_mid, need_1);
    set(after_f0, cont_mid, need_2);
    set(after_f0, cont_high, need_2);
    set(after_f4, cont_low, need_2);
    return t;
}

constexpr auto classes = make_classes();
constexpr auto transitions = make_transitions();

constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

// simdjson's block: below it, its fixed cost of padding a partial block exceeds the DFA's walk.
constexpr std::size_t simd_threshold = 64;

} // namespace

bool utf8_validator::feed(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* const end = p + bytes.size();
    std::uint32_t state = state_;
    while (p != end) {
        // Chat text is mostly ASCII: between characters, skip whole words without a high bit.
        if (state == accept && *p < 0x80) {
            while (end - p >= 8) {
                std::uint64_t word;
                std::memcpy(&word, p, sizeof word);
                if ((word & high_bits) != 0) {
                    break;
                }
                p += 8;
            }
            while (p != end && *p < 0x80) {
                ++p;
            }
            if (p == end) {
                break;
            }
        }
        state = transitions[state + classes[*p++]];
        if (state == reject) {
            break;
        }
    }
    state_ = state;
    return state != reject;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
    if (bytes.size() >= simd_threshold) {
        return simdjson::validate_utf8(bytes.data(), bytes.size());
    }
    utf8_validator validator;
    return validator.feed(bytes) && validator.complete();
}

} // namespace hubcast::protocol
