// Integration tests of the HTTP layer (API.md §1 and §6) against the real authd binary, over raw
// loopback sockets: keep-alive, pipelining, limits, timeouts, errors, CORS, graceful shutdown.
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

namespace authd::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kValidate = "/auth/validate_token/";
constexpr const char* kAllowedOrigin = "https://app.example.com";

std::string get(std::string_view path, std::string_view extra_headers = "") {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           std::string(extra_headers) + "\r\n";
}

std::string post(std::string_view path, std::string_view body,
                 std::string_view content_type = "application/json",
                 std::string_view extra_headers = "") {
    return "POST " + std::string(path) +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + std::string(content_type) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra_headers) + "\r\n" + std::string(body);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A token that is nothing like a JWT: every validation path must answer 401, never 200.
const std::string kGarbageBody = R"({"token": "garbage"})";

class HttpLayer : public ::testing::Test {
  protected:
    // Every test ends with a graceful stop: a crash, a sanitizer report at exit or a hang on
    // SIGTERM shows up as a non-zero status here.
    void TearDown() override {
        if (server_.running()) {
            EXPECT_EQ(server_.stop(), 0) << "authd did not exit 0 on SIGTERM";
        }
    }

    std::optional<HttpResponse> exchange(RawConnection& conn, std::string_view bytes) {
        if (!conn.send(bytes)) return std::nullopt;
        return conn.read_response();
    }

    ServerProcess server_;
};

void expect_standard_headers(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    static const std::regex imf_date(
        R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$)");
    EXPECT_EQ(r.header_count("Date"), 1u);
    EXPECT_TRUE(std::regex_match(r.header("Date"), imf_date)) << "Date: " << r.header("Date");
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    if (r.status == 204) {
        EXPECT_FALSE(r.has_header("Content-Length")) << "no Content-Length on 204";
    } else if (!r.chunked) {
        ASSERT_EQ(r.header_count("Content-Length"), 1u);
        EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
    }
}

// ---------------------------------------------------------------------------------------------
// Service endpoints (§6)

TEST_F(HttpLayer, HealthzAnswersOk) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "GET", "/healthz");
    ASSERT_EQ(r.status, 200) << r.reason << r.body;
    EXPECT_EQ(json_string(r.body, "status"), "ok") << r.body;
    EXPECT_TRUE(lower(r.header("Content-Type")).starts_with("application/json"));
    expect_standard_headers(r, "healthz");
}

TEST_F(HttpLayer, ReadyzAnswersOkWithEmbeddedStore) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "GET", "/readyz");
    EXPECT_EQ(r.status, 200) << r.reason << r.body;
    expect_standard_headers(r, "readyz");
}

TEST_F(HttpLayer, MetricsArePrometheusText) {
    ASSERT_TRUE(server_.start());
    ASSERT_EQ(request(server_.port(), "GET", "/healthz").status, 200);
    auto r = request(server_.port(), "GET", "/metrics");
    ASSERT_EQ(r.status, 200) << r.reason;
    EXPECT_TRUE(lower(r.header("Content-Type")).starts_with("text/plain"))
        << r.header("Content-Type");
    for (const char* needle :
         {"# TYPE authd_http_requests_total counter", "authd_http_requests_total{",
          "# TYPE authd_http_request_duration_seconds histogram",
          "authd_http_request_duration_seconds_bucket{", "le=\"+Inf\"", "authd_connections_open"}) {
        EXPECT_NE(r.body.find(needle), std::string::npos) << "missing " << needle << "\n" << r.body;
    }
    expect_standard_headers(r, "metrics");
}

// ---------------------------------------------------------------------------------------------
// Connections: keep-alive, pipelining, HTTP/1.0

TEST_F(HttpLayer, KeepAliveServesTwoRequestsOnOneConnection) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    for (int i = 0; i < 2; ++i) {
        auto r = exchange(conn, get("/healthz"));
        ASSERT_TRUE(r) << "request " << i << ": " << conn.error();
        EXPECT_EQ(r->status, 200);
        EXPECT_NE(lower(r->header("Connection")), "close");
    }
    EXPECT_FALSE(conn.closed_by_peer(200));
}

