// RequestParser (llhttp glue) without sockets: bytes in, Requests and ParseResults out —
// arbitrary splits, pipelining, chunked bodies, the size limits and HTTP version rules.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "http/limits.hpp"
#include "http/request.hpp"
#include "http/request_parser.hpp"

namespace authd::http {
namespace {

// What a test compares: a copy of the parts of a Request handlers use.
struct Snapshot {
    Method method = Method::other;
    std::string method_text, target, path, query, body;
    std::vector<std::pair<std::string, std::string>> headers;  // those named in `wanted`
    bool keep_alive = false;
    int major = 0, minor = 0;
    size_t header_count = 0;
    bool operator==(const Snapshot&) const = default;
};

const std::vector<std::string> wanted = {
    "host",          "content-type", "content-length",    "user-agent", "x-multi", "x-empty",
    "authorization", "x-trailer",    "transfer-encoding", "connection", "expect"};

Snapshot snap(const Request& r) {
    Snapshot s;
    s.method = r.method;
    s.method_text = std::string(r.method_text);
    s.target = std::string(r.target());
    s.path = std::string(r.path());
    s.query = std::string(r.query());
    s.body = std::string(r.body());
    for (const auto& h : wanted) {
        if (r.has_header(h)) s.headers.emplace_back(h, std::string(r.header(h)));
    }
    s.keep_alive = r.keep_alive;
    s.major = r.version_major;
    s.minor = r.version_minor;
    s.header_count = r.header_count();
    return s;
}

// Drives a parser the way Connection does: feed, take each ready request, feed the rest.
struct Driver {
    RequestParser parser;
    Request request;
    std::vector<Snapshot> ready;
    std::vector<size_t> consumed;  // per request_ready event
    int error_status = 0;
    bool continue_requested = false;

    Driver() { parser.set_request(&request); }

