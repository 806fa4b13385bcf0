// Client token verification (auth::verify_client_token): HS256 signature, claims, audience. This
// runs once per connect, so it bounds the connect storm.
#include <ctime>
#include <string>

#include <benchmark/benchmark.h>

#include "auth/client_token.hpp"

namespace {

using namespace hubcast::auth;

void jwt_verify_client_token(benchmark::State& state) {
    access_keys keys;
    keys.keys.emplace_back("bench-access-key-0123456789");
    client_token_request request;
    request.endpoint = "http://127.0.0.1:8080";
    request.hub = "bench";
    request.user_id = "user-1";
    request.roles = {"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"};
    request.groups = {"g0"};
    request.now = static_cast<std::int64_t>(std::time(nullptr));
    const std::string token = mint_client_token(request, keys);
    client_token_context context;
    context.hub = "bench";
    context.required_authority = "127.0.0.1:8080"; // a --public-endpoint: the host is compared too
    context.now = request.now;
    for (auto _ : state) {
        auto identity = verify_client_token(token, keys, context);
        if (!identity) {
            state.SkipWithError("verify failed");
            break;
        }
        benchmark::DoNotOptimize(identity);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(jwt_verify_client_token);

void jwt_mint_client_token(benchmark::State& state) {
    access_keys keys;
    keys.keys.emplace_back("bench-access-key-0123456789");
    client_token_request request;
    request.endpoint = "http://127.0.0.1:8080";
    request.hub = "bench";
    request.user_id = "user-1";
    request.roles = {"webpubsub.sendToGroup"};
    request.now = static_cast<std::int64_t>(std::time(nullptr));
    for (auto _ : state) {
        std::string token = mint_client_token(request, keys);
        benchmark::DoNotOptimize(token.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(jwt_mint_client_token);

} // namespace