TEST_F(HttpLayer, PipelinedRequestsAnswerInOrder) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    ASSERT_TRUE(conn.send(get("/healthz") + get("/metrics") + get("/no-such-path") +
                          post(kValidate, kGarbageBody) + get("/readyz")));
    auto health = conn.read_response();
    auto metrics = conn.read_response();
    auto missing = conn.read_response();
    auto validate = conn.read_response();
    auto ready = conn.read_response();
    ASSERT_TRUE(health && metrics && missing && validate && ready) << conn.error();
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(json_string(health->body, "status"), "ok");
    EXPECT_EQ(metrics->status, 200);
    EXPECT_NE(metrics->body.find("authd_http_requests_total"), std::string::npos);
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(validate->status, 401);
    EXPECT_TRUE(json_has(validate->body, "valid"));
    EXPECT_EQ(ready->status, 200);
}

TEST_F(HttpLayer, HundredPipelinedRequestsInOneWriteStayInOrder) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    std::string burst;
    for (int i = 0; i < 100; ++i)
        burst += i % 2 == 0 ? get("/healthz") : get("/nope-" + std::to_string(i));
    ASSERT_TRUE(conn.send(burst));
    for (int i = 0; i < 100; ++i) {
        auto r = conn.read_response();
        ASSERT_TRUE(r) << "response " << i << ": " << conn.error();
        ASSERT_EQ(r->status, i % 2 == 0 ? 200 : 404) << "response " << i;
    }
}

TEST_F(HttpLayer, Http10WithoutKeepAliveIsClosedAfterResponse) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    ASSERT_TRUE(conn.send("GET /healthz HTTP/1.0\r\n\r\n"));
    auto r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json_string(r->body, "status"), "ok");
    EXPECT_TRUE(conn.closed_by_peer(3000)) << "HTTP/1.0 connection left open";
}

TEST_F(HttpLayer, Http10KeepAliveIsHonouredAndEchoed) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    for (int i = 0; i < 2; ++i) {
        auto r = exchange(conn, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        ASSERT_TRUE(r) << "request " << i << ": " << conn.error();
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(lower(r->header("Connection")), "keep-alive");
        EXPECT_FALSE(conn.closed_by_peer(200)) << "closed after request " << i;
    }
}

TEST_F(HttpLayer, Http11ConnectionCloseIsHonoured) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    auto r = exchange(conn, get("/healthz", "Connection: close\r\n"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(conn.closed_by_peer(3000));
}

TEST_F(HttpLayer, ThousandSequentialRequestsOnOneConnection) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    for (int i = 0; i < 1000; ++i) {
        bool post_it = i % 10 == 9;
        auto r = exchange(conn, post_it ? post(kValidate, kGarbageBody) : get("/healthz"));
        ASSERT_TRUE(r) << "request " << i << ": " << conn.error();
        ASSERT_EQ(r->status, post_it ? 401 : 200) << "request " << i;
    }
}

TEST_F(HttpLayer, TwoHundredConcurrentConnections) {
    ASSERT_TRUE(server_.start());
    std::vector<RawConnection> conns;
    conns.reserve(200);
    for (int i = 0; i < 200; ++i) {
        conns.emplace_back(server_.port());
        ASSERT_TRUE(conns.back().connected()) << "connection " << i << ": " << conns.back().error();
    }
    for (size_t i = 0; i < conns.size(); ++i) {
        ASSERT_TRUE(conns[i].send(i % 2 ? get("/healthz") : post(kValidate, kGarbageBody)));
    }
    for (size_t i = 0; i < conns.size(); ++i) {
        auto r = conns[i].read_response();
        ASSERT_TRUE(r) << "connection " << i << ": " << conns[i].error();
        EXPECT_EQ(r->status, i % 2 ? 200 : 401) << "connection " << i;
    }
}

// ---------------------------------------------------------------------------------------------
// Request bodies: Expect, chunked, byte-by-byte, limits

TEST_F(HttpLayer, Expect100ContinueGetsInterimResponseBeforeBody) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    ASSERT_TRUE(
        conn.send("POST /auth/validate_token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                  "Content-Length: " +
                  std::to_string(kGarbageBody.size()) + "\r\n\r\n"));
    auto interim = conn.read_response(/*return_interim=*/true);
    ASSERT_TRUE(interim) << "no 100 Continue before the body was sent: " << conn.error();
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(conn.send(kGarbageBody));
    auto final_response = conn.read_response();
    ASSERT_TRUE(final_response) << conn.error();
    EXPECT_EQ(final_response->status, 401);
    EXPECT_FALSE(json_bool(final_response->body, "valid"));
}

