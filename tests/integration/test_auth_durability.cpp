// Integration tests of what /auth/ state survives: kill -9 right after a signup, a logout or a
// password reset; `authd createsuperuser` against a free and a busy store; the superuser
// bootstrap at serve start; the generated secret key kept in the store directory.
#include <sys/stat.h>

#include <string>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {
namespace {

constexpr const char* kAdminPassword = "Granite-Owl-Seventeen-7";

class AuthV1Durability : public AuthV1Fixture {};

HttpResponse logout(int port, std::string_view access, std::string_view body = "{}") {
    return request(
        port, "POST", "/api/auth/logout/", body,
        {{"Authorization", "Bearer " + std::string(access)}, {"Content-Type", "application/json"}});
}

// ---------------------------------------------------------------------------------------------
// 6. kill -9 durability

TEST_F(AuthV1Durability, SignupAndVerificationSurviveKill9) {
    ASSERT_TRUE(start());
    HttpResponse r = signup("paul", "paul@example.com");
    ASSERT_EQ(r.status, 201) << r.body;
    int64_t id = json_int(r.body, "id");
    server_.kill9();
    ASSERT_TRUE(server_.restart());

    HttpResponse again = signup("Paul", "paul2@example.com");
    EXPECT_EQ(again.status, 400) << again.body;
    EXPECT_TRUE(has_field_error(again, "username", "A user with that username already exists."))
        << again.body;
    HttpResponse same_email = signup("paula", "PAUL@example.com");
    EXPECT_EQ(same_email.status, 400) << same_email.body;
    EXPECT_TRUE(has_field_error(same_email, "email", "A user with that email already exists."))
        << same_email.body;
    expect_detail(login("paul", kPassword), 403, "User account is disabled.", "account_inactive");

    // The verification mail was queued with the user: it arrives (before or after the crash).
    std::string path = mailed_path("paul@example.com", "/auth/verify-email/");
    ASSERT_FALSE(path.empty());
    HttpResponse v = get(path);
    EXPECT_EQ(v.status, 200) << v.body;
    server_.kill9();
    ASSERT_TRUE(server_.restart());
    EXPECT_EQ(get(path).status, 400) << "the verification was kept: the link is spent";
    auto pair = tokens("paul", kPassword);
    ASSERT_TRUE(pair) << "the activation was kept";
    HttpResponse val = validate(pair->access);
    EXPECT_EQ(json_int(val.body, "user_id"), id) << val.body;
    // Ids are never reused: the next user gets a larger one.
    HttpResponse next = signup("quinn", "quinn@example.com");
    ASSERT_EQ(next.status, 201) << next.body;
    EXPECT_GT(json_int(next.body, "id"), id);
}

TEST_F(AuthV1Durability, LogoutAndRotationSurviveKill9) {
    ASSERT_TRUE(start());
    User rita = active_user("rita", "rita@example.com");
    ASSERT_GT(rita.id, 0);
    auto out = tokens("rita", kPassword);
    auto kept = tokens("rita", kPassword);
    auto rotated = tokens("rita", kPassword);
    ASSERT_TRUE(out && kept && rotated);
    HttpResponse rot = refresh(rotated->refresh);
    ASSERT_EQ(rot.status, 200) << rot.body;
    std::string rotated_access = json_string(rot.body, "access");

    HttpResponse lo = logout(server_.port(), out->access);
    ASSERT_EQ(lo.status, 200) << lo.body;
    EXPECT_EQ(json_string(lo.body, "detail"), "Successfully logged out.");
    EXPECT_FALSE(token_valid(out->access)) << "revoked before the answer";
    server_.kill9();
    ASSERT_TRUE(server_.restart());

    EXPECT_FALSE(token_valid(out->access)) << "the logout survived the crash";
    EXPECT_EQ(refresh(out->refresh).status, 401) << "the logged-out session's refresh too";
    EXPECT_EQ(logout(server_.port(), out->access).status, 401);
    EXPECT_TRUE(token_valid(kept->access)) << "other sessions are untouched by the crash";
    EXPECT_TRUE(token_valid(rotated_access));
    // The rotation was kept too: the refresh used before the crash is a reuse now.
    EXPECT_EQ(refresh(rotated->refresh).status, 401);
    EXPECT_FALSE(token_valid(rotated_access)) << "reuse after restart revokes that session";
    EXPECT_EQ(refresh(kept->refresh).status, 200);
}

TEST_F(AuthV1Durability, PasswordResetSurvivesKill9) {
    ASSERT_TRUE(start());
    User sam = active_user("sam", "sam@example.com");
    ASSERT_GT(sam.id, 0);
    auto before = tokens("sam", kPassword);
    ASSERT_TRUE(before);
    ASSERT_EQ(request_reset("sam@example.com").status, 200);
    std::string path = mailed_path("sam@example.com", "/auth/password_reset_confirm/", 2);
    ASSERT_FALSE(path.empty());
    HttpResponse done =
        post_form(path, form({{"new_password", kNewPassword}, {"confirm_password", kNewPassword}}));
    ASSERT_EQ(done.status, 200) << done.body;
    server_.kill9();
    ASSERT_TRUE(server_.restart());

    EXPECT_EQ(login("sam", kNewPassword).status, 200) << "the new password survived the crash";
    EXPECT_EQ(login("sam", kPassword).status, 401);
    EXPECT_FALSE(token_valid(before->access)) << "and so did the revocation of older tokens";
    EXPECT_EQ(refresh(before->refresh).status, 401);
    EXPECT_EQ(get(path).status, 400) << "and the link stays spent";
}

// ---------------------------------------------------------------------------------------------
// 7. createsuperuser and the bootstrap

TEST_F(AuthV1Durability, CreateSuperuserCommand) {
    const std::string dir = server_.data_dir();
    std::map<std::string, std::string> env = {{"AUTHD_STORE", "file:" + dir},
                                              {"AUTHD_SUPERUSER_PASSWORD", kAdminPassword},
                                              {"AUTHD_ARGON2_OPS", "1"},
                                              {"AUTHD_ARGON2_MEMORY_KIB", "1024"}};
    CommandResult made =
        run_authd({"createsuperuser", "--username", "admin", "--email", "a@example.com"}, env);
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;

    ASSERT_TRUE(start());
    auto admin = tokens("admin", kAdminPassword);
    ASSERT_TRUE(admin) << login("admin", kAdminPassword).body;
    HttpResponse v = validate(admin->access);
    EXPECT_EQ(json_string(v.body, "role"), "SUPER_USER") << v.body;
    EXPECT_EQ(json_string(v.body, "username"), "admin");

    // While the server holds the directory: refused, clearly, and nothing changes.
    CommandResult busy =
        run_authd({"createsuperuser", "--username", "admin2", "--email", "b@example.com"}, env);
    EXPECT_NE(busy.exit_code, 0) << busy.out << busy.err;
    EXPECT_NE(busy.exit_code, -1) << "it must not hang: " << busy.err;
    EXPECT_TRUE(icontains(busy.err, "in use") || icontains(busy.err, "running") ||
                icontains(busy.err, "lock"))
        << "stderr: " << busy.err;
    EXPECT_TRUE(icontains(busy.err, dir) || icontains(busy.err, "store"))
        << "names what is busy: " << busy.err;
    EXPECT_EQ(login("admin2", kAdminPassword).status, 401);
    EXPECT_TRUE(token_valid(admin->access)) << "the server is unaffected";
    EXPECT_EQ(request(server_.port(), "GET", "/readyz").status, 200);

    // Without a password and without a terminal: refused, nothing changed.
    ASSERT_EQ(server_.stop(), 0);
    auto no_pw = env;
    no_pw["AUTHD_SUPERUSER_PASSWORD"] = "";
    CommandResult refused =
        run_authd({"createsuperuser", "--username", "admin3", "--email", "c@example.com"}, no_pw);
    EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
    EXPECT_NE(refused.exit_code, -1) << "it must not wait for a password: " << refused.err;
    EXPECT_FALSE(refused.err.empty());
    CommandResult no_args = run_authd({"createsuperuser"}, env);
    EXPECT_NE(no_args.exit_code, 0) << no_args.out << no_args.err;

    ASSERT_TRUE(server_.restart());
    EXPECT_EQ(login("admin2", kAdminPassword).status, 401) << "the refused run left no user behind";
    EXPECT_EQ(login("admin3", kAdminPassword).status, 401);
    EXPECT_EQ(login("admin", kAdminPassword).status, 200);
}

TEST_F(AuthV1Durability, SuperuserBootstrapAtServeStartRunsOnce) {
    std::map<std::string, std::string> boot = {{"AUTHD_SUPERUSER_USERNAME", "root"},
                                               {"AUTHD_SUPERUSER_EMAIL", "root@example.com"},
                                               {"AUTHD_SUPERUSER_PASSWORD", kAdminPassword}};
    ASSERT_TRUE(start(boot));
    auto root = tokens("root", kAdminPassword);
    ASSERT_TRUE(root) << login("root", kAdminPassword).body;
    HttpResponse v = validate(root->access);
    EXPECT_EQ(json_string(v.body, "role"), "SUPER_USER") << v.body;
    int64_t id = json_int(v.body, "user_id");
    ASSERT_EQ(server_.stop(), 0);

    // Same username, another password and email: the existing superuser is kept as it was.
    boot["AUTHD_SUPERUSER_PASSWORD"] = "Changed-Password-Bad-1";
    boot["AUTHD_SUPERUSER_EMAIL"] = "other@example.com";
    ASSERT_TRUE(start(boot));
    EXPECT_EQ(login("root", "Changed-Password-Bad-1").status, 401)
        << "created once, never overwritten";
    auto again = tokens("root", kAdminPassword);
    ASSERT_TRUE(again);
    EXPECT_EQ(json_int(validate(again->access).body, "user_id"), id);
    EXPECT_TRUE(token_valid(root->access)) << "the restart revoked nothing";
    // A signup cannot take the bootstrap's names either.
    HttpResponse taken = signup("ROOT", "root@EXAMPLE.com");
    EXPECT_EQ(taken.status, 400);
    EXPECT_TRUE(json_has(taken.body, "username")) << taken.body;
    EXPECT_TRUE(json_has(taken.body, "email")) << taken.body;

    // Only with all three variables: a server without the email creates nobody.
    ServerProcess partial;
    ASSERT_TRUE(partial.start({{"AUTHD_SUPERUSER_USERNAME", "half"},
                               {"AUTHD_SUPERUSER_PASSWORD", kAdminPassword},
                               {"AUTHD_ARGON2_OPS", "1"},
                               {"AUTHD_ARGON2_MEMORY_KIB", "1024"}}));
    HttpResponse half = request(partial.port(), "POST", "/auth/token/",
                                json_object({{"username", "half"}, {"password", kAdminPassword}}));
    EXPECT_EQ(half.status, 401) << half.body;
    EXPECT_EQ(partial.stop(), 0);
}

// ---------------------------------------------------------------------------------------------
// 8. The generated secret key

TEST_F(AuthV1Durability, GeneratedSecretKeyIsPrivateAndKept) {
    ASSERT_TRUE(start({{"AUTHD_SECRET_KEY", ""},
                       {"AUTHD_SUPERUSER_USERNAME", "keyholder"},
                       {"AUTHD_SUPERUSER_EMAIL", "keyholder@example.com"},
                       {"AUTHD_SUPERUSER_PASSWORD", kAdminPassword}}));
    const std::string key_path = server_.data_dir() + "/secret_key";
    struct stat st {};
    ASSERT_EQ(::stat(key_path.c_str(), &st), 0) << key_path << " was not created";
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << std::oct << (st.st_mode & 0777);
    const std::string key = read_file(key_path);
    EXPECT_GE(key.size(), 32u);
    EXPECT_TRUE(icontains(server_.log(), "AUTHD_SECRET_KEY"))
        << "a warning names the missing variable";
    EXPECT_FALSE(contains(server_.log(), key.substr(0, std::min<size_t>(key.size(), 24))))
        << "the key itself is never logged";

    auto pair = tokens("keyholder", kAdminPassword);
    ASSERT_TRUE(pair);
    ASSERT_TRUE(token_valid(pair->access));
    auto parts = split_jwt(pair->access);
    ASSERT_TRUE(parts);
    EXPECT_NE(make_jwt(parts->header, parts->payload, kSecretKey), pair->access)
        << "not the fixture's key";

    ASSERT_TRUE(server_.restart());
    EXPECT_TRUE(token_valid(pair->access)) << "tokens survive a graceful restart";
    server_.kill9();
    ASSERT_TRUE(server_.restart());
    EXPECT_TRUE(token_valid(pair->access)) << "and a crash";
    HttpResponse rf = refresh(pair->refresh);
    EXPECT_EQ(rf.status, 200) << rf.body;
    EXPECT_EQ(read_file(key_path), key) << "the key is kept, not regenerated";
    ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace authd::test::v1
