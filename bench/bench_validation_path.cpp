// The validate_token steps around the JWT itself: reading the request body (simdjson DOM,
// reused parser), the revoked-session and token-version lookups at 100k users / 100k
// revocations, and the whole check_token() on a loop context.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>

#include "auth/key_ring.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "auth/validation_cache.hpp"
#include "bench/bench_claims.hpp"

namespace {

using namespace authd;

constexpr std::string_view key = "bench-secret-key-0123456789abcdef0123456789";

using authd::bench::sample_claims;

store::ValidationState big_state() {
    store::ValidationState st;
    for (int64_t id = 1; id <= 100000; ++id) st.token_versions.emplace_back(id, id == 4242 ? 3 : 0);
    for (int i = 0; i < 100000; ++i)
        st.revoked_sessions.emplace_back(auth::new_token_id(), 4000000000);
    return st;
}

void BM_BodyJsonFindToken(benchmark::State& state) {
    auth::JwtCodec codec(key);
    std::string body = "{\"token\": \"" + codec.encode(sample_claims()) + "\"}";
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::parser parser;
    for (auto _ : state) {
        simdjson::dom::element doc;
        std::string_view token;
        if (parser.parse(body.data(), body.size(), false).get(doc) ||
            doc["token"].get_string().get(token)) {
            state.SkipWithError("parse failed");
            break;
        }
        benchmark::DoNotOptimize(token);
    }
}
BENCHMARK(BM_BodyJsonFindToken);

void BM_RevocationLookup(benchmark::State& state) {
    static auth::ValidationCache cache;
    static bool loaded = (cache.load(big_state()), true);
    benchmark::DoNotOptimize(loaded);
    std::string sid = auth::new_token_id();
    for (auto _ : state) {
        bool revoked = cache.is_revoked(sid);
        auto version = cache.token_version(4242);
        benchmark::DoNotOptimize(revoked);
        benchmark::DoNotOptimize(version);
    }
}
BENCHMARK(BM_RevocationLookup);

// range(0): 0 = HS256 keys, 1 = EdDSA keys (the same token each time: the verified-signature
// cache answers after the first verify, as for a client presenting its token repeatedly).
void BM_CheckTokenInMemory(benchmark::State& state) {
    auth::Services services({}, key, auth::HashParams{1, 8 * 1024});
    auth::LoopContext ctx;
    ctx.services = &services;
    store::ValidationState st;
    st.token_versions.emplace_back(4242, 3);
    ctx.cache.load(st);
    auth::KeySetConfig config;
    config.secret = std::string(key);
    config.alg = state.range(0) == 1 ? auth::SigningAlg::eddsa : auth::SigningAlg::hs256;
    const std::vector<auth::Ed25519Key> ring{auth::new_ed25519_key(1700000000)};
    ctx.keys = std::make_shared<const auth::KeySet>(config, ring, 1, 1700000000);
    std::string token = ctx.keys->sign(sample_claims());
    for (auto _ : state) {
        auth::ClaimsView claims;
        auto result = auth::check_token(ctx, token, auth::TokenType::access, 1700000100, claims);
        if (result != auth::TokenCheck::valid) {
            state.SkipWithError("token not valid");
            break;
        }
        benchmark::DoNotOptimize(claims);
    }
}
BENCHMARK(BM_CheckTokenInMemory)->Arg(0)->Arg(1);

}  // namespace