// RFC 9110 §10.1.1: a final status that the head alone decides is sent instead of 100.
TEST_F(HttpLayer, Expect100ContinueWithOversizedBodyIs413WithoutContinue) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    ASSERT_TRUE(
        conn.send("POST /auth/validate_token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                  "Content-Length: 100000\r\n\r\n"));
    auto r = conn.read_response(/*return_interim=*/true);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 413);
}

TEST_F(HttpLayer, ChunkedRequestBodyAcrossWritesIsReassembled) {
    ASSERT_TRUE(server_.start());
    auto send_chunked = [&](RawConnection& conn, const std::vector<std::string>& pieces) {
        ASSERT_TRUE(
            conn.send("POST /auth/validate_token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"));
        for (auto& piece : pieces) {
            std::this_thread::sleep_for(20ms);
            char size[16];
            std::snprintf(size, sizeof size, "%zx", piece.size());
            ASSERT_TRUE(conn.send(std::string(size) + "\r\n" + piece + "\r\n"));
        }
        std::this_thread::sleep_for(20ms);
        ASSERT_TRUE(conn.send("0\r\n\r\n"));
    };
    RawConnection conn(server_.port());
    send_chunked(conn, {"{\"tok", "en\": \"gar", "bage\"}"});
    auto r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 401) << r->body;
    // Same connection, a chunked body without the field: proves the body content was read.
    send_chunked(conn, {"{\"oth", "er\": 1}"});
    r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(json_string(r->body, "/token/0"), "This field is required.") << r->body;
}

TEST_F(HttpLayer, RequestSentByteByByteIsParsed) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    std::string bytes = post(kValidate, kGarbageBody);
    for (char c : bytes) {
        ASSERT_TRUE(conn.send(std::string_view(&c, 1)));
        std::this_thread::sleep_for(1ms);
    }
    auto r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 401) << r->body;
}

// {"token": "aaaa..."} padded to exactly `size` bytes.
std::string json_body_of_size(size_t size) {
    std::string body = R"({"token": ")";
    body += std::string(size - body.size() - 2, 'a');
    return body + "\"}";
}

TEST_F(HttpLayer, BodyOfExactly64KiBIsAccepted) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    auto r = exchange(conn, post(kValidate, json_body_of_size(65536)));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 401) << "a 64 KiB body is within the limit";
}

TEST_F(HttpLayer, BodyOver64KiBIs413) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    conn.send(post(kValidate, json_body_of_size(65537)));  // the server may stop reading early
    auto r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 413);
    expect_standard_headers(*r, "413");
}

TEST_F(HttpLayer, ChunkedBodyOver64KiBIs413) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    ASSERT_TRUE(
        conn.send("POST /auth/validate_token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    std::string chunk = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";  // 16 KiB of whitespace
    for (int i = 0; i < 5; ++i) {
        if (!conn.send(chunk)) break;  // the server may answer and close before the end
    }
    conn.send("0\r\n\r\n");
    auto r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 413);
}

TEST_F(HttpLayer, HeadOver16KiBIs431) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    conn.send(get("/healthz", "X-Big: " + std::string(20000, 'a') + "\r\n"));
    auto r = conn.read_response();
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 431);
    expect_standard_headers(*r, "431");
}

TEST_F(HttpLayer, HeadJustUnder16KiBIsServed) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port());
    auto r = exchange(conn, get("/healthz", "X-Big: " + std::string(15000, 'a') + "\r\n"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpLayer, MalformedHttpIs400AndClosed) {
    ASSERT_TRUE(server_.start());
    const std::vector<std::string> malformed = {
        "THIS IS NOT HTTP\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "POST /auth/validate_token/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "POST /auth/validate_token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /auth/validate_token/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        "Content-Length: 3\r\n\r\n{}",
        std::string("GET /hea\0lthz HTTP/1.1\r\nHost: x\r\n\r\n", 35),
    };
    for (auto& bytes : malformed) {
        SCOPED_TRACE(testing::PrintToString(bytes));
        RawConnection conn(server_.port());
        ASSERT_TRUE(conn.send(bytes));
        auto r = conn.read_response();
        ASSERT_TRUE(r) << conn.error();
        EXPECT_EQ(r->status, 400);
        expect_standard_headers(*r, "400 malformed");
        EXPECT_TRUE(conn.closed_by_peer(3000)) << "connection not closed after malformed HTTP";
    }
}

// ---------------------------------------------------------------------------------------------
// Timeouts

TEST_F(HttpLayer, SlowHeadIsClosedAfterDefaultTenSeconds) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port(), 20s);
    ASSERT_TRUE(conn.send("GET /heal"));
    auto t0 = Clock::now();
    EXPECT_TRUE(conn.closed_by_peer(15000)) << "incomplete head still open after 15 s";
    double elapsed = seconds_since(t0);
    EXPECT_GE(elapsed, 9.0) << "closed too early";
    EXPECT_LE(elapsed, 14.0);
}

