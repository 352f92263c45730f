// RFC 9112 framing on the Exchange: each ambiguous or malformed head is one 400 and the end
// of the connection (never a second answer); trailers, Upgrade and absolute-form are benign.
#include <gtest/gtest.h>

#include "tests/unit/exchange_driver.hpp"

namespace authd::http::testing_exchange {
namespace {

using namespace std::string_literals;

struct Smuggle {
    const char* name;
    std::string bytes;
};

// Each is followed by a valid request that must never be answered.
std::vector<Smuggle> smuggling_table() {
    return {
        {"missing Host", "GET /healthz HTTP/1.1\r\n\r\n"},
        {"two Hosts", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        {"obs-fold", "GET /healthz HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n"},
        {"bare LF", "GET /healthz HTTP/1.1\nHost: h\n\n"},
        {"bare LF in a header", "GET /healthz HTTP/1.1\r\nHost: h\nX: y\r\n\r\n"},
        {"space before colon", "GET /healthz HTTP/1.1\r\nHost : h\r\n\r\n"},
        {"NUL in a value", "GET /healthz HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"s},
        {"CTL in a value",
         "GET /healthz HTTP/1.1\r\nHost: h\r\nX: a\x01"
         "b\r\n\r\n"},
        {"DEL in a value",
         "GET /healthz HTTP/1.1\r\nHost: h\r\nX: a\x7f"
         "b\r\n\r\n"},
        {"CL and TE",
         "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"two CLs",
         "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
         "Content-Length: 4\r\n\r\nabcd"},
        {"CL list", "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc"},
        {"TE not chunked last",
         "POST /echo/ HTTP/1.1\r\nHost: h\r\n"
         "Transfer-Encoding: chunked, gzip\r\n\r\n"},
        {"TE identity", "POST /echo/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n"},
        {"bad chunk size",
         "POST /echo/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "zz\r\nabc\r\n0\r\n\r\n"},
        {"negative CL", "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"},
        {"space in method", "G ET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"},
        {"CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"},
    };
}

TEST(HttpFraming, EachSmugglingAttemptIsOne400AndTheEnd) {
    for (const Smuggle& s : smuggling_table()) {
        ExchangeDriver d;
        std::string out = d.run(s.bytes + "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
        auto rs = split_answers(out);
        ASSERT_EQ(rs.size(), 1u) << s.name << ": " << out;
        EXPECT_EQ(rs[0].status, 400) << s.name;
        EXPECT_EQ(rs[0].header("Connection"), "close") << s.name;
        EXPECT_TRUE(d.exchange().finished()) << s.name;
        EXPECT_TRUE(d.exchange().refused_input()) << s.name;
    }
}

TEST(HttpFraming, TrailersAreDroppedNotMergedIntoHeaders) {
    ExchangeDriver d;
    auto rs =
        split_answers(d.run("POST /echo/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "2\r\nhi\r\n0\r\nAuthorization: Bearer smuggled\r\n\r\n"));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].body, "len=2 body=hi auth=");
}

TEST(HttpFraming, UpgradeIsIgnoredAndTheConnectionStaysUsable) {
    ExchangeDriver d;
    auto rs = split_answers(d.run(
        "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[1].status, 200);
}

TEST(HttpFraming, AbsoluteFormIsServedByItsPath) {
    ExchangeDriver d;
    auto rs =
        split_answers(d.run("GET http://h/path/?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
                            "GET HTTPS://h:8/healthz HTTP/1.1\r\nHost: h\r\n\r\n"));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].body, "/path/?x=1");
    EXPECT_EQ(rs[1].status, 200);
}

TEST(HttpFraming, Http10WithoutHostIsServed) {
    ExchangeDriver d;
    auto rs = split_answers(d.run("GET /healthz HTTP/1.0\r\n\r\n"));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
}

TEST(HttpFraming, TabInAValueIsAllowed) {
    ExchangeDriver d;
    auto rs = split_answers(d.run("GET /healthz HTTP/1.1\r\nHost: h\r\nX: a\tb\r\n\r\n"));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].status, 200);
}

}  // namespace
}  // namespace authd::http::testing_exchange
