// Whole-string UTF-8 validation, on the inputs the server checks: names (group names, user ids),
// close reasons and text bodies. Compares the server's own DFA (with an ASCII word skip; also
// used incrementally for WebSocket text) with simdjson's SIMD validator, and measures
// is_valid_utf8, which picks between them by length.
#include <cstddef>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "protocol/utf8.hpp"

namespace {

/// `bytes` of text; every `every`th character is the three-byte "€" when `every` is non-zero.
std::string sample(std::size_t bytes, std::size_t every) {
    std::string text;
    std::size_t n = 0;
    while (text.size() < bytes) {
        if (every != 0 && ++n % every == 0) {
            text += "\xE2\x82\xAC";
        } else {
            text += static_cast<char>('a' + n % 26);
        }
    }
    return text;
}

enum class validator : std::uint8_t { dfa, simdjson, chosen };

template <validator which> void utf8_validate(benchmark::State& state) {
    const std::string text =
        sample(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
    for (auto _ : state) {
        bool valid = false;
        if constexpr (which == validator::dfa) {
            hubcast::protocol::utf8_validator dfa;
            valid = dfa.feed(text) && dfa.complete();
        } else if constexpr (which == validator::simdjson) {
            valid = simdjson::validate_utf8(text.data(), text.size());
        } else {
            valid = hubcast::protocol::is_valid_utf8(text); // what the server calls
        }
        if (!valid) {
            state.SkipWithError("sample is not valid UTF-8");
            break;
        }
        benchmark::DoNotOptimize(valid);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(text.size()));
}

// {bytes, every}: names of 12 and 40 bytes (the second with one non-ASCII character), sizes around
// simdjson's 64-byte block, a 1 KiB chat text and a 64 KiB body (ASCII, and one character in eight
// non-ASCII).
void sizes(benchmark::internal::Benchmark* b) {
    b->Args({12, 0})
        ->Args({40, 20})
        ->Args({64, 0})
        ->Args({128, 0})
        ->Args({128, 8})
        ->Args({256, 0})
        ->Args({1024, 0})
        ->Args({1024, 8})
        ->Args({65536, 0})
        ->Args({65536, 8});
}

void utf8_dfa(benchmark::State& state) {
    utf8_validate<validator::dfa>(state);
}
void utf8_simdjson(benchmark::State& state) {
    utf8_validate<validator::simdjson>(state);
}
void utf8_is_valid_utf8(benchmark::State& state) {
    utf8_validate<validator::chosen>(state);
}
BENCHMARK(utf8_dfa)->Apply(sizes);
BENCHMARK(utf8_simdjson)->Apply(sizes);
BENCHMARK(utf8_is_valid_utf8)->Apply(sizes);

} // namespace