TEST_F(HttpLayer, ConfiguredHeaderTimeoutAlsoStopsTrickledHeads) {
    ASSERT_TRUE(server_.start({{"AUTHD_HEADER_TIMEOUT", "2"}}));
    RawConnection silent(server_.port(), 10s);
    RawConnection trickle(server_.port(), 10s);
    ASSERT_TRUE(silent.send("GET /heal"));
    // A client that keeps sending one byte at a time must not extend its head deadline.
    std::string head = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(200, 'a');
    auto t0 = Clock::now();
    bool closed = false;
    for (size_t i = 0; i < head.size() && seconds_since(t0) < 8.0; ++i) {
        if (trickle.closed_by_peer(250)) {
            closed = true;
            break;
        }
        trickle.send(std::string_view(&head[i], 1));
    }
    double trickle_elapsed = seconds_since(t0);
    EXPECT_TRUE(closed) << "trickled head never closed";
    EXPECT_GE(trickle_elapsed, 1.5);
    EXPECT_LE(trickle_elapsed, 4.5);
    EXPECT_TRUE(silent.closed_by_peer(3000));
    EXPECT_LE(seconds_since(t0), 4.5);
}

TEST_F(HttpLayer, HeaderTimeoutDoesNotCutIdleKeepAlive) {
    ASSERT_TRUE(server_.start({{"AUTHD_HEADER_TIMEOUT", "1"}}));
    RawConnection conn(server_.port());
    auto r = exchange(conn, get("/healthz"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_FALSE(conn.closed_by_peer(2500)) << "an idle keep-alive connection is not a slow head";
    r = exchange(conn, get("/healthz"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpLayer, IdleKeepAliveIsClosedAfterConfiguredTimeout) {
    ASSERT_TRUE(server_.start({{"AUTHD_IDLE_TIMEOUT", "2"}}));
    RawConnection conn(server_.port(), 10s);
    auto r = exchange(conn, get("/healthz"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_FALSE(conn.closed_by_peer(1000)) << "closed before the idle timeout";
    r = exchange(conn, get("/healthz"));  // activity restarts the idle clock
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
    auto t1 = Clock::now();
    EXPECT_TRUE(conn.closed_by_peer(6000)) << "idle connection still open";
    double elapsed = seconds_since(t1);
    EXPECT_GE(elapsed, 1.5);
    EXPECT_LE(elapsed, 4.5);
}

// ---------------------------------------------------------------------------------------------
// Routing and error shapes (§1)

TEST_F(HttpLayer, UnknownPathIs404) {
    ASSERT_TRUE(server_.start());
    for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/nope"}, {"GET", "/auth/"}, {"POST", "/auth/nope/"}, {"GET", "/healthzz"}}) {
        SCOPED_TRACE(method + " " + path);
        auto r = request(server_.port(), method, path, method == "POST" ? "{}" : "");
        EXPECT_EQ(r.status, 404) << r.reason;
        EXPECT_EQ(json_string(r.body, "detail"), "Not found.") << r.body;
        expect_standard_headers(r, "404");
    }
}

TEST_F(HttpLayer, WrongMethodIs405WithAllowHeader) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "DELETE", kValidate);
    EXPECT_EQ(r.status, 405) << r.reason;
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"DELETE\" not allowed.") << r.body;
    EXPECT_NE(r.header("Allow").find("POST"), std::string::npos) << "Allow: " << r.header("Allow");
    expect_standard_headers(r, "405");

    r = request(server_.port(), "GET", kValidate);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"GET\" not allowed.") << r.body;

    r = request(server_.port(), "POST", "/healthz", "{}");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"POST\" not allowed.") << r.body;
    EXPECT_NE(r.header("Allow").find("GET"), std::string::npos) << "Allow: " << r.header("Allow");
}

