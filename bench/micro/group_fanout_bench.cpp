// Group index and fan-out in the core: router::send_to_group to a group of N local members, each
// behind a recording sink (it only counts frames, so this is the core's cost per recipient without
// any transport), and join + leave of one member in a large group. One shard, driven inline.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/router.hpp"

namespace {

using namespace hubcast;

class recording_sink final : public core::connection_sink {
public:
    core::send_result send(const util::shared_bytes& frame,
                           core::send_deadline = core::no_deadline) override {
        ++frames;
        bytes += frame->size();
        return core::send_result::queued;
    }
    void close(std::uint16_t, std::string_view) override {}
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
};

struct fixture {
    explicit fixture(std::size_t members) : router(1), sinks(members) {
        router.shard_at(0).bind_to_current_thread();
        auto& shard = router.shard_at(0);
        for (std::size_t i = 0; i < members; ++i) {
            core::connection_info info;
            info.id = router.new_connection_id(0);
            info.hub = "bench";
            info.user_id = "u" + std::to_string(i);
            info.kind = protocol::subprotocol_kind::json;
            auto& c = shard.attach(std::move(info), auth::permission_set{}, sinks[i]);
            shard.join(c, "g0");
            ids.push_back(c.id());
        }
    }
    ~fixture() {
        for (const auto& id : ids) {
            router.shard_at(0).detach(id);
        }
        core::shard::unbind_current_thread();
    }
    core::router router;
    std::vector<recording_sink> sinks;
    std::vector<std::string> ids;
};

void core_send_to_group(benchmark::State& state) {
    const auto members = static_cast<std::size_t>(state.range(0));
    fixture f(members);
    const std::optional<std::string> from = "publisher";
    for (auto _ : state) {
        protocol::message_data data{protocol::data_type::text, std::string(64, 'x')};
        f.router.send_to_group("bench", "g0", std::move(data), {}, from);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * members)); // deliveries
    if (f.sinks[0].frames != static_cast<std::uint64_t>(state.iterations())) {
        state.SkipWithError("a member missed a message");
    }
}
BENCHMARK(core_send_to_group)->Arg(100)->Arg(1000)->Arg(10000);

void core_join_leave(benchmark::State& state) {
    fixture f(static_cast<std::size_t>(state.range(0)));
    auto& shard = f.router.shard_at(0);
    recording_sink sink;
    core::connection_info info;
    info.id = f.router.new_connection_id(0);
    info.hub = "bench";
    info.kind = protocol::subprotocol_kind::json;
    auto& c = shard.attach(std::move(info), auth::permission_set{}, sink);
    for (auto _ : state) {
        shard.join(c, "g0");
        shard.leave(c, "g0");
    }
    shard.detach(c.id());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(core_join_leave)->Arg(1000)->Arg(10000);

} // namespace
