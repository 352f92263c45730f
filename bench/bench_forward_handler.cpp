// /auth/forward against validate_token, handler against handler on the same loop context:
// each request parsed once by RequestParser, then the synchronous handler answering into a
// reused Response (as Connection::run_sync does). CPU per decision without sockets or load.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "auth/forward_auth.hpp"
#include "auth/handlers_v1.hpp"
#include "auth/services.hpp"
#include "bench/bench_claims.hpp"
#include "http/request.hpp"
#include "http/request_parser.hpp"

namespace {

using namespace authd;

constexpr std::string_view key = "bench-secret-key-0123456789abcdef0123456789";

struct HandlerBench {
    auth::Services services{{}, key, auth::HashParams{1, 8 * 1024}};
    auth::LoopContext ctx;
    http::Request req;
    http::Response res;

    explicit HandlerBench(bool forward) {
        ctx.services = &services;
        store::ValidationState st;
        st.token_versions.emplace_back(4242, 3);
        ctx.cache.load(st);
        auth::KeySetConfig config;  // HS256 under the same secret, as the server's default
        config.secret = std::string(key);
        ctx.keys = std::make_shared<const auth::KeySet>(config, std::vector<auth::Ed25519Key>{}, 1,
                                                        1700000000);
        auth::Claims c = bench::sample_claims();
        std::string token = ctx.keys->sign(c);
        std::string body = "{\"token\": \"" + token + "\"}";
        std::string bytes =
            forward ? "GET /auth/forward HTTP/1.1\r\nHost: authd\r\nX-Original-URI: /orders/17\r\n"
                      "Authorization: Bearer " +
                          token + "\r\n\r\n"
                    : "POST /auth/validate_token/ HTTP/1.1\r\nHost: authd\r\n"
                      "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
        http::RequestParser p;
        p.set_request(&req);
        if (p.feed(bytes).event != http::ParseEvent::request_ready) std::abort();
        req.context = &ctx;
    }
};

template <bool Forward>
void BM_Handler(benchmark::State& state) {
    HandlerBench b(Forward);
    for (auto _ : state) {
        b.res.reset();
        if constexpr (Forward) {
            auth::handle_forward(b.req, b.res);
        } else {
            auth::handle_validate_token(b.req, b.res);
        }
        if (b.res.status != 200) {
            state.SkipWithError("not accepted");
            break;
        }
        benchmark::DoNotOptimize(b.res);
    }
}
BENCHMARK(BM_Handler<false>)->Name("BM_ValidateTokenHandler");
BENCHMARK(BM_Handler<true>)->Name("BM_ForwardHandler");

}  // namespace
