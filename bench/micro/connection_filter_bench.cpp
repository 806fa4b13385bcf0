// The REST OData filter (core::connection_filter): evaluating a parsed filter per connection, as
// a filtered send does for every connection of a hub. Built only once
// src/core/connection_filter.cpp exists (bench/micro/CMakeLists.txt).
#include <optional>
#include <string>
#include <unordered_set>

#include <benchmark/benchmark.h>

#include "core/connection_filter.hpp"

namespace {

using namespace hubcast;

void filter_parse(benchmark::State& state) {
    const std::string text = "userId eq 'user-7' or ('vip' in groups and connectionId ne 'abc')";
    for (auto _ : state) {
        auto parsed = core::connection_filter::parse(text);
        if (!parsed) {
            state.SkipWithError("parse failed");
            break;
        }
        benchmark::DoNotOptimize(parsed);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(filter_parse);

void filter_matches(benchmark::State& state) {
    auto parsed =
        core::connection_filter::parse("userId eq 'user-7' or ('vip' in groups and connectionId ne 'abc')");
    if (!parsed) {
        state.SkipWithError("parse failed");
        return;
    }
    const std::optional<std::string> user = "user-3";
    const std::unordered_set<std::string> groups = {"lobby", "vip", "room-12"};
    core::filter_subject subject;
    subject.connection_id = "Xk3aP0AAAAAAAAAAAAAAAB";
    subject.user_id = &user;
    subject.groups = &groups;
    for (auto _ : state) {
        benchmark::DoNotOptimize((*parsed)->matches(subject));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(filter_matches);

} // namespace
