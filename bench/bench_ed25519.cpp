// Ed25519 (libsodium) sign and verify beside HMAC-SHA256, and KeySet::verify of an EdDSA token
// with and without the per-loop verified-signature cache (issue 15's cost model).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <string>

#include "auth/jwt.hpp"
#include "auth/key_ring.hpp"
#include "auth/token_keys.hpp"
#include "bench/bench_claims.hpp"

namespace {

using namespace authd;

constexpr std::string_view kSecret = "bench-secret-key-0123456789abcdef0123456789";
// A typical signing input: header + payload of an authd access token.
const std::string kInput(260, 'x');

void BM_Ed25519Sign(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("sodium_init");
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    unsigned char sig[crypto_sign_BYTES];
    for (auto _ : state) {
        crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(kInput.data()),
                             kInput.size(), sk);
        benchmark::DoNotOptimize(sig);
    }
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("sodium_init");
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    unsigned char sig[crypto_sign_BYTES];
    const auto* msg = reinterpret_cast<const unsigned char*>(kInput.data());
    crypto_sign_detached(sig, nullptr, msg, kInput.size(), sk);
    for (auto _ : state) {
        int rc = crypto_sign_verify_detached(sig, msg, kInput.size(), pk);
        benchmark::DoNotOptimize(rc);
    }
}
BENCHMARK(BM_Ed25519Verify);

void BM_HmacSha256(benchmark::State& state) {
    const auth::HmacSha256 key(kSecret);
    for (auto _ : state) benchmark::DoNotOptimize(key.mac(kInput));
}
BENCHMARK(BM_HmacSha256);

auth::Claims claims() {
    auth::Claims c = authd::bench::sample_claims();
    c.iss = "http://127.0.0.1:8000";
    return c;
}

// range(0): 0 = HS256 key set, 1 = EdDSA, same token (cache hits), 2 = EdDSA, cache cleared
// by a fresh cache each time (every verify is a real Ed25519 verify).
void BM_KeySetVerify(benchmark::State& state) {
    auth::KeySetConfig config;
    config.secret = std::string(kSecret);
    config.alg = state.range(0) == 0 ? auth::SigningAlg::hs256 : auth::SigningAlg::eddsa;
    const std::vector<auth::Ed25519Key> ring{auth::new_ed25519_key(1700000000)};
    const auth::KeySet keys(config, ring, 1, 1700000000);
    const std::string token = keys.sign(claims());
    static auth::JwtScratch scratch;
    auth::SignatureCache cache;
    auth::KeySetConfig other = config;  // a second set: a new generation, so the cache misses
    const auth::KeySet fresh(other, ring, 1, 1700000000);
    bool flip = false;
    for (auto _ : state) {
        auth::ClaimsView out;
        const auth::KeySet& k = state.range(0) == 2 && (flip = !flip) ? fresh : keys;
        auto r = k.verify(token, 1700000100, out, scratch, cache);
        if (r != auth::JwtError::ok) {
            state.SkipWithError("not ok");
            break;
        }
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_KeySetVerify)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
