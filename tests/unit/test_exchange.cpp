// The HTTP exchange without sockets: pipelining order with async handlers, HEAD/OPTIONS/
// 404/405 answers, CORS, 100-continue, half-close, and the per-connection memory bounds.
#include <gtest/gtest.h>

#include "tests/unit/exchange_driver.hpp"

namespace authd::http::testing_exchange {
namespace {

constexpr std::string_view get_health = "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";

TEST(Exchange, PipelinedAsyncAndSyncAnswersKeepRequestOrder) {
    ExchangeDriver d;
    std::string out = d.run(
        "GET /async/1/ HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /async/2/ HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(out, "");  // the first answer is not ready: nothing may overtake it
    EXPECT_TRUE(d.exchange().handler_running());
    d.release_async();
    EXPECT_EQ(d.notifications, 1);
    out = d.drain();
    d.release_async();
    out += d.drain();
    auto rs = split_answers(out);
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].body, R"({"detail":"async 1"})");
    EXPECT_EQ(rs[1].body, R"({"status":"ok"})");
    EXPECT_EQ(rs[2].body, R"({"detail":"async 2"})");
}

TEST(Exchange, HeadNeverCarriesABodyOnAnyAnswer) {
    ExchangeDriver d;
    for (std::string_view target : {"/healthz", "/nope", "/echo/", "/async/3/"}) {
        std::string req = "HEAD " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
        d.feed(req);
        d.release_async();
        std::string out = d.drain();
        auto rs = split_answers(out, {true});
        ASSERT_EQ(rs.size(), 1u) << target;
        size_t head_end = out.find("\r\n\r\n");
        EXPECT_EQ(head_end + 4, out.size()) << target << ": bytes after the head";
    }
    auto rs = split_answers(d.run(get_health));
    ASSERT_EQ(rs.size(), 1u);  // the connection is still in step
    EXPECT_EQ(rs[0].body, R"({"status":"ok"})");
}

TEST(Exchange, HeadOfAnErrorAnswerHasNoBody) {
    ExchangeDriver d;
    std::string out = d.run("HEAD / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400 "));
    EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(Exchange, OptionsAnd405CarryAllow) {
    ExchangeDriver d;
    auto rs =
        split_answers(d.run("OPTIONS /echo/ HTTP/1.1\r\nHost: h\r\n\r\n"
                            "PUT /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[0].header("Allow"), "POST, OPTIONS");
    EXPECT_EQ(rs[1].status, 405);
    EXPECT_EQ(rs[1].body, R"({"detail":"Method \"PUT\" not allowed."})");
}

TEST(Exchange, CorsPreflightAndExactOrigin) {
    ExchangeDriver d({"https://app.example"});
    auto rs = split_answers(
        d.run("OPTIONS /echo/ HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\n"
              "Access-Control-Request-Method: POST\r\n\r\n"
              "GET /healthz HTTP/1.1\r\nHost: h\r\nOrigin: https://evil.example\r\n\r\n"));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].status, 204);
    EXPECT_EQ(rs[0].header("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_EQ(rs[1].header("Access-Control-Allow-Origin"), "<absent>");
    EXPECT_EQ(rs[1].header("Vary"), "Origin");
}

TEST(Exchange, ExpectContinueBeforeTheBody) {
    ExchangeDriver d;
    EXPECT_EQ(d.run("POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                    "Expect: 100-continue\r\n\r\n"),
              "HTTP/1.1 100 Continue\r\n\r\n");
    auto rs = split_answers(d.run("ok"));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].body, "len=2 body=ok auth=");
}

TEST(Exchange, HalfCloseAnswersCompleteRequestsThenFinishes) {
    ExchangeDriver d;
    d.feed(
        "GET /async/1/ HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /he");
    d.exchange().end_of_input();
    EXPECT_FALSE(d.exchange().finished());
    d.release_async();
    auto rs = split_answers(d.drain());
    EXPECT_EQ(rs.size(), 2u);
    EXPECT_TRUE(d.exchange().finished());
}

TEST(Exchange, UnreadOutputStopsParsingAtTheBound) {
    // A client that pipelines and never reads: output stays near output_limit, the rest
    // of its requests wait (bounded) and the owner is told to stop reading.
    ExchangeDriver d;
    std::string req = "GET /big/ HTTP/1.1\r\nHost: h\r\n\r\n";
    size_t fed = 0;
    while (d.exchange().wants_input() && fed < 10000) {
        d.feed(req);
        ++fed;
    }
    EXPECT_LT(fed, 10000u);
    EXPECT_LE(d.exchange().unsent(), output_limit + 20000 + 512);
    EXPECT_TRUE(d.exchange().output_blocked());
    // Reading the answers lets the waiting requests through, in order, all of them.
    size_t answers = split_answers(d.drain()).size();
    EXPECT_EQ(answers, fed);
}

TEST(Exchange, InputFloodWhileBlockedIsBoundedAndCloses) {
    ExchangeDriver d;
    std::string req = "GET /big/ HTTP/1.1\r\nHost: h\r\n\r\n";
    for (int i = 0; i < 20000; ++i) d.feed(req);  // an owner that ignores wants_input()
    EXPECT_TRUE(d.exchange().refused_input());
    d.drain();
    EXPECT_TRUE(d.exchange().finished());
}

TEST(Exchange, PartialSendsKeepBytesStable) {
    ExchangeDriver d;
    d.feed(get_health);
    std::string_view first = d.exchange().next_send();
    std::string copy(first);
    d.exchange().sent(5);
    d.feed(get_health);  // new output while a send is in flight must not move its bytes
    std::string rest(d.exchange().next_send());
    EXPECT_EQ(copy.substr(5), rest);
    d.exchange().sent(rest.size());
    auto rs = split_answers(copy + d.drain());
    EXPECT_EQ(rs.size(), 2u);
}

TEST(Exchange, ByteByByteEqualsOneWrite) {
    std::string reqs =
        "POST /echo/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\n\r\nGET /path/?a=b HTTP/1.1\r\nHost: h\r\n\r\n";
    ExchangeDriver whole, bytes;
    std::string a = whole.run(reqs), b;
    for (char ch : reqs) b += bytes.run(std::string_view(&ch, 1));
    auto ra = split_answers(a), rb = split_answers(b);
    ASSERT_EQ(ra.size(), 2u);
    ASSERT_EQ(rb.size(), 2u);
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(ra[i].body, rb[i].body);
    EXPECT_EQ(ra[1].body, "/path/?a=b");
}

}  // namespace
}  // namespace authd::http::testing_exchange
