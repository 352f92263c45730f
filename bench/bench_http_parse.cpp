// bench/bench_http_parse.cpp — cost of the HTTP front half of a request: llhttp parsing of a
// typical `POST /auth/validate_token/` (headers + JSON body) through RequestParser, and
// Router::match on the application's full route table; together they give ns per request.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "auth/routes.hpp"
#include "http/request.hpp"
#include "http/request_parser.hpp"
#include "http/router.hpp"

namespace {

using namespace authd::http;

std::string validate_request() {
    // A token shaped like the ones authd issues (header.payload.signature, ~270 bytes).
    const std::string token =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzUwMDAwMzAwLCJpYXQiOjE3NTAwMDAwMDAsImp0aSI6IjNmMm"
        "I4YzFk"
        "OWU3YTRiNmM4ZDBlMWYyYTNiNGM1ZDZlIiwidXNlcl9pZCI6MTIzNDU2LCJ1c2VybmFtZSI6ImFsaWNlIiwicm9sZS"
        "I6IkNM"
        "SUVOVCIsInNpZCI6IjljMWU0YTdiMmQ1ZjQ4ZTYiLCJ0diI6Mn0."
        "Qm9ndXNTaWduYXR1cmVCeXRlc0ZvckJlbmNobWFya2luZ09ubHk";
    const std::string body = "{\"token\": \"" + token + "\"}";
    return "POST /auth/validate_token/ HTTP/1.1\r\n"
           "Host: 127.0.0.1:8000\r\n"
           "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)\r\n"
           "Accept: application/json, text/plain, */*\r\n"
           "Accept-Encoding: gzip, deflate, br\r\n"
           "Accept-Language: en-US,en;q=0.9\r\n"
           "Content-Type: application/json\r\n"
           "Origin: http://localhost:3000\r\n"
           "Connection: keep-alive\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Fixture {
    std::string bytes = validate_request();
    std::string pipelined;  // 16 requests back to back, as one recv might deliver them
    Router router;

    Fixture() {
        authd::auth::register_routes(router);
        for (int i = 0; i < 16; ++i) pipelined += bytes;
        // Refuse to measure a broken setup: the request must parse and route.
        RequestParser p;
        Request r;
        p.set_request(&r);
        ParseResult res = p.feed(bytes);
        if (res.event != ParseEvent::request_ready || res.consumed != bytes.size()) std::abort();
        RouteMatch m = router.match(r.method, r.path());
        if (!m.route || !(m.handler.sync || m.handler.async)) std::abort();
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

// One request per iteration; the parser and Request are reused as a connection reuses them.
void BM_HttpParseValidateToken(benchmark::State& state) {
    const Fixture& f = fixture();
    RequestParser parser;
    Request req;
    parser.set_request(&req);
    for (auto _ : state) {
        ParseResult r = parser.feed(f.bytes);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(req.body().data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(f.bytes.size()));
}
BENCHMARK(BM_HttpParseValidateToken);

// The same request arriving in two reads (split inside the body), the common slow case.
void BM_HttpParseSplitInTwo(benchmark::State& state) {
    const Fixture& f = fixture();
    std::string_view all = f.bytes;
    size_t cut = all.size() - 40;
    RequestParser parser;
    Request req;
    parser.set_request(&req);
    for (auto _ : state) {
        ParseResult a = parser.feed(all.substr(0, cut));
        ParseResult b = parser.feed(all.substr(cut));
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpParseSplitInTwo);

// 16 pipelined requests from one buffer: request_ready after each, resume for the next.
void BM_HttpParsePipelined16(benchmark::State& state) {
    const Fixture& f = fixture();
    RequestParser parser;
    Request req;
    parser.set_request(&req);
    for (auto _ : state) {
        std::string_view rest = f.pipelined;
        while (!rest.empty()) {
            ParseResult r = parser.feed(rest);
            rest.remove_prefix(r.consumed);
        }
        benchmark::DoNotOptimize(req.body().data());
    }
    state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_HttpParsePipelined16);

// One route lookup. Static: an exact path; IntParam: a `<int:>` pattern; Miss: an unknown
// path tries every pattern before answering 404, the router's worst case.
void BM_RouterMatch(benchmark::State& state, Method method, std::string_view path) {
    const Fixture& f = fixture();
    for (auto _ : state) {
        benchmark::DoNotOptimize(path);
        RouteMatch m = f.router.match(method, path);
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_RouterMatch, Static, Method::post, "/auth/validate_token/");
BENCHMARK_CAPTURE(BM_RouterMatch, IntParam, Method::post, "/api/auth/users/12345/validate/");
BENCHMARK_CAPTURE(BM_RouterMatch, Miss, Method::get, "/api/auth/users/12345/unknown/");

// Parse + route + capture params: the HTTP layer's share of one validate_token request.
void BM_HttpParseAndRoute(benchmark::State& state) {
    const Fixture& f = fixture();
    RequestParser parser;
    Request req;
    parser.set_request(&req);
    for (auto _ : state) {
        ParseResult r = parser.feed(f.bytes);
        RouteMatch m = f.router.match(req.method, req.path());
        req.set_params(m.params, m.param_count);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(m.handler);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpParseAndRoute);

}  // namespace
