// RFC 7662 introspection and RFC 7009 revocation on the real binary: client authentication,
// the exact inactive answer, refresh tokens (current vs rotated), revocation everywhere,
// and the start-up checks of AUTHD_SERVICE_CLIENTS(_FILE).
#include <fstream>
#include <string>

#include "tests/integration/service_auth_support.hpp"

namespace authd::test {
namespace {

class OAuthEndpoints : public ServiceAuthSuite {};

TEST_F(OAuthEndpoints, IntrospectActiveAccessToken) {
    ApiClient c = api();
    Account client = c.active_client("oa_active", root_token());
    HttpResponse r = oauth("/oauth/introspect", client.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_TRUE(json_bool(r.body, "active"));
    EXPECT_EQ(json_string(r.body, "token_type"), "access");
    EXPECT_EQ(json_string(r.body, "username"), client.username);
    EXPECT_EQ(json_int(r.body, "user_id"), client.id);
    EXPECT_EQ(json_string(r.body, "sub"), std::to_string(client.id));
    EXPECT_EQ(json_string(r.body, "role"), "CLIENT");
    EXPECT_GT(json_int(r.body, "exp"), json_int(r.body, "iat"));
    EXPECT_EQ(json_string(r.body, "jti").size(), 32u);
    // The second client works too, and the trailing slash is optional.
    HttpResponse other =
        oauth("/oauth/introspect/", client.tokens.access, basic("billing", "another-secret-of-20"));
    EXPECT_TRUE(json_bool(other.body, "active")) << other.body;
}

TEST_F(OAuthEndpoints, AnythingElseIsExactlyInactive) {
    ApiClient c = api();
    Account client = c.active_client("oa_inactive", root_token());
    std::string tampered = client.tokens.access;
    tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'x' ? 'y' : 'x';
    for (const std::string& t : {std::string("junk"), tampered}) {
        HttpResponse r = oauth("/oauth/introspect", t);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "{\"active\":false}");
    }
    ASSERT_EQ(c.post("/api/auth/logout/", "{}", client.tokens.access).status, 200);
    EXPECT_EQ(oauth("/oauth/introspect", client.tokens.access).body, "{\"active\":false}");
    EXPECT_EQ(oauth("/oauth/introspect", client.tokens.refresh).body, "{\"active\":false}");
}

TEST_F(OAuthEndpoints, RefreshTokenActiveUntilRotated) {
    ApiClient c = api();
    Account client = c.active_client("oa_refresh", root_token());
    HttpResponse r = oauth("/oauth/introspect", client.tokens.refresh);
    EXPECT_TRUE(json_bool(r.body, "active")) << r.body;
    EXPECT_EQ(json_string(r.body, "token_type"), "refresh");
    HttpResponse rotated =
        c.post("/api/auth/token/refresh/", "{\"refresh\":\"" + client.tokens.refresh + "\"}");
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    EXPECT_EQ(oauth("/oauth/introspect", client.tokens.refresh).body, "{\"active\":false}");
    std::string next = json_string(rotated.body, "refresh");
    EXPECT_TRUE(json_bool(oauth("/oauth/introspect", next).body, "active"));
    // Introspecting the spent token did not count as a reuse: the session still works.
    EXPECT_TRUE(c.token_valid(json_string(rotated.body, "access")));
}

TEST_F(OAuthEndpoints, ClientCredentialsAreRequired) {
    ApiClient c = api();
    Account client = c.active_client("oa_cred", root_token());
    for (std::string auth :
         {std::string("Basic ") + base64("gateway:wrong-secret-000000"),
          basic("nobody", kServiceClientSecret), basic("billing", kServiceClientSecret),
          std::string("Basic !!!"), "Bearer " + client.tokens.access}) {
        for (const char* path : {"/oauth/introspect", "/oauth/revoke"}) {
            HttpResponse r = oauth(path, client.tokens.access, auth);
            EXPECT_EQ(r.status, 401) << path << " " << auth;
            EXPECT_EQ(r.body, "{\"error\":\"invalid_client\"}");
            EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"authd\"");
        }
    }
    HttpResponse none =
        send("POST", "/oauth/introspect", {{"Content-Type", "application/x-www-form-urlencoded"}},
             "token=" + client.tokens.access);
    EXPECT_EQ(none.status, 401);
    EXPECT_TRUE(c.token_valid(client.tokens.access));  // nothing was revoked
    HttpResponse missing = send("POST", "/oauth/introspect",
                                {{"Authorization", basic("gateway", kServiceClientSecret)},
                                 {"Content-Type", "application/x-www-form-urlencoded"}},
                                "token_type_hint=access_token");
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(json_string(missing.body, "error"), "invalid_request");
    EXPECT_EQ(send("GET", "/oauth/introspect").status, 405);
}

TEST_F(OAuthEndpoints, RevokeEndsTheWholeSession) {
    ApiClient c = api();
    Account by_access = c.active_client("oa_rev_a", root_token());
    HttpResponse r = oauth("/oauth/revoke", by_access.tokens.access);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(c.token_valid(by_access.tokens.access));
    EXPECT_EQ(forward(by_access.tokens.access).status, 401);
    HttpResponse refresh =
        c.post("/api/auth/token/refresh/", "{\"refresh\":\"" + by_access.tokens.refresh + "\"}");
    EXPECT_EQ(refresh.status, 401);

    Account by_refresh = c.active_client("oa_rev_r", root_token());
    EXPECT_EQ(oauth("/oauth/revoke", by_refresh.tokens.refresh).status, 200);
    EXPECT_FALSE(c.token_valid(by_refresh.tokens.access));
    EXPECT_EQ(oauth("/oauth/introspect", by_refresh.tokens.refresh).body, "{\"active\":false}");
    // Invalid and already-revoked tokens: 200 as RFC 7009 requires.
    EXPECT_EQ(oauth("/oauth/revoke", "not-a-token").status, 200);
    EXPECT_EQ(oauth("/oauth/revoke", by_refresh.tokens.refresh).status, 200);
}

// Start-up refuses bad client lists with a message and exit 1; the _FILE form works.
TEST(OAuthClientsConfig, BadListsRefuseToStartAndTheFileFormWorks) {
    for (std::string spec : {"gateway:short", "gateway", ":0123456789abcdef0",
                             "a:0123456789abcdef0,a:0123456789abcdef1"}) {
        ServerProcess s;
        EXPECT_FALSE(s.start({{"AUTHD_SERVICE_CLIENTS", spec}})) << spec;
        EXPECT_NE(s.wait_exit(Millis(5000)), 0) << spec;
        EXPECT_NE(s.log().find("AUTHD_SERVICE_CLIENTS"), std::string::npos) << s.log();
        EXPECT_EQ(s.log().find("0123456789abcdef"), std::string::npos) << "secret logged";
    }
    TempDir dir;
    std::ofstream(dir.file("clients")) << "# not a comment: ids are plain\n"
                                          "filed:secret-from-a-file-01\n";
    ServerProcess bad;
    EXPECT_FALSE(bad.start({{"AUTHD_SERVICE_CLIENTS_FILE", dir.file("clients")}}));
    std::ofstream(dir.file("clients")) << "filed:secret-from-a-file-01\nsecond:secret-two-000000\n";
    ServerProcess s;
    ASSERT_TRUE(s.start({{"AUTHD_SERVICE_CLIENTS_FILE", dir.file("clients")}}));
    HttpResponse r = request(s.port(), "POST", "/oauth/introspect", "token=x",
                             {{"Authorization", basic("second", "secret-two-000000")},
                              {"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "{\"active\":false}");
    ServerProcess none;  // no clients configured: every call is an unknown client
    ASSERT_TRUE(none.start());
    EXPECT_EQ(request(none.port(), "POST", "/oauth/revoke", "token=x",
                      {{"Authorization", basic("filed", "secret-from-a-file-01")}})
                  .status,
              401);
}

}  // namespace
}  // namespace authd::test
