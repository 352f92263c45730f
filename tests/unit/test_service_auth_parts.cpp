// Unit tests of the pieces behind forward-auth and the OAuth endpoints: the router's
// <path:> converter, cookie and query readers, and service-client authentication.
#include <gtest/gtest.h>

#include "auth/forward_auth.hpp"
#include "auth/service_clients.hpp"
#include "http/router.hpp"

namespace authd {
namespace {

void ok(http::Request&, http::Response&) {}

TEST(RouterPathConverter, MatchesEverythingBelowThePrefix) {
    http::Router r;
    ASSERT_TRUE(r.add(http::Method::get, "/auth/forward/", ok));
    ASSERT_TRUE(r.add(http::Method::get, "/auth/forward/<path:rest>/", ok));
    EXPECT_FALSE(r.add(http::Method::get, "/x/<path:rest>/y/", ok));  // the last segment only
    EXPECT_NE(r.match(http::Method::get, "/auth/forward").route, nullptr);
    EXPECT_NE(r.match(http::Method::get, "/auth/forward/").route, nullptr);
    auto m = r.match(http::Method::get, "/auth/forward/api/v1/orders/");
    ASSERT_NE(m.route, nullptr);
    ASSERT_EQ(m.param_count, 1u);
    EXPECT_EQ(m.params[0], "api/v1/orders");
    EXPECT_EQ(r.match(http::Method::get, "/auth/forwarded").route, nullptr);
    EXPECT_EQ(r.match(http::Method::get, "/auth").route, nullptr);
    EXPECT_EQ(r.match(http::Method::post, "/auth/forward/x").handler.sync, nullptr);  // 405
}

TEST(ForwardHelpers, CookieValue) {
    using auth::cookie_value;
    EXPECT_EQ(cookie_value("a=1; sess=tok; b=2", "sess"), "tok");
    EXPECT_EQ(cookie_value("sess=tok", "sess"), "tok");
    EXPECT_EQ(cookie_value("xsess=no; sess=\"q\"", "sess"), "q");
    EXPECT_EQ(cookie_value("sessx=no", "sess"), "");
    EXPECT_EQ(cookie_value("", "sess"), "");
    EXPECT_EQ(cookie_value("sess", "sess"), "");
}

TEST(ForwardHelpers, EveryQueryValue) {
    std::string_view q = "x=1&role=AGENT&roles=no&role&role=CLIENT", v;
    ASSERT_TRUE(auth::next_query_value(q, "role", v));
    EXPECT_EQ(v, "AGENT");
    ASSERT_TRUE(auth::next_query_value(q, "role", v));
    EXPECT_EQ(v, "");
    ASSERT_TRUE(auth::next_query_value(q, "role", v));
    EXPECT_EQ(v, "CLIENT");
    EXPECT_FALSE(auth::next_query_value(q, "role", v));
}

TEST(ServiceClients, ParsesAndRefusesBadLists) {
    auth::ServiceClients c;
    EXPECT_FALSE(c.add_spec(" a:0123456789abcdef , b:fedcba9876543210xx\n"));
    EXPECT_EQ(c.size(), 2u);
    auto short_secret = c.add_spec("c:0123456789abcde");
    ASSERT_TRUE(short_secret);
    EXPECT_EQ(short_secret->find("0123456789abcde"), std::string::npos) << "secret in message";
    EXPECT_TRUE(c.add_spec("a:0123456789abcdefgh"));  // listed twice
    EXPECT_TRUE(c.add_spec("nosecret"));
    EXPECT_TRUE(c.add_spec(":0123456789abcdefgh"));
    EXPECT_FALSE(c.add_spec(""));
}

TEST(ServiceClients, AuthenticatesHttpBasic) {
    auth::ServiceClients c;
    ASSERT_FALSE(c.add_spec("gw:0123456789abcdef"));
    // base64("gw:0123456789abcdef")
    EXPECT_EQ(c.authenticate("Basic Z3c6MDEyMzQ1Njc4OWFiY2RlZg=="), "gw");
    EXPECT_EQ(c.authenticate("basic Z3c6MDEyMzQ1Njc4OWFiY2RlZg=="), "gw");
    EXPECT_FALSE(c.authenticate("Basic Z3c6MDEyMzQ1Njc4OWFiY2RlZw=="));  // ...abcdeg
    EXPECT_FALSE(c.authenticate("Basic eHg6MDEyMzQ1Njc4OWFiY2RlZg=="));  // xx:<right secret>
    EXPECT_FALSE(c.authenticate("Bearer Z3c6MDEyMzQ1Njc4OWFiY2RlZg=="));
    EXPECT_FALSE(c.authenticate("Basic not*base64"));
    EXPECT_FALSE(c.authenticate("Basic Z3c="));  // no colon
    EXPECT_FALSE(c.authenticate("Basic " + std::string(5000, 'A')));
    EXPECT_FALSE(c.authenticate(""));
    auth::ServiceClients none;
    EXPECT_FALSE(none.authenticate("Basic Z3c6MDEyMzQ1Njc4OWFiY2RlZg=="));
}

}  // namespace
}  // namespace authd