TEST_F(HttpLayer, PathsWithAndWithoutTrailingSlashAreServed) {
    ASSERT_TRUE(server_.start());
    EXPECT_EQ(request(server_.port(), "GET", "/healthz").status, 200);
    EXPECT_EQ(request(server_.port(), "GET", "/healthz/").status, 200);
    EXPECT_EQ(request(server_.port(), "POST", "/auth/validate_token/", kGarbageBody).status, 401);
    EXPECT_EQ(request(server_.port(), "POST", "/auth/validate_token", kGarbageBody).status, 401);
    EXPECT_EQ(
        request(server_.port(), "POST", "/api/auth/users/validate-token", kGarbageBody).status,
        401);
}

TEST_F(HttpLayer, QueryStringDoesNotAffectRouting) {
    ASSERT_TRUE(server_.start());
    EXPECT_EQ(request(server_.port(), "GET", "/healthz?x=1").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Bodies and media types (§1), on /auth/validate_token/

TEST_F(HttpLayer, ValidateGarbageTokenIs401) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, kGarbageBody);
    ASSERT_EQ(r.status, 401) << r.reason << r.body;
    ASSERT_TRUE(json_has(r.body, "valid")) << r.body;
    EXPECT_FALSE(json_bool(r.body, "valid"));
    EXPECT_FALSE(json_string(r.body, "detail").empty()) << r.body;
    EXPECT_TRUE(lower(r.header("Content-Type")).starts_with("application/json"));
    expect_standard_headers(r, "401");
}

TEST_F(HttpLayer, ValidateWithoutTokenIs400FieldRequired) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, "{}");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_keys(r.body), std::vector<std::string>{"token"}) << r.body;
    EXPECT_EQ(json_array_size(r.body, "token"), 1u) << r.body;
    EXPECT_EQ(json_string(r.body, "/token/0"), "This field is required.") << r.body;
}

TEST_F(HttpLayer, NonStringTokenIs400NotAValidString) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, R"({"token": 5})");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_string(r.body, "/token/0"), "Not a valid string.") << r.body;
}

TEST_F(HttpLayer, JsonWithCharsetParameterIsAccepted) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, kGarbageBody,
                     {{"Content-Type", "application/json; charset=utf-8"}});
    EXPECT_EQ(r.status, 401) << r.body;
}

TEST_F(HttpLayer, OtherContentTypeIs415) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, "token=garbage",
                     {{"Content-Type", "text/plain"}});
    ASSERT_EQ(r.status, 415) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Unsupported media type \"text/plain\" in request.")
        << r.body;
    expect_standard_headers(r, "415");
}

TEST_F(HttpLayer, MalformedJsonIs400ParseError) {
    ASSERT_TRUE(server_.start());
    for (std::string body : {R"({"token": )", R"({"token": "garbage")", "not json at all"}) {
        SCOPED_TRACE(body);
        auto r = request(server_.port(), "POST", kValidate, body);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_TRUE(json_string(r.body, "detail").starts_with("JSON parse error - ")) << r.body;
        expect_standard_headers(r, "400 json");
    }
}

TEST_F(HttpLayer, JsonThatIsNotAnObjectIs400ParseError) {
    ASSERT_TRUE(server_.start());
    for (std::string body : {R"(["garbage"])", R"("garbage")", "42", "null"}) {
        SCOPED_TRACE(body);
        auto r = request(server_.port(), "POST", kValidate, body);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_TRUE(json_string(r.body, "detail").starts_with("JSON parse error - ")) << r.body;
    }
}

TEST_F(HttpLayer, FormUrlencodedBodyIsAccepted) {
    ASSERT_TRUE(server_.start());
    const std::vector<std::pair<std::string, std::string>> form = {
        {"Content-Type", "application/x-www-form-urlencoded"}};
    auto r = request(server_.port(), "POST", kValidate, "token=garbage", form);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_FALSE(json_bool(r.body, "valid"));
    r = request(server_.port(), "POST", kValidate, "token=gar%62age+x", form);  // decoded
    EXPECT_EQ(r.status, 401) << r.body;
    r = request(server_.port(), "POST", kValidate, "other=1", form);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_string(r.body, "/token/0"), "This field is required.") << r.body;
}

// ---------------------------------------------------------------------------------------------
// CORS (§1)

bool has_any_cors_header(const HttpResponse& r) {
    for (auto& [name, value] : r.headers) {
        if (lower(name).starts_with("access-control-")) return true;
    }
    return false;
}

