// Integration tests of issue 15 on the real binary, on either store: EdDSA tokens that PyJWT
// and jose verify with nothing but the JWKS URL, rotation without logging anyone out, forged
// and key-confused tokens refused, keys kept across restarts, kid and fallbacks for HS256.
#include <sys/stat.h>

#include "tests/integration/signing_keys_support.hpp"

namespace authd::test {
namespace {

class SigningKeys : public ::testing::Test {
  protected:
    void start(std::map<std::string, std::string> env = eddsa_env()) {
        ASSERT_TRUE(server_.start(std::move(env)));
        ApiClient c(server_.port());
        auto pair = c.login(kKeysAdmin, kKeysAdminPassword);
        ASSERT_TRUE(pair) << c.last_failure().body;
        admin_ = *pair;
    }
    HttpResponse rotate(std::string_view token) const {
        return ApiClient(server_.port()).post("/api/auth/keys/rotate/", "{}", token);
    }
    HttpResponse jwks() const { return request(server_.port(), "GET", "/.well-known/jwks.json"); }
    std::string kid_of(std::string_view token) const {
        auto parts = split_jwt(token);
        return parts ? json_string_field(parts->header, "kid") : "";
    }

    ServerProcess server_;
    TokenPair admin_;
};

TEST_F(SigningKeys, EdDsaTokensVerifyWithPyJwtAndJoseFromTheJwksAlone) {
    start();
    auto parts = split_jwt(admin_.access);
    ASSERT_TRUE(parts);
    EXPECT_EQ(json_string_field(parts->header, "alg"), "EdDSA") << parts->header;
    const std::string kid = kid_of(admin_.access);
    ASSERT_FALSE(kid.empty());
    EXPECT_EQ(json_string_field(parts->payload, "iss"), base_url(server_.port()));
    EXPECT_EQ(validate_status(server_.port(), admin_.access), 200);

    HttpResponse set = jwks();
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_NE(set.body.find(R"("kty":"OKP","crv":"Ed25519")"), std::string::npos) << set.body;
    EXPECT_NE(set.body.find(R"("kid":")" + kid + "\""), std::string::npos) << set.body;
    EXPECT_NE(set.body.find(R"("use":"sig")"), std::string::npos);
    EXPECT_EQ(set.body.find("\"d\""), std::string::npos) << "a private key was published";
    EXPECT_NE(set.header("Cache-Control").find("max-age="), std::string::npos);

    const auto py = pyjwt_verify(server_.port(), {admin_.access, admin_.refresh});
    ASSERT_EQ(py.size(), 2u) << (py.empty() ? "" : py[0]);
    EXPECT_EQ(py[0].rfind("ok " + kid, 0), 0u) << py[0];
    EXPECT_EQ(py[1].rfind("ok " + kid, 0), 0u) << py[1];
    const auto js = jose_verify(server_.port(), {admin_.access});
    ASSERT_EQ(js.size(), 1u);
    EXPECT_EQ(js[0].rfind("ok " + kid, 0), 0u) << js[0] << " (jose at " << jose_dir() << ")";

