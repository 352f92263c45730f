// AUTHD_LEGACY_SIMPLEJWT_KEY: tokens made by PyJWT in SimpleJWT's format for imported users
// validate until they expire, a legacy refresh token is exchanged once, revocations kill them.
#include "tests/integration/django_migration_support.hpp"

namespace authd::test::v1 {
namespace {

class LegacyTokens : public DjangoMigrationFixture {
  protected:
    HttpResponse refresh_v2(std::string_view token) const {
        return post_json("/api/auth/token/refresh/",
                         json_object({{"refresh", std::string(token)}}));
    }
};

TEST_F(LegacyTokens, AccessTokensOfImportedUsersValidateUntilTheyExpire) {
    CommandResult r = import_and_start(django_dump(), {{"AUTHD_LEGACY_SIMPLEJWT_KEY", kDjangoKey}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string access = simplejwt(kDjangoKey, 2, "access", 300);
    HttpResponse v = validate(access);
    ASSERT_EQ(v.status, 200) << v.body << " token " << access;
    EXPECT_EQ(json_int(v.body, "user_id"), 2);
    EXPECT_EQ(json_string(v.body, "username"), "bob");
    EXPECT_EQ(json_string(v.body, "role"), "AGENT");
    HttpResponse me = get("/api/auth/profile/", {{"Authorization", "Bearer " + access}});
    EXPECT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(json_string(me.body, "username"), "bob");
    HttpResponse users = get("/api/auth/users/", {{"Authorization", "Bearer " + access}});
    EXPECT_EQ(users.status, 200) << "an agent's legacy token carries the agent's role";

    EXPECT_FALSE(token_valid(simplejwt(kDjangoKey, 2, "access", -5))) << "expired";
    EXPECT_FALSE(token_valid(simplejwt("another-django-key-entirely", 2, "access", 300)));
    EXPECT_FALSE(token_valid(simplejwt(kDjangoKey, 2, "refresh", 300))) << "wrong type";
    EXPECT_FALSE(token_valid(simplejwt(kDjangoKey, 999, "access", 300))) << "not imported";
    HttpResponse signed_up = signup("native", "native@example.com");
    ASSERT_EQ(signed_up.status, 201);
    EXPECT_FALSE(token_valid(simplejwt(kDjangoKey, json_int(signed_up.body, "id"), "access", 300)))
        << "users authd created never take legacy tokens";
}

TEST_F(LegacyTokens, RefreshTokenIsExchangedOnceOnEitherPath) {
    ASSERT_EQ(
        import_and_start(django_dump(), {{"AUTHD_LEGACY_SIMPLEJWT_KEY", kDjangoKey}}).exit_code, 0);
    std::string old_refresh = simplejwt(kDjangoKey, 1, "refresh", 3600);
    HttpResponse first = refresh(old_refresh);
    ASSERT_EQ(first.status, 200) << first.body;
    std::string access = json_string(first.body, "access");
    HttpResponse v = validate(access);
    EXPECT_EQ(json_string(v.body, "username"), "alice") << v.body;
    EXPECT_EQ(refresh(old_refresh).status, 401) << "a second use is refused";
    EXPECT_EQ(refresh_v2(old_refresh).status, 401) << "on the other path too";
    EXPECT_EQ(refresh(json_string(first.body, "refresh")).status, 200) << "the new pair rotates";

    std::string other = simplejwt(kDjangoKey, 5, "refresh", 3600);
    HttpResponse v2 = refresh_v2(other);
    ASSERT_EQ(v2.status, 200) << v2.body;
    EXPECT_TRUE(token_valid(json_string(v2.body, "access")));
    EXPECT_EQ(refresh(other).status, 401);
    ASSERT_TRUE(server_.restart());
    EXPECT_EQ(refresh_v2(other).status, 401) << "the use is recorded in the store";
}

TEST_F(LegacyTokens, RevokingAUserKillsTheirLegacyTokens) {
    ASSERT_EQ(
        import_and_start(django_dump(), {{"AUTHD_LEGACY_SIMPLEJWT_KEY", kDjangoKey}}).exit_code, 0);
    std::string access = simplejwt(kDjangoKey, 6, "access", 300);
    std::string old_refresh = simplejwt(kDjangoKey, 6, "refresh", 3600);
    ASSERT_TRUE(token_valid(access));
    auto frank = tokens("frank", "Frank-pw-6");  // upgrades the hash: no revocation
    ASSERT_TRUE(frank);
    EXPECT_TRUE(token_valid(access)) << "the hash upgrade revokes nothing";
    HttpResponse changed = post_json("/api/auth/password/reset/",
                                     json_object({{"old_password", "Frank-pw-6"},
                                                  {"new_password", "Brand-New-Frank-9"},
                                                  {"confirm_password", "Brand-New-Frank-9"}}),
                                     {{"Authorization", "Bearer " + frank->access}});
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_FALSE(token_valid(access)) << "a password change kills legacy access tokens";
    EXPECT_EQ(refresh(old_refresh).status, 401) << "and legacy refresh tokens";
    ASSERT_TRUE(server_.restart());
    EXPECT_FALSE(token_valid(access)) << "also after a restart";
}

TEST_F(LegacyTokens, WithoutTheSettingLegacyTokensAreRefused) {
    ASSERT_EQ(import_and_start(django_dump()).exit_code, 0);
    EXPECT_FALSE(token_valid(simplejwt(kDjangoKey, 1, "access", 300)));
    EXPECT_EQ(refresh(simplejwt(kDjangoKey, 1, "refresh", 3600)).status, 401);
}

}  // namespace
}  // namespace authd::test::v1