TEST_F(HttpLayer, CorsAllowedOriginGetsItsExactOrigin) {
    ASSERT_TRUE(server_.start(
        {{"AUTHD_CORS_ORIGINS", std::string(kAllowedOrigin) + ",https://other.example.com"}}));
    for (std::string origin :
         {std::string(kAllowedOrigin), std::string("https://other.example.com")}) {
        SCOPED_TRACE(origin);
        auto r = request(server_.port(), "GET", "/healthz", "", {{"Origin", origin}});
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), origin);
        EXPECT_NE(lower(r.header("Vary")).find("origin"), std::string::npos)
            << "Vary: " << r.header("Vary");
    }
    // Error answers carry it too, or the browser hides them from the page.
    auto r = request(server_.port(), "POST", kValidate, kGarbageBody, {{"Origin", kAllowedOrigin}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kAllowedOrigin);
}

TEST_F(HttpLayer, CorsPreflightIs204WithAllowHeaders) {
    ASSERT_TRUE(server_.start({{"AUTHD_CORS_ORIGINS", kAllowedOrigin}}));
    auto r = request(server_.port(), "OPTIONS", kValidate, "",
                     {{"Origin", kAllowedOrigin},
                      {"Access-Control-Request-Method", "POST"},
                      {"Access-Control-Request-Headers", "content-type, authorization"}});
    ASSERT_EQ(r.status, 204) << r.reason << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kAllowedOrigin);
    EXPECT_NE(r.header("Access-Control-Allow-Methods").find("POST"), std::string::npos)
        << r.header("Access-Control-Allow-Methods");
    std::string allowed = lower(r.header("Access-Control-Allow-Headers"));
    EXPECT_NE(allowed.find("content-type"), std::string::npos) << allowed;
    EXPECT_NE(allowed.find("authorization"), std::string::npos) << allowed;
    EXPECT_GT(std::atoi(r.header("Access-Control-Max-Age").c_str()), 0)
        << r.header("Access-Control-Max-Age");
    expect_standard_headers(r, "preflight 204");
}

TEST_F(HttpLayer, CorsOtherOriginGetsNoCorsHeaders) {
    ASSERT_TRUE(server_.start({{"AUTHD_CORS_ORIGINS", kAllowedOrigin}}));
    auto r =
        request(server_.port(), "GET", "/healthz", "", {{"Origin", "https://evil.example.com"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(has_any_cors_header(r));
    r = request(
        server_.port(), "OPTIONS", kValidate, "",
        {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_LT(r.status, 500);
    EXPECT_FALSE(has_any_cors_header(r));
    // A prefix of an allowed origin is another origin.
    r = request(server_.port(), "GET", "/healthz", "", {{"Origin", "https://app.example.co"}});
    EXPECT_FALSE(has_any_cors_header(r));
}

TEST_F(HttpLayer, NoCorsHeadersWithoutConfiguredOrigins) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "GET", "/healthz", "", {{"Origin", kAllowedOrigin}});
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(has_any_cors_header(r));
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown (§8)

TEST_F(HttpLayer, SigtermFinishesInFlightRequestAndExitsZero) {
    ASSERT_TRUE(server_.start());
    int port = server_.port();
    RawConnection conn(port);
    ASSERT_TRUE(conn.send(get("/healthz")));
    server_.signal(SIGTERM);
    auto r = conn.read_response();
    ASSERT_TRUE(r) << "in-flight request lost on SIGTERM: " << conn.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(server_.wait_exit(15s), 0) << "authd did not exit 0 after SIGTERM";
    RawConnection after(port, 1s);
    EXPECT_FALSE(after.connected()) << "a connection was accepted after shutdown";
    EXPECT_EQ(after.connect_errno(), ECONNREFUSED);
}

TEST_F(HttpLayer, SigtermClosesIdleConnectionsPromptly) {
    ASSERT_TRUE(server_.start());
    std::vector<RawConnection> idle;
    for (int i = 0; i < 3; ++i) {
        idle.emplace_back(server_.port());
        auto r = exchange(idle.back(), get("/healthz"));
        ASSERT_TRUE(r) << idle.back().error();
    }
    idle.emplace_back(server_.port());  // connected, never sent anything
    ASSERT_TRUE(idle.back().connected());
    std::this_thread::sleep_for(50ms);  // let the server accept the last one
    auto t0 = Clock::now();
    server_.signal(SIGTERM);
    EXPECT_EQ(server_.wait_exit(15s), 0);
    EXPECT_LE(seconds_since(t0), 5.0) << "idle keep-alive connections held up the shutdown";
    for (auto& conn : idle) EXPECT_TRUE(conn.closed_by_peer(1000));
}

}  // namespace
}  // namespace authd::test