    HttpResponse meta = request(server_.port(), "GET", "/.well-known/oauth-authorization-server");
    ASSERT_EQ(meta.status, 200);
    EXPECT_EQ(json_string(meta.body, "issuer"), base_url(server_.port()));
    EXPECT_EQ(json_string(meta.body, "jwks_uri"),
              base_url(server_.port()) + "/.well-known/jwks.json");
    EXPECT_EQ(json_string(meta.body, "introspection_endpoint"),
              base_url(server_.port()) + "/oauth/introspect");
    EXPECT_EQ(json_string(meta.body, "revocation_endpoint"),
              base_url(server_.port()) + "/oauth/revoke");
}

TEST_F(SigningKeys, RotationKeepsOlderTokensValidAndPublishesBothKeys) {
    start();
    const std::string old_kid = kid_of(admin_.access);
    HttpResponse r = rotate(admin_.access);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string new_kid = json_string(r.body, "kid");
    ASSERT_FALSE(new_kid.empty());
    EXPECT_NE(new_kid, old_kid);

    ApiClient c(server_.port());
    auto fresh = c.login(kKeysAdmin, kKeysAdminPassword);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(kid_of(fresh->access), new_kid);
    EXPECT_EQ(validate_status(server_.port(), admin_.access), 200) << "old token logged out";
    EXPECT_EQ(validate_status(server_.port(), fresh->access), 200);
    // A refresh token from before the rotation still refreshes; the new pair uses the new key.
    HttpResponse refreshed =
        c.post("/api/auth/token/refresh/", "{\"refresh\":\"" + admin_.refresh + "\"}");
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    EXPECT_EQ(kid_of(json_string(refreshed.body, "access")), new_kid);

    HttpResponse set = jwks();
    EXPECT_NE(set.body.find(old_kid), std::string::npos) << set.body;
    EXPECT_NE(set.body.find(new_kid), std::string::npos) << set.body;
    const auto py = pyjwt_verify(server_.port(), {admin_.access, fresh->access});
    ASSERT_EQ(py.size(), 2u);
    EXPECT_EQ(py[0].rfind("ok " + old_kid, 0), 0u) << py[0];
    EXPECT_EQ(py[1].rfind("ok " + new_kid, 0), 0u) << py[1];
    const auto js = jose_verify(server_.port(), {admin_.access, fresh->access});
    ASSERT_EQ(js.size(), 2u);
    EXPECT_EQ(js[0].rfind("ok " + old_kid, 0), 0u) << js[0];
    EXPECT_EQ(js[1].rfind("ok " + new_kid, 0), 0u) << js[1];
}

TEST_F(SigningKeys, OnlyASuperuserRotates) {
    start();
    ApiClient c(server_.port());
    Account agent = c.agent("keyagent", admin_.access);
    ASSERT_FALSE(agent.tokens.access.empty());
    EXPECT_EQ(rotate(agent.tokens.access).status, 403);
    EXPECT_EQ(rotate("").status, 401);
    EXPECT_EQ(jwks().body.find(kid_of(admin_.access)) != std::string::npos, true);
}

TEST_F(SigningKeys, UnpublishedKeysAndKeyConfusionAreRefused) {
    start();
    auto parts = split_jwt(admin_.access);
    ASSERT_TRUE(parts);
    const std::string kid = kid_of(admin_.access);
    const std::string x = json_string_field(jwks().body, "x");
    const auto public_key = b64_decode(x);
    ASSERT_TRUE(public_key && public_key->size() == 32u);
    const std::string eddsa = R"({"alg":"EdDSA","kid":")" + kid + R"(","typ":"JWT"})";
    const std::string hs256 = R"({"alg":"HS256","kid":")" + kid + R"(","typ":"JWT"})";
    const std::vector<std::pair<std::string, std::string>> forged = {
        {"signed by a key never published", sign_with_unknown_ed25519(eddsa, parts->payload)},
        {"HS256 keyed with the public key", make_jwt(hs256, parts->payload, *public_key)},
        {"HS256 keyed with x", make_jwt(hs256, parts->payload, x)},
        {"legacy HS256 header keyed with the public key",
         make_jwt(R"({"alg":"HS256","typ":"JWT"})", parts->payload, *public_key)},
        {"alg none", make_jwt(R"({"alg":"none","kid":")" + kid + "\"}", parts->payload, "")},
    };
    for (const auto& [what, token] : forged) {
        EXPECT_EQ(validate_status(server_.port(), token), 401) << what;
        EXPECT_EQ(ApiClient(server_.port()).profile_status(token), 401) << what;
    }
    const auto py = pyjwt_verify(server_.port(), {forged[0].second});
    ASSERT_EQ(py.size(), 1u);
    EXPECT_EQ(py[0].rfind("refused", 0), 0u) << py[0];
}