    // Feeds `data` in pieces of `step` bytes (each piece in a buffer that dies right after,
    // so views into it would be caught by ASan). Stops at the first error.
    void feed(std::string_view data, size_t step = SIZE_MAX) {
        for (size_t i = 0; i < data.size() && !error_status;) {
            size_t n = std::min(step, data.size() - i);
            auto piece_owner = std::make_unique<std::string>(data.substr(i, n));
            std::string_view piece = *piece_owner;
            while (!piece.empty()) {
                ParseResult r = parser.feed(piece);
                continue_requested |= parser.take_continue_request();
                if (r.event == ParseEvent::error) {
                    error_status = r.error_status;
                    return;
                }
                if (r.event == ParseEvent::need_more) {
                    EXPECT_EQ(r.consumed, piece.size());
                    break;
                }
                ready.push_back(snap(request));
                consumed.push_back(r.consumed);
                piece.remove_prefix(r.consumed);
            }
            i += n;
        }
    }
};

const std::string post_request =
    "POST /auth/validate_token/?a=1&b=two HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: curl/8.0\r\n"
    "Content-Type: application/json\r\n"
    "X-Multi:   spaced value  \r\n"
    "X-Empty:\r\n"
    "Authorization: Bearer abc.def.ghi\r\n"
    "Content-Length: 24\r\n"
    "\r\n"
    "{\"token\": \"abc.def.ghi\"}";

Snapshot expected_post() {
    Snapshot s;
    s.method = Method::post;
    s.method_text = "POST";
    s.target = "/auth/validate_token/?a=1&b=two";
    s.path = "/auth/validate_token/";
    s.query = "a=1&b=two";
    s.body = "{\"token\": \"abc.def.ghi\"}";
    s.headers = {{"host", "example.com"},
                 {"content-type", "application/json"},
                 {"content-length", "24"},
                 {"user-agent", "curl/8.0"},
                 {"x-multi", "spaced value"},
                 {"x-empty", ""},
                 {"authorization", "Bearer abc.def.ghi"}};
    s.keep_alive = true;
    s.major = 1;
    s.minor = 1;
    s.header_count = 7;
    return s;
}

TEST(RequestParser, ParsesAWholeRequest) {
    Driver d;
    d.feed(post_request);
    ASSERT_EQ(d.error_status, 0);
    ASSERT_EQ(d.ready.size(), 1u);
    EXPECT_EQ(d.ready[0], expected_post());
    EXPECT_EQ(d.consumed[0], post_request.size());
    EXPECT_FALSE(d.parser.in_message());
}

TEST(RequestParser, OneByteAtATimeGivesTheSameRequest) {
    Driver d;
    d.feed(post_request, 1);
    ASSERT_EQ(d.error_status, 0);
    ASSERT_EQ(d.ready.size(), 1u);
    EXPECT_EQ(d.ready[0], expected_post());
    EXPECT_EQ(d.consumed[0], 1u);  // the last byte completed it
}

TEST(RequestParser, EverySplitPointGivesTheSameRequest) {
    for (size_t cut = 1; cut < post_request.size(); ++cut) {
        Driver d;
        d.feed(std::string_view(post_request).substr(0, cut));
        EXPECT_TRUE(d.ready.empty()) << cut;
        EXPECT_TRUE(d.parser.in_message()) << cut;
        d.feed(std::string_view(post_request).substr(cut));
        ASSERT_EQ(d.error_status, 0) << cut;
        ASSERT_EQ(d.ready.size(), 1u) << cut;
        EXPECT_EQ(d.ready[0], expected_post()) << "split at " << cut;
    }
}

TEST(RequestParser, HeadCompleteIsReportedBeforeTheBody) {
    Driver d;
    size_t head_end = post_request.find("\r\n\r\n") + 4;
    d.feed(std::string_view(post_request).substr(0, head_end - 1));
    EXPECT_FALSE(d.parser.head_complete());
    d.feed(std::string_view(post_request).substr(head_end - 1, 1));
    EXPECT_TRUE(d.parser.head_complete());
    EXPECT_TRUE(d.parser.in_message());
    EXPECT_TRUE(d.ready.empty());
}

TEST(RequestParser, ViewsStayValidAfterTheInputBufferIsGone) {
    RequestParser p;
    Request r;
    p.set_request(&r);
    {
        std::string buffer =
            "GET /api/auth/users/?search=bob HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
        ASSERT_EQ(p.feed(buffer).event, ParseEvent::request_ready);
        std::fill(buffer.begin(), buffer.end(), 'X');
    }
    EXPECT_EQ(r.path(), "/api/auth/users/");
    EXPECT_EQ(r.query(), "search=bob");
    EXPECT_EQ(r.header("Accept"), "*/*");
    EXPECT_EQ(r.header("HOST"), "h");
}

TEST(RequestParser, HeaderLookupIsCaseInsensitiveFirstMatchAndTrimmed) {
    Driver d;
    d.feed("GET / HTTP/1.1\r\nX-Multi: first \t\r\nx-multi: second\r\nHost:h\r\n\r\n");
    ASSERT_EQ(d.ready.size(), 1u);
    EXPECT_EQ(d.request.header("X-MULTI"), "first");
    EXPECT_EQ(d.request.header("host"), "h");
    EXPECT_FALSE(d.request.has_header("absent"));
    EXPECT_EQ(d.request.header("absent"), "");
    EXPECT_EQ(d.request.header_count(), 3u);
}

TEST(RequestParser, EmptyHeaderValueDoesNotMergeWithTheNextHeader) {
    for (size_t step : {size_t{1}, size_t{3}, SIZE_MAX}) {
        Driver d;
        d.feed("GET / HTTP/1.1\r\nX-Empty:\r\nHost: a\r\nX-Multi:  \r\nUser-Agent: u\r\n\r\n",
               step);
        ASSERT_EQ(d.ready.size(), 1u) << step;
        EXPECT_TRUE(d.request.has_header("x-empty")) << step;
        EXPECT_EQ(d.request.header("x-empty"), "") << step;
        EXPECT_EQ(d.request.header("host"), "a") << step;
        EXPECT_EQ(d.request.header("x-multi"), "") << step;
        EXPECT_EQ(d.request.header("user-agent"), "u") << step;
        EXPECT_EQ(d.request.header_count(), 4u) << step;
    }
}

TEST(RequestParser, MethodsAndTargets) {
    struct Case {
        std::string line;
        Method method;
        std::string text, path, query;
    } cases[] = {
        {"GET / HTTP/1.1", Method::get, "GET", "/", ""},
        {"HEAD /healthz HTTP/1.1", Method::head, "HEAD", "/healthz", ""},
        {"PUT /x?y HTTP/1.1", Method::put, "PUT", "/x", "y"},
        {"PATCH /api/auth/profile/ HTTP/1.1", Method::patch, "PATCH", "/api/auth/profile/", ""},
        {"DELETE /api/auth/users/7/reject/ HTTP/1.1", Method::del, "DELETE",
         "/api/auth/users/7/reject/", ""},
        {"OPTIONS /auth/token/ HTTP/1.1", Method::options, "OPTIONS", "/auth/token/", ""},
        {"PROPFIND /dav HTTP/1.1", Method::other, "PROPFIND", "/dav", ""},
        {"GET /a? HTTP/1.1", Method::get, "GET", "/a", ""},
        {"GET /a?b=1?c=2 HTTP/1.1", Method::get, "GET", "/a", "b=1?c=2"},
    };
    for (const auto& c : cases) {
        Driver d;
        d.feed(c.line + "\r\nHost: h\r\n\r\n");
        ASSERT_EQ(d.ready.size(), 1u) << c.line;
        EXPECT_EQ(d.ready[0].method, c.method) << c.line;
        EXPECT_EQ(d.ready[0].method_text, c.text) << c.line;
        EXPECT_EQ(d.ready[0].path, c.path) << c.line;
        EXPECT_EQ(d.ready[0].query, c.query) << c.line;
    }
}

// --- pipelining ---

TEST(RequestParser, PipelinedRequestsStopAfterEach) {
    std::string r1 = "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string r2 = "POST /auth/token/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    std::string r3 = "DELETE /api/auth/users/3/reject/ HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string all = r1 + r2 + r3;

    RequestParser p;
    Request req;
    p.set_request(&req);
    std::string_view rest = all;
    ParseResult a = p.feed(rest);
    ASSERT_EQ(a.event, ParseEvent::request_ready);
    EXPECT_EQ(a.consumed, r1.size());
    EXPECT_EQ(req.path(), "/healthz");
    EXPECT_EQ(req.body(), "");
    rest.remove_prefix(a.consumed);

    ParseResult b = p.feed(rest);
    ASSERT_EQ(b.event, ParseEvent::request_ready);
    EXPECT_EQ(b.consumed, r2.size());
    EXPECT_EQ(req.method, Method::post);
    EXPECT_EQ(req.body(), "hello");
    rest.remove_prefix(b.consumed);

    ParseResult c = p.feed(rest);
    ASSERT_EQ(c.event, ParseEvent::request_ready);
    EXPECT_EQ(c.consumed, r3.size());
    EXPECT_EQ(req.method, Method::del);
    EXPECT_EQ(req.body(), "");  // the reused Request was reset
    EXPECT_EQ(req.header_count(), 1u);
    EXPECT_FALSE(p.in_message());
}

TEST(RequestParser, PipelinedRequestsAcrossArbitrarySplits) {
    std::string r1 = "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string r2 =
        "POST /auth/token/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    std::string all = r1 + r2 + r1;
    for (size_t step : {size_t{1}, size_t{2}, size_t{7}, size_t{50}, all.size()}) {
        Driver d;
        d.feed(all, step);
        ASSERT_EQ(d.error_status, 0) << step;
        ASSERT_EQ(d.ready.size(), 3u) << step;
        EXPECT_EQ(d.ready[0].path, "/healthz");
        EXPECT_EQ(d.ready[1].body, "abc");
        EXPECT_EQ(d.ready[2].path, "/healthz");
        EXPECT_EQ(d.ready[2].body, "");
    }
}

TEST(RequestParser, PartialSecondRequestNeedsMore) {
    std::string r1 = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string r2 = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    RequestParser p;
    Request req;
    p.set_request(&req);
    std::string buf = r1 + r2.substr(0, 10);
    ParseResult a = p.feed(buf);
    ASSERT_EQ(a.event, ParseEvent::request_ready);
    EXPECT_EQ(a.consumed, r1.size());
    ParseResult b = p.feed(std::string_view(buf).substr(a.consumed));
    EXPECT_EQ(b.event, ParseEvent::need_more);
    EXPECT_EQ(b.consumed, 10u);
    EXPECT_TRUE(p.in_message());
    EXPECT_FALSE(p.head_complete());
    ParseResult c = p.feed(std::string_view(r2).substr(10));
    ASSERT_EQ(c.event, ParseEvent::request_ready);
    EXPECT_EQ(req.path(), "/b");
}

// --- bodies ---

TEST(RequestParser, ChunkedBodyWithExtensionsAndTrailers) {
    std::string req =
        "POST /auth/signup/ HTTP/1.1\r\n"
        "Host: h\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5;ext=1\r\nhello\r\n"
        "6;name=\"quoted value\";flag\r\n world\r\n"
        "A\r\n0123456789\r\n"
        "0\r\n"
        "X-Trailer: yes\r\n"
        "\r\n";
    for (size_t step : {size_t{1}, size_t{5}, req.size()}) {
        Driver d;
        d.feed(req, step);
        ASSERT_EQ(d.error_status, 0) << step;
        ASSERT_EQ(d.ready.size(), 1u) << step;
        EXPECT_EQ(d.ready[0].body, "hello world0123456789") << step;
        EXPECT_EQ(d.request.header("content-type"), "application/json") << step;
        if (step == req.size()) {
            EXPECT_EQ(d.consumed.back(), req.size());
        }
    }
}

TEST(RequestParser, ChunkedBodyOverTheLimitIs413) {
    std::string head = "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string chunk = "4000\r\n" + std::string(0x4000, 'a') + "\r\n";  // 16 KiB per chunk
    Driver ok;
    ok.feed(head + chunk + chunk + chunk + chunk + "0\r\n\r\n");  // exactly 64 KiB
    ASSERT_EQ(ok.error_status, 0);
    ASSERT_EQ(ok.ready.size(), 1u);
    EXPECT_EQ(ok.ready[0].body.size(), max_body_bytes);

    Driver big;
    big.feed(head + chunk + chunk + chunk + chunk + "1\r\nb\r\n0\r\n\r\n");
    EXPECT_EQ(big.error_status, 413);
    EXPECT_TRUE(big.ready.empty());
}

TEST(RequestParser, ContentLengthOverTheLimitIs413AtHeadersTime) {
    Driver d;
    d.feed(
        "POST /auth/signup/ HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n");  // no body sent
    EXPECT_EQ(d.error_status, 413);

    Driver exact;
    exact.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n");
    EXPECT_EQ(exact.error_status, 0);
    EXPECT_TRUE(exact.parser.head_complete());
    exact.feed(std::string(65536, 'z'));
    ASSERT_EQ(exact.ready.size(), 1u);
    EXPECT_EQ(exact.ready[0].body.size(), 65536u);

    Driver huge;
    huge.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999\r\n\r\n");
    EXPECT_EQ(huge.error_status, 413);
}

TEST(RequestParser, ZeroContentLengthCompletesAtTheHead) {
    Driver d;
    d.feed("POST /api/auth/logout/ HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    ASSERT_EQ(d.ready.size(), 1u);
    EXPECT_EQ(d.ready[0].body, "");
}

TEST(RequestParser, ConflictingFramingIsRejected) {
    // Request smuggling defences: both framings, or two different lengths.
    Driver both;
    both.feed(
        "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(both.error_status, 400);
    Driver twice;
    twice.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
    EXPECT_EQ(twice.error_status, 400);
    Driver bad_chunk;
    bad_chunk.feed("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    EXPECT_EQ(bad_chunk.error_status, 400);
}

// --- head limits ---

TEST(RequestParser, HeadOver16KiBIs431) {
    Driver fits;
    fits.feed("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(15000, 'v') + "\r\n\r\n");
    EXPECT_EQ(fits.error_status, 0);
    EXPECT_EQ(fits.ready.size(), 1u);

    for (size_t step : {size_t{1}, size_t{1000}, SIZE_MAX}) {
        Driver big_header;
        big_header.feed(
            "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(17000, 'v') + "\r\n\r\n", step);
        EXPECT_EQ(big_header.error_status, 431) << step;
    }
    Driver big_url;
    big_url.feed("GET /" + std::string(17000, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(big_url.error_status, 431);

    // Many medium headers add up: 40 × 500 bytes.
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 40; ++i)
        many += "X-H" + std::to_string(i) + ": " + std::string(500, 'x') + "\r\n";
    Driver sum;
    sum.feed(many + "\r\n", 97);
    EXPECT_EQ(sum.error_status, 431);
}

TEST(RequestParser, MoreThan100HeadersIs431) {
    auto with_headers = [](int n) {
        std::string s = "GET / HTTP/1.1\r\nHost: h\r\n";
        for (int i = 1; i < n; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
        return s + "\r\n";
    };
    Driver hundred;
    hundred.feed(with_headers(100));
    EXPECT_EQ(hundred.error_status, 0);
    ASSERT_EQ(hundred.ready.size(), 1u);
    EXPECT_EQ(hundred.ready[0].header_count, 100u);

    Driver more;
    more.feed(with_headers(101), 1);
    EXPECT_EQ(more.error_status, 431);
}

// --- versions and connection semantics ---

TEST(RequestParser, KeepAliveSemantics) {
    struct Case {
        std::string head;
        bool keep_alive;
        int minor;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, 1},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, 1},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", false, 1},
        {"GET / HTTP/1.0\r\n\r\n", false, 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, 0},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, 0},
        {"POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", true, 0},
        {"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false, 0},
    };
    for (const auto& c : cases) {
        Driver d;
        d.feed(c.head);
        ASSERT_EQ(d.ready.size(), 1u) << c.head;
        EXPECT_EQ(d.ready[0].keep_alive, c.keep_alive) << c.head;
        EXPECT_EQ(d.ready[0].major, 1) << c.head;
        EXPECT_EQ(d.ready[0].minor, c.minor) << c.head;
    }
}

TEST(RequestParser, NothingIsDispatchedAfterARequestThatAskedToClose) {
    // The caller answers the first and closes; pipelined bytes after it never become a request.
    Driver d;
    d.feed(
        "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: "
        "h\r\n\r\n");
    EXPECT_EQ(d.error_status, 0);
    ASSERT_EQ(d.ready.size(), 1u);
    EXPECT_EQ(d.ready[0].path, "/a");
    EXPECT_FALSE(d.ready[0].keep_alive);
}

TEST(RequestParser, ExpectContinueIsReportedUntilTheBodyArrives) {
    RequestParser p;
    Request r;
    p.set_request(&r);
    std::string head =
        "POST /auth/signup/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: "
        "100-continue\r\n\r\n";
    EXPECT_EQ(p.feed(head).event, ParseEvent::need_more);
    EXPECT_TRUE(p.take_continue_request());
    EXPECT_FALSE(p.take_continue_request());  // taken once
    EXPECT_EQ(p.feed("hello").event, ParseEvent::request_ready);
    EXPECT_FALSE(p.take_continue_request());
    EXPECT_EQ(r.body(), "hello");
}

TEST(RequestParser, ExpectContinueIsNotRequestedWhenNotNeeded) {
    auto wants = [](const std::string& bytes) {
        Driver d;
        d.feed(bytes);
        EXPECT_EQ(d.error_status, 0) << bytes;
        return d.continue_requested;
    };
    // The body arrived with the head: nothing to ask for.
    EXPECT_FALSE(
        wants("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok"));
    // No body at all.
    EXPECT_FALSE(
        wants("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"));
    EXPECT_FALSE(wants("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"));
    // HTTP/1.0 has no interim responses.
    EXPECT_FALSE(wants("POST / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
    // Case-insensitive value, chunked body.
    EXPECT_TRUE(
        wants("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: "
              "100-Continue\r\n\r\n"));
}

TEST(RequestParser, ExpectContinueDoesNotLeakIntoAnErrorAnswer) {
    RequestParser p;
    Request r;
    p.set_request(&r);
    ParseResult res = p.feed(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(res.event, ParseEvent::error);
    EXPECT_EQ(res.error_status, 413);
    EXPECT_FALSE(p.take_continue_request());  // 413 is the final answer, no 100 before it
}

// --- malformed input ---

TEST(RequestParser, MalformedRequestsAre400) {
    const char* cases[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
        "GET / FTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\n: no-name\r\n\r\n",
        "GET / HTTP/1.1\r\n:\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Custom : v\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello",
        "GET / HTTP/1.1\nHost: h\n\n",
        "GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS ClientHello on the plain port
        "GET /\x7f HTTP/1.1\r\n\r\n",
    };
    for (const char* c : cases) {
        for (size_t step : {size_t{1}, SIZE_MAX}) {
            Driver d;
            d.feed(c, step);
            EXPECT_EQ(d.error_status, 400) << c << " step " << step;
            EXPECT_TRUE(d.ready.empty()) << c;
        }
    }
}

TEST(RequestParser, OtherHttpVersionsAreRejected) {
    Driver two;
    two.feed("GET / HTTP/2.0\r\nHost: h\r\n\r\n");
    EXPECT_EQ(two.error_status, 505);
    EXPECT_TRUE(two.ready.empty());

    // The HTTP/2 connection preface (prior knowledge): refused, never dispatched.
    for (size_t step : {size_t{1}, SIZE_MAX}) {
        Driver preface;
        preface.feed("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", step);
        EXPECT_NE(preface.error_status, 0) << step;
        EXPECT_TRUE(preface.error_status == 400 || preface.error_status == 505)
            << preface.error_status;
        EXPECT_TRUE(preface.ready.empty()) << step;
    }
}

TEST(RequestParser, AnUpgradeRequestIsServedAsPlainHttpThenStops) {
    // We speak no other protocol: the request itself is answered normally; anything the
    // client sends after it is treated as malformed (the connection is then closed).
    RequestParser p;
    Request r;
    p.set_request(&r);
    ParseResult a = p.feed(
        "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    ASSERT_EQ(a.event, ParseEvent::request_ready);
    EXPECT_EQ(r.path(), "/healthz");
    ParseResult b = p.feed("\x81\x85");
    EXPECT_EQ(b.event, ParseEvent::error);
    EXPECT_EQ(b.error_status, 400);
}

}  // namespace
}  // namespace authd::http
