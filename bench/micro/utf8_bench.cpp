// Whole-string UTF-8 validation, on the inputs the server checks: names (group names, user ids),
// close reasons and text bodies. Compares the server's own validator (a DFA with an ASCII word
// skip, also used incrementally for WebSocket text) with simdjson's SIMD one, which decides which
// of the two validates whole strings.
#include <cstddef>
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

template <bool simd> void utf8_validate(benchmark::State& state) {
    const std::string text =
        sample(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
    for (auto _ : state) {
        bool valid = false;
        if constexpr (simd) {
            valid = simdjson::validate_utf8(text.data(), text.size());
        } else {
            valid = hubcast::protocol::is_valid_utf8(text);
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

// {bytes, every}: a 12-byte name, a 40-byte name with one non-ASCII character, a 1 KiB chat text
// (ASCII, and one character in eight non-ASCII), a 64 KiB body.
void sizes(benchmark::internal::Benchmark* b) {
    b->Args({12, 0})
        ->Args({64, 0})
        ->Args({128, 0})
        ->Args({256, 0})
        ->Args({128, 8})
        ->Args({40, 20})
        ->Args({1024, 0})
        ->Args({1024, 8})
        ->Args({65536, 0})
        ->Args({65536, 8});
}

void utf8_dfa(benchmark::State& state) {
    utf8_validate<false>(state);
}
void utf8_simdjson(benchmark::State& state) {
    utf8_validate<true>(state);
}
BENCHMARK(utf8_dfa)->Apply(sizes);
BENCHMARK(utf8_simdjson)->Apply(sizes);

} // namespace