TEST_F(SigningKeys, KeysSurviveARestartAndAreKeptPrivate) {
    start();
    const std::string kid = kid_of(admin_.access);
    if (server_.redis()) {
        auto sealed = redis_command(server_.redis()->port(), {"GET", "{authd}:signing_keys"});
        ASSERT_TRUE(sealed);
        EXPECT_EQ(sealed->rfind("v1.", 0), 0u) << "the ring must be sealed in Redis";
    } else {
        struct stat st {};
        ASSERT_EQ(::stat((server_.data_dir() + "/signing_keys").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        EXPECT_EQ(read_file(server_.data_dir() + "/signing_keys").rfind("v1.", 0), 0u);
    }
    ASSERT_TRUE(server_.restart());
    EXPECT_EQ(validate_status(server_.port(), admin_.access), 200);
    ApiClient c(server_.port());
    auto again = c.login(kKeysAdmin, kKeysAdminPassword);
    ASSERT_TRUE(again);
    EXPECT_EQ(kid_of(again->access), kid);
}

TEST_F(SigningKeys, KeysRotateCommandOnAStoppedServer) {
    start();
    const std::string old_kid = kid_of(admin_.access);
    ASSERT_EQ(server_.stop(), 0);
    std::map<std::string, std::string> env = server_.env();
    CommandResult cmd = run_authd({"keys", "rotate"}, env);
    ASSERT_EQ(cmd.exit_code, 0) << cmd.out << cmd.err;
    ASSERT_TRUE(server_.restart());
    EXPECT_EQ(validate_status(server_.port(), admin_.access), 200);
    ApiClient c(server_.port());
    auto fresh = c.login(kKeysAdmin, kKeysAdminPassword);
    ASSERT_TRUE(fresh);
    EXPECT_NE(kid_of(fresh->access), old_kid);
    EXPECT_NE(cmd.out.find(kid_of(fresh->access)), std::string::npos) << cmd.out;
}

TEST_F(SigningKeys, Hs256TokensCarryAKidAndOldSecretsStillVerify) {
    auto env = eddsa_env("HS256");
    env["AUTHD_SECRET_KEY"] = "first-secret-key-0123456789abcdef-0123456789";
    start(env);
    auto parts = split_jwt(admin_.access);
    ASSERT_TRUE(parts);
    EXPECT_EQ(json_string_field(parts->header, "alg"), "HS256");
    const std::string kid = kid_of(admin_.access);
    EXPECT_FALSE(kid.empty());
    // A token of before this change: the same claims, the header without a kid.
    const std::string legacy =
        make_jwt(R"({"alg":"HS256","typ":"JWT"})", parts->payload, env["AUTHD_SECRET_KEY"]);
    EXPECT_EQ(validate_status(server_.port(), legacy), 200);
    EXPECT_EQ(rotate(admin_.access).status, 409);  // HS256 rotates by configuration

    ASSERT_EQ(server_.stop(), 0);
    env["AUTHD_SECRET_KEY_FALLBACKS"] = env["AUTHD_SECRET_KEY"];
    env["AUTHD_SECRET_KEY"] = "second-secret-key-0123456789abcdef-012345678";
    ASSERT_TRUE(server_.start(env));
    EXPECT_EQ(validate_status(server_.port(), admin_.access), 200) << "fallback secret refused";
    EXPECT_EQ(validate_status(server_.port(), legacy), 200);
    ApiClient c(server_.port());
    auto fresh = c.login(kKeysAdmin, kKeysAdminPassword);
    ASSERT_TRUE(fresh);
    EXPECT_NE(kid_of(fresh->access), kid);
    ASSERT_EQ(server_.stop(), 0);
    env.erase("AUTHD_SECRET_KEY_FALLBACKS");
    env["AUTHD_SECRET_KEY_FALLBACKS"] = "";
    ASSERT_TRUE(server_.start(env));
    EXPECT_EQ(validate_status(server_.port(), admin_.access), 401) << "a dropped secret verifies";
}

}  // namespace
}  // namespace authd::test
