// bench/bench_token_validation.cpp — cost of each step of validating an access token (header
// compare, base64url decode of the payload, HMAC-SHA256 of the signing input, signature compare,
// claim parse) and of the whole JwtCodec::verify, on a token shaped like the ones authd issues.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "auth/base64url.hpp"
#include "auth/hmac_sha256.hpp"
#include "auth/jwt.hpp"

namespace {

using namespace authd::auth;

constexpr std::string_view kKey = "django-insecure-bench-key-0123456789abcdefghijklmnopqrstuvwxyz";
constexpr int64_t kNow = 1750000000;

struct Fixture {
    JwtCodec codec{kKey};
    HmacSha256 hmac{kKey};
    std::string token;
    std::string_view header, payload, signature, signing_input;
    std::string payload_json;

    Fixture() {
        Claims c;
        c.token_type = TokenType::access;
        c.iat = kNow - 10;
        c.exp = c.iat + 300;
        c.jti = "3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e";
        c.user_id = 123456;
        c.username = "alice.example";
        c.role = "user";
        c.sid = "9c1e4a7b2d5f48e6a3b0c9d8e7f6a5b4";
        c.tv = 2;
        token = codec.encode(c);
        const std::size_t first_dot = token.find('.');
        const std::size_t second_dot = token.rfind('.');
        const std::string_view view(token);
        header = view.substr(0, first_dot);
        payload = view.substr(first_dot + 1, second_dot - first_dot - 1);
        signature = view.substr(second_dot + 1);
        signing_input = view.substr(0, second_dot);
        payload_json = *base64url_decode(payload);
        // A benchmark of a failing path would measure nothing useful: refuse to run on a broken
        // setup.
        ClaimsView out;
        auto scratch = std::make_unique<JwtScratch>();
        if (codec.verify(token, kNow, out, *scratch) != JwtError::ok) std::abort();
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

void BM_JwtHeaderCompare(benchmark::State& state) {
    const Fixture& f = fixture();
    std::string_view header = f.header;
    for (auto _ : state) {
        benchmark::DoNotOptimize(header);
        bool same = header == JwtCodec::encoded_header;
        benchmark::DoNotOptimize(same);
    }
}
BENCHMARK(BM_JwtHeaderCompare);

void BM_JwtBase64UrlDecodePayload(benchmark::State& state) {
    const Fixture& f = fixture();
    char out[JwtScratch::max_payload_size];
    for (auto _ : state) {
        auto size = base64url_decode(f.payload, out, sizeof out);
        benchmark::DoNotOptimize(size);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.payload.size()));
    state.counters["payload_chars"] = static_cast<double>(f.payload.size());
}
BENCHMARK(BM_JwtBase64UrlDecodePayload);

void BM_JwtHmacSha256SigningInput(benchmark::State& state) {
    const Fixture& f = fixture();
    uint8_t mac[HmacSha256::digest_size];
    for (auto _ : state) {
        f.hmac.mac(f.signing_input, mac);
        benchmark::DoNotOptimize(mac);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.signing_input.size()));
    state.counters["input_bytes"] = static_cast<double>(f.signing_input.size());
}
BENCHMARK(BM_JwtHmacSha256SigningInput);

void BM_JwtSignatureDecodeAndCompare(benchmark::State& state) {
    const Fixture& f = fixture();
    const HmacSha256::Digest expected = f.hmac.mac(f.signing_input);
    uint8_t presented[HmacSha256::digest_size];
    for (auto _ : state) {
        auto size = base64url_decode(f.signature, presented, sizeof presented);
        int differ = CRYPTO_memcmp(presented, expected.data(), expected.size());
        benchmark::DoNotOptimize(size);
        benchmark::DoNotOptimize(differ);
    }
}
BENCHMARK(BM_JwtSignatureDecodeAndCompare);

void BM_JwtClaimParse(benchmark::State& state) {
    const Fixture& f = fixture();
    char strings[JwtScratch::max_payload_size];
    ClaimsView out;
    for (auto _ : state) {
        bool ok = parse_claims_json(f.payload_json, strings, sizeof strings, out);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(out);
    }
    state.counters["json_bytes"] = static_cast<double>(f.payload_json.size());
}
BENCHMARK(BM_JwtClaimParse);

void BM_JwtVerify(benchmark::State& state) {
    const Fixture& f = fixture();
    auto scratch = std::make_unique<JwtScratch>();
    ClaimsView out;
    for (auto _ : state) {
        JwtError result = f.codec.verify(f.token, kNow, out, *scratch);
        benchmark::DoNotOptimize(result);
        benchmark::DoNotOptimize(out);
    }
    state.counters["token_chars"] = static_cast<double>(f.token.size());
}
BENCHMARK(BM_JwtVerify);

// Not on the request path, but the other half of every login and refresh.
void BM_JwtEncode(benchmark::State& state) {
    const Fixture& f = fixture();
    Claims c;
    c.exp = kNow + 300;
    c.iat = kNow;
    c.jti = new_token_id();
    c.user_id = 123456;
    c.username = "alice.example";
    c.role = "user";
    c.sid = "9c1e4a7b2d5f48e6a3b0c9d8e7f6a5b4";
    for (auto _ : state) {
        std::string token = f.codec.encode(c);
        benchmark::DoNotOptimize(token);
    }
}
BENCHMARK(BM_JwtEncode);

}  // namespace
