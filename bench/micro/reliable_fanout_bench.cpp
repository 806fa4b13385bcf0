// Fan-out to reliable members (spec 5.1): every member gets its own sequence id, so its frame differs
// from every other member's. Measures the two ways of building that frame, behind sinks that queue
// what they are given the way the WebSocket session does (a shared pointer per piece):
//   spliced - the body every reliable member shares, queued with the member's sequence id; the
//             per-member head (WebSocket header + `{"sequenceId":N,`) is built on the stack when
//             the frame is written and gathered with the body (what hubcast does);
//   copied  - head and body joined into one contiguous frame per member (connection_sink's
//             default send_sequenced), i.e. a payload copy per recipient.
// and plain JSON members (one shared frame, no sequence id) as the floor. One shard, driven inline;
// the unacked buffers are acknowledged every 500 sends so they stay bounded, in every variant.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/router.hpp"
#include "protocol/sequence_head.hpp"

namespace {

using namespace hubcast;

/// Queues what it is given as the transport does (pointers, no bytes), and drops the queue now and
/// then as a write would.
class queueing_sink : public core::connection_sink {
public:
    core::send_result send(const util::shared_bytes& frame,
                           core::send_deadline = core::no_deadline) override {
        queue(frame);
        return core::send_result::queued;
    }
    void close(std::uint16_t, std::string_view) override {}

protected:
    void queue(const util::shared_bytes& piece) {
        queued_.push_back(piece);
        if (queued_.size() == 64) {
            queued_.clear();
        }
    }

private:
    std::vector<util::shared_bytes> queued_;
};

/// Queues the shared body and builds the head as the WebSocket session's write does.
class gathering_sink final : public queueing_sink {
public:
    core::send_result send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                     const util::shared_bytes& body,
                                     core::send_deadline = core::no_deadline) override {
        queue(body);
        const protocol::sequence_head head(family, sequence_id, body->size());
        benchmark::DoNotOptimize(head);
        return core::send_result::queued;
    }
};

/// Keeps connection_sink's default send_sequenced: one joined copy per member.
class copying_sink final : public queueing_sink {};

template <typename Sink> struct fixture {
    fixture(std::size_t members, protocol::subprotocol_kind kind) : router(1), sinks(members) {
        router.shard_at(0).bind_to_current_thread();
        auto& shard = router.shard_at(0);
        for (std::size_t i = 0; i < members; ++i) {
            auto& c = shard.attach(
                core::connection_info{router.new_connection_id(0), "bench", "u" + std::to_string(i), kind},
                auth::permission_set{}, sinks[i]);
            shard.join(c, "g0");
            connections.push_back(&c);
        }
    }
    ~fixture() {
        for (const auto* c : connections) {
            router.shard_at(0).detach(c->id());
        }
        core::shard::unbind_current_thread();
    }
    core::router router;
    std::vector<Sink> sinks;
    std::vector<core::connection*> connections;
};

template <typename Sink> void fan_out(benchmark::State& state, protocol::subprotocol_kind kind) {
    const auto members = static_cast<std::size_t>(state.range(0));
    const auto payload = static_cast<std::size_t>(state.range(1));
    fixture<Sink> f(members, kind);
    const std::optional<std::string> from = "publisher";
    std::uint64_t sent = 0;
    for (auto _ : state) {
        f.router.send_to_group("bench", "g0",
                               protocol::message_data{protocol::data_type::text, std::string(payload, 'x')},
                               {}, from);
        if (++sent % 500 == 0) {
            for (auto* c : f.connections) {
                c->acknowledge(sent);
            }
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * members)); // deliveries
    if (f.connections.front()->closing()) {
        state.SkipWithError("a member's session ended");
    }
}

void reliable_spliced(benchmark::State& state) {
    fan_out<gathering_sink>(state, protocol::subprotocol_kind::json_reliable);
}
void reliable_copied(benchmark::State& state) {
    fan_out<copying_sink>(state, protocol::subprotocol_kind::json_reliable);
}
void plain_json(benchmark::State& state) {
    fan_out<gathering_sink>(state, protocol::subprotocol_kind::json);
}

BENCHMARK(reliable_spliced)->Args({1000, 64})->Args({1000, 4096});
BENCHMARK(reliable_copied)->Args({1000, 64})->Args({1000, 4096});
BENCHMARK(plain_json)->Args({1000, 64})->Args({1000, 4096});

} // namespace
