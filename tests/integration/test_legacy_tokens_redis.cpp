// Legacy SimpleJWT tokens on Redis with servers running: users imported while two instances
// run take their Django tokens on both without a restart, a revocation on one kills them on
// both, and a legacy refresh exchange the store cannot record answers 503, not 401.
#include <unistd.h>

#include "tests/integration/django_migration_support.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace authd::test {
namespace {

using v1::django_dump;
using v1::json_object;
using v1::kDjangoKey;
using v1::run_authd;
using v1::simplejwt;

class LegacyTokensRedis : public ::testing::Test {
  protected:
    void SetUp() override {
        if (access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/redis-server";
        ASSERT_TRUE(redis_.start());
    }
    std::map<std::string, std::string> env() const {
        return {{"AUTHD_STORE", redis_.url()},
                {"AUTHD_LEGACY_SIMPLEJWT_KEY", kDjangoKey},
                {"AUTHD_ARGON2_OPS", "1"},
                {"AUTHD_ARGON2_MEMORY_KIB", "1024"}};
    }
    v1::CommandResult import_dump() const {
        return run_authd({"import-django", django_dump()}, {{"AUTHD_STORE", redis_.url()}});
    }
    static bool valid_on(const ServerProcess& s, const std::string& token) {
        HttpResponse r =
            request(s.port(), "POST", "/auth/validate_token/", json_object({{"token", token}}));
        return r.status == 200 && json_bool(r.body, "valid");
    }
    static HttpResponse refresh_on(const ServerProcess& s, const std::string& token) {
        return request(s.port(), "POST", "/auth/token/refresh/", json_object({{"refresh", token}}));
    }

    RedisServer redis_;
    ServerProcess a_, b_;
};

TEST_F(LegacyTokensRedis, UsersImportedWhileInstancesRunTakeTheirTokensOnBoth) {
    ASSERT_TRUE(a_.start(env()));
    ASSERT_TRUE(b_.start(env()));
    std::string bob = simplejwt(kDjangoKey, 2, "access", 300);
    EXPECT_FALSE(valid_on(a_, bob)) << "not imported yet";
    v1::CommandResult r = import_dump();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The import's change feed reaches both instances (bounded wait, no timing asserted).
    auto on_a = time_until([&] { return valid_on(a_, bob); }, Millis(5000));
    auto on_b = time_until([&] { return valid_on(b_, bob); }, Millis(5000));
    ASSERT_TRUE(on_a) << "legacy token of a user imported after start, instance A";
    ASSERT_TRUE(on_b) << "and instance B";
    std::printf("[ redis ] imported user's legacy token valid on A after %.1f ms, B %.1f ms\n",
                *on_a, *on_b);
    HttpResponse v =
        request(b_.port(), "POST", "/auth/validate_token/", json_object({{"token", bob}}));
    EXPECT_EQ(json_string(v.body, "username"), "bob") << v.body;
    EXPECT_EQ(json_string(v.body, "role"), "AGENT") << v.body;

    // Frank changes his password on A: his legacy tokens die on both.
    std::string frank = simplejwt(kDjangoKey, 6, "access", 300);
    std::string frank_refresh = simplejwt(kDjangoKey, 6, "refresh", 3600);
    ASSERT_TRUE(time_until([&] { return valid_on(b_, frank); }, Millis(5000)));
    HttpResponse login = request(a_.port(), "POST", "/auth/token/",
                                 json_object({{"username", "frank"}, {"password", "Frank-pw-6"}}));
    ASSERT_EQ(login.status, 200) << login.body;
    HttpResponse changed =
        request(a_.port(), "POST", "/api/auth/password/reset/",
                json_object({{"old_password", "Frank-pw-6"},
                             {"new_password", "Brand-New-Frank-9"},
                             {"confirm_password", "Brand-New-Frank-9"}}),
                {{"Authorization", "Bearer " + json_string(login.body, "access")}});
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_FALSE(valid_on(a_, frank)) << "revoked on the instance that revoked";
    EXPECT_TRUE(time_until([&] { return !valid_on(b_, frank); }, Millis(5000)))
        << "and on the other one";
    EXPECT_EQ(refresh_on(b_, frank_refresh).status, 401);
    EXPECT_TRUE(valid_on(a_, bob)) << "other users keep theirs";
}

TEST_F(LegacyTokensRedis, ExchangeTheStoreCannotRecordIsUnavailableNotRefused) {
    ASSERT_TRUE(a_.start(env()));
    ASSERT_EQ(import_dump().exit_code, 0);
    ASSERT_TRUE(a_.restart());  // this test is about the exchange, not the live import
    std::string old_refresh = simplejwt(kDjangoKey, 1, "refresh", 3600);
    std::string alice = simplejwt(kDjangoKey, 1, "access", 300);
    ASSERT_TRUE(time_until([&] { return valid_on(a_, alice); }, Millis(5000)));
    // Redis answers reads but refuses writes (NOREPLICAS): the user is found, the session
    // that records the one use cannot be written.
    ASSERT_EQ(redis_.command({"CONFIG", "SET", "min-replicas-to-write", "1"}), "OK");
    HttpResponse down = refresh_on(a_, old_refresh);
    EXPECT_EQ(down.status, 503) << down.body;
    ASSERT_EQ(redis_.command({"CONFIG", "SET", "min-replicas-to-write", "0"}), "OK");
    HttpResponse up = refresh_on(a_, old_refresh);
    EXPECT_EQ(up.status, 200) << "the failed attempt did not use the token up: " << up.body;
    EXPECT_EQ(refresh_on(a_, old_refresh).status, 401) << "once only";
    // Redis stopped outright: 503 as well.
    std::string other = simplejwt(kDjangoKey, 5, "refresh", 3600);
    redis_.stop();
    EXPECT_EQ(refresh_on(a_, other).status, 503);
}

}  // namespace
}  // namespace authd::test
