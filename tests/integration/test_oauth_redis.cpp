// Revocation through /oauth/revoke across two instances sharing one Redis, and the answers
// when that Redis is gone: 503 + Retry-After where the store must decide, memory elsewhere.
#include <string>

#include "tests/integration/redis_test_support.hpp"
#include "tests/integration/service_auth_support.hpp"

namespace authd::test {
namespace {

std::map<std::string, std::string> redis_env(const RedisServer& redis) {
    auto e = instance_env(redis.url(), "", "root", kServiceRootPassword);
    e["AUTHD_SERVICE_CLIENTS"] = std::string("gateway:") + kServiceClientSecret;
    return e;
}

HttpResponse call_oauth(int port, std::string_view path, std::string_view token) {
    return request(port, "POST", path, "token=" + std::string(token),
                   {{"Authorization", basic("gateway", kServiceClientSecret)},
                    {"Content-Type", "application/x-www-form-urlencoded"}});
}

int forward_status(int port, std::string_view token) {
    return request(port, "GET", "/auth/forward/", {},
                   {{"Authorization", "Bearer " + std::string(token)}})
        .status;
}

TEST(OAuthRedis, RevokeOnOneInstanceDeniesOnTheOther) {
    RedisServer redis;
    ASSERT_TRUE(redis.start());
    ServerProcess a, b;
    ASSERT_TRUE(a.start(redis_env(redis)));
    ASSERT_TRUE(b.start(redis_env(redis)));
    ApiClient api(a.port());
    auto root = api.login("root", kServiceRootPassword);
    ASSERT_TRUE(root) << api.last_failure().body;
    Account client = api.active_client("oar_two", root->access);
    ASSERT_TRUE(time_until([&] { return forward_status(b.port(), client.tokens.access) == 200; }));
    ASSERT_EQ(call_oauth(a.port(), "/oauth/revoke", client.tokens.refresh).status, 200);
    EXPECT_EQ(forward_status(a.port(), client.tokens.access), 401);  // this instance: at once
    auto took = time_until([&] { return forward_status(b.port(), client.tokens.access) == 401; },
                           Millis(2000));
    ASSERT_TRUE(took) << "the other instance still accepts the revoked session";
    EXPECT_EQ(call_oauth(b.port(), "/oauth/introspect", client.tokens.access).body,
              "{\"active\":false}");
}

TEST(OAuthRedis, StoreDownMeans503WhereTheStoreDecides) {
    RedisServer redis;
    ASSERT_TRUE(redis.start());
    ServerProcess s;
    ASSERT_TRUE(s.start(redis_env(redis)));
    ApiClient api(s.port());
    auto root = api.login("root", kServiceRootPassword);
    ASSERT_TRUE(root) << api.last_failure().body;
    Account client = api.active_client("oar_down", root->access);
    ASSERT_EQ(redis.stop(), 0);

    HttpResponse revoke = call_oauth(s.port(), "/oauth/revoke", client.tokens.access);
    EXPECT_EQ(revoke.status, 503) << revoke.body;
    EXPECT_FALSE(revoke.header("Retry-After").empty());
    HttpResponse refresh = call_oauth(s.port(), "/oauth/introspect", client.tokens.refresh);
    EXPECT_EQ(refresh.status, 503) << refresh.body;
    // Decided in memory: still answered, and the failed revocation changed nothing.
    EXPECT_TRUE(
        json_bool(call_oauth(s.port(), "/oauth/introspect", client.tokens.access).body, "active"));
    EXPECT_EQ(forward_status(s.port(), client.tokens.access), 200);
    EXPECT_EQ(call_oauth(s.port(), "/oauth/revoke", "junk").status, 200);
}

}  // namespace
}  // namespace authd::test
