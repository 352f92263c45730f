// Integration tests of AUTHD_TRUSTED_PROXIES (issue 10, finding 1): behind a trusted proxy
// the per-address login limit counts the forwarded client (X-Forwarded-For, or RFC 7239
// Forwarded), the rightmost entry that is not itself a proxy; from any other peer the
// headers are ignored. The server's peer in these tests is always 127.0.0.1.
#include <string>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {
namespace {

class TrustedProxies : public AuthV1Fixture {
  protected:
    // A failed login (unknown user, a fresh name each time: only the address counter grows)
    // sent with one forwarding header.
    int failed_login(std::string_view header, std::string_view value) {
        std::string body = json_object(
            {{"username", "ghost" + std::to_string(++n_)}, {"password", "Wrong-Password-1"}});
        HttpResponse r = request(
            server_.port(), "POST", "/auth/token/", body,
            {{"Content-Type", "application/json"}, {std::string(header), std::string(value)}});
        return r.status;
    }
    int n_ = 0;
};

const std::map<std::string, std::string> kLimits = {{"AUTHD_LOGIN_IP_MAX_FAILURES", "3"},
                                                    {"AUTHD_LOGIN_MAX_FAILURES", "1000"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> extra) {
    auto env = kLimits;
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

TEST_F(TrustedProxies, BehindAProxyOneClientsFailuresDoNotLockOutOthers) {
    ASSERT_TRUE(start(with({{"AUTHD_TRUSTED_PROXIES", "127.0.0.1/32, ::1"}})));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(failed_login("X-Forwarded-For", "203.0.113.5"), 401);
    EXPECT_EQ(failed_login("X-Forwarded-For", "203.0.113.5"), 429) << "that client is limited";
    EXPECT_EQ(failed_login("X-Forwarded-For", "198.51.100.7"), 401) << "another client is not";
}

TEST_F(TrustedProxies, HeadersFromAnUntrustedPeerAreIgnored) {
    ASSERT_TRUE(start(kLimits));  // no trusted proxies: the peer is the client
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(failed_login("X-Forwarded-For", "203.0.113." + std::to_string(i)), 401);
    EXPECT_EQ(failed_login("X-Forwarded-For", "198.51.100.7"), 429)
        << "a forged X-Forwarded-For must not reset the address limit";
    ASSERT_TRUE(server_.stop() == 0);
    ASSERT_TRUE(start(with({{"AUTHD_TRUSTED_PROXIES", "10.0.0.0/8"}})));  // not our peer
    for (int i = 0; i < 3; ++i) failed_login("X-Forwarded-For", "192.0.2." + std::to_string(i));
    EXPECT_EQ(failed_login("X-Forwarded-For", "192.0.2.77"), 429);
}

TEST_F(TrustedProxies, TheRightmostUntrustedEntryIsTheClient) {
    ASSERT_TRUE(start(with({{"AUTHD_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"}})));
    // The client forges the leftmost entries; our proxies appended the last two.
    for (int i = 0; i < 3; ++i) {
        std::string chain = "9.9.9." + std::to_string(i) + ", 203.0.113.9, 10.1.2.3";
        EXPECT_EQ(failed_login("X-Forwarded-For", chain), 401);
    }
    EXPECT_EQ(failed_login("X-Forwarded-For", "8.8.8.8, 203.0.113.9, 10.1.2.3"), 429);
    EXPECT_EQ(failed_login("X-Forwarded-For", "203.0.113.10, 10.1.2.3"), 401);
}

TEST_F(TrustedProxies, Rfc7239ForwardedWithIpv6) {
    ASSERT_TRUE(start(with({{"AUTHD_TRUSTED_PROXIES", "127.0.0.1, 2001:db8:ffff::/48"},
                            {"AUTHD_FORWARDED_HEADER", "Forwarded"}})));
    const std::string chain =
        "for=192.0.2.60;proto=https, for=\"[2001:db8:cafe::17]:4711\", for=\"[2001:db8:ffff::5]\"";
    for (int i = 0; i < 3; ++i) EXPECT_EQ(failed_login("Forwarded", chain), 401);
    EXPECT_EQ(failed_login("Forwarded", chain), 429) << "client 2001:db8:cafe::17";
    EXPECT_EQ(failed_login("Forwarded", "for=192.0.2.60, for=\"[2001:db8:ffff::5]\""), 401)
        << "client 192.0.2.60";
    EXPECT_EQ(failed_login("X-Forwarded-For", "192.0.2.99"), 401)
        << "X-Forwarded-For is not read when Forwarded is configured: the peer counts";
}

TEST_F(TrustedProxies, BadSettingRefusesToStart) {
    CommandResult r = run_authd(
        {"serve"}, {{"AUTHD_TRUSTED_PROXIES", "10.0.0.0/33"}, {"AUTHD_SECRET_KEY", kSecretKey}});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, -1);
    EXPECT_TRUE(icontains(r.err, "AUTHD_TRUSTED_PROXIES")) << r.err;
}

}  // namespace
}  // namespace authd::test::v1
