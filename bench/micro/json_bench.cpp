// JSON subprotocol: decoding a client's sendToGroup (protocol::decode_json_request) and encoding
// the group message every recipient gets (protocol::encode_group_message), text and JSON data.
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

#include "protocol/json_protocol.hpp"

namespace {

using namespace hubcast::protocol;

std::string send_to_group(std::size_t payload, bool json_data) {
    std::string request = R"({"type":"sendToGroup","group":"lobby","ackId":42,"noEcho":false,)";
    if (json_data) {
        request += R"("dataType":"json","data":{"text":")" + std::string(payload, 'x') + R"(","n":1}})";
    } else {
        request += R"("dataType":"text","data":")" + std::string(payload, 'x') + "\"}";
    }
    return request;
}

void json_decode_send_to_group(benchmark::State& state) {
    const std::string request = send_to_group(static_cast<std::size_t>(state.range(0)), state.range(1) != 0);
    for (auto _ : state) {
        auto decoded = decode_json_request(request);
        if (!decoded) {
            state.SkipWithError("decode failed");
            break;
        }
        benchmark::DoNotOptimize(decoded);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}
BENCHMARK(json_decode_send_to_group)
    ->ArgNames({"payload", "json"})
    ->Args({64, 0})
    ->Args({1024, 0})
    ->Args({64, 1})
    ->Args({1024, 1});

void json_encode_group_message(benchmark::State& state) {
    message_data data;
    data.type = state.range(1) != 0 ? data_type::json : data_type::text;
    data.bytes = state.range(1) != 0
                     ? R"({"text":")" + std::string(static_cast<std::size_t>(state.range(0)), 'x') + "\"}"
                     : std::string(static_cast<std::size_t>(state.range(0)), 'x');
    const std::optional<std::string> user = "alice";
    for (auto _ : state) {
        std::string json = encode_group_message("lobby", user, data);
        benchmark::DoNotOptimize(json.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(json_encode_group_message)
    ->ArgNames({"payload", "json"})
    ->Args({64, 0})
    ->Args({1024, 0})
    ->Args({64, 1})
    ->Args({1024, 1});

} // namespace
