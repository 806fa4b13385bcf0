// Frame codec: parsing masked client frames (protocol::frame_parser, with UTF-8 validation of
// text) and building server frames (protocol::encode_frame). Bytes/s count payload bytes.
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "protocol/frame_parser.hpp"
#include "protocol/websocket_frame.hpp"

namespace {

using namespace hubcast::protocol;

class counting_handler final : public frame_handler {
public:
    void on_message(ws_opcode, std::string_view payload) override { bytes += payload.size(); }
    void on_ping(std::string_view) override {}
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t, std::string_view) override {}
    void on_protocol_error(std::uint16_t, std::string_view) override { errors++; }
    std::size_t bytes = 0;
    int errors = 0;
};

/// One masked client text frame of `size` ASCII bytes.
std::string client_frame(std::size_t size) {
    std::string frame;
    frame += static_cast<char>(0x81);
    if (size < 126) {
        frame += static_cast<char>(0x80 | size);
    } else {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>(size >> 8);
        frame += static_cast<char>(size & 0xFF);
    }
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < size; ++i) {
        frame += static_cast<char>((('a' + static_cast<char>(i % 26))) ^ key[i & 3]);
    }
    return frame;
}

void frame_parser_feed(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    // 64 frames per feed, as a corked burst from one client would arrive.
    std::string burst;
    for (int i = 0; i < 64; ++i) {
        burst += client_frame(size);
    }
    frame_parser parser;
    counting_handler handler;
    for (auto _ : state) {
        parser.feed(burst, handler);
    }
    if (handler.errors != 0) {
        state.SkipWithError("parser reported a protocol error");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 64);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 64 *
                            static_cast<std::int64_t>(size));
}
BENCHMARK(frame_parser_feed)->Arg(64)->Arg(1024)->Arg(16384);

void frame_encode(benchmark::State& state) {
    const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state) {
        std::string frame = encode_frame(ws_opcode::text, payload);
        benchmark::DoNotOptimize(frame.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(frame_encode)->Arg(64)->Arg(1024)->Arg(16384);

} // namespace
