// Integration tests of the HTTP layer (API.md §1 and §6) against the real authd binary, over raw
// loopback sockets: service endpoints, keep-alive, pipelining, 100-continue, body and head limits.
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/http_layer_support.hpp"

namespace authd::test::http_layer {
namespace {

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

}  // namespace
}  // namespace authd::test::http_layer
