// Integration tests of the /api/auth/ account endpoints (API.md §5) on the real binary:
// register, agents/create, logout and password change, success and error paths.
#include <cctype>
#include <string>

#include "tests/integration/api_v2_support.hpp"

namespace authd::test::api_v2 {
namespace {

// ---------------------------------------------------------------------------------------------
// register

TEST_F(ApiV2, RegisterCreatesAPendingClient) {
    ApiClient c = api();
    Account a = new_account("reg");
    HttpResponse r = c.register_account(a);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_GT(a.id, 0);
    EXPECT_EQ(json_string(r.body, "username"), a.username);
    EXPECT_EQ(json_string(r.body, "email"), a.username + "@example.com") << "domain lower-cased";
    EXPECT_EQ(json_string(r.body, "first_name"), "Jane");
    EXPECT_EQ(json_string(r.body, "phone_number"), "+33600000000");
    EXPECT_EQ(json_string(r.body, "address"), "1 rue de la Paix");
    EXPECT_EQ(json_string(r.body, "role"), "CLIENT");
    EXPECT_EQ(json_string(r.body, "role_display"), "Client");
    EXPECT_FALSE(json_bool(r.body, "is_active"));
    EXPECT_FALSE(json_has(r.body, "password"));
    EXPECT_FALSE(json_has(r.body, "confirm_password"));
    EXPECT_FALSE(json_has(r.body, "password_hash"));
    EXPECT_EQ(json_string(r.body, "created_at").back(), 'Z');

    // Pending: cannot log in yet, and listed as pending.
    EXPECT_FALSE(c.login(a));
    EXPECT_EQ(c.last_failure().status, 403);
    EXPECT_EQ(json_string(c.last_failure().body, "code"), "account_inactive");
    HttpResponse pending = c.get("/api/auth/users/pending/?search=" + a.username, root_token());
    ASSERT_EQ(pending.status, 200);
    ASSERT_EQ(json_array_size(pending.body, ""), 1u) << pending.body;
    EXPECT_EQ(json_int(pending.body, "/0/id"), a.id);

    // The same fields as a form post; ids keep increasing.
    Account b = new_account("regform");
    HttpResponse f = c.call("POST", "/api/auth/register/",
                            "username=" + b.username + "&email=" + b.username +
                                "%40example.com&password=" + b.password +
                                "&confirm_password=" + b.password + "&first_name=Bo",
                            {}, "application/x-www-form-urlencoded");
    ASSERT_EQ(f.status, 201) << f.body;
    EXPECT_GT(json_int(f.body, "id"), a.id);
    EXPECT_EQ(json_string(f.body, "first_name"), "Bo");
    EXPECT_EQ(json_string(f.body, "role"), "CLIENT");
}

// A self-registration may not pick SUPER_USER, an unknown role, or AGENT (only a superuser
// creates agents: an agent or a client calling register is refused too).
void expect_role_refusals(ApiClient& c, const Account& a, const std::string& root_token) {
    HttpResponse r = c.post("/api/auth/register/", register_body(a, "SUPER_USER"));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "role")) << r.body;
    r = c.post("/api/auth/register/", register_body(a, "BOSS"));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "role")) << r.body;
    r = c.post("/api/auth/register/", register_body(a, "AGENT"));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "role"), "Only a superuser can create an agent.") << r.body;

    Account agent = c.agent("regerr_agent", root_token);
    ASSERT_GT(agent.id, 0);
    Account client = c.active_client("regerr_client", root_token);
    ASSERT_GT(client.id, 0);
    for (const Account* caller : {&agent, &client}) {
        r = c.post("/api/auth/register/", register_body(a, "AGENT"), caller->tokens.access);
        EXPECT_EQ(r.status, 400) << caller->username;
        EXPECT_EQ(field_error(r, "role"), "Only a superuser can create an agent.") << r.body;
    }
}

TEST_F(ApiV2, RegisterFieldErrors) {
    ApiClient c = api();
    HttpResponse r = c.post("/api/auth/register/", "{}");
    ASSERT_EQ(r.status, 400) << r.body;
    for (auto f : {"username", "email", "password", "confirm_password"}) {
        EXPECT_EQ(field_error(r, f), "This field is required.") << f << ": " << r.body;
    }

    Account a = new_account("regerr");
    std::string body = register_body(a);
    auto with = [&](std::string_view extra) {
        return body.substr(0, body.size() - 1) + ", " + std::string(extra) + "}";
    };

    r = c.post("/api/auth/register/", with("\"confirm_password\": \"Other-Secret-99\""));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "confirm_password"), "Passwords do not match.") << r.body;

    ASSERT_NO_FATAL_FAILURE(expect_role_refusals(c, a, root_token()));

    r = c.post("/api/auth/register/", with("\"username\": 5"));
    EXPECT_EQ(field_error(r, "username"), "Not a valid string.") << r.body;
    r = c.post("/api/auth/register/", with("\"first_name\": null, \"address\": [1]"));
    EXPECT_EQ(field_error(r, "first_name"), "Not a valid string.") << r.body;
    EXPECT_EQ(field_error(r, "address"), "Not a valid string.") << r.body;
    r = c.post("/api/auth/register/", with("\"phone_number\": \"06-00\""));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "phone_number")) << r.body;
    r = c.post("/api/auth/register/",
               with("\"password\": \"12345678\", \"confirm_password\": \"12345678\""));
    EXPECT_TRUE(has_message(r, "password", "This password is entirely numeric.")) << r.body;
    EXPECT_TRUE(has_message(r, "password", "This password is too common.")) << r.body;

    // Not JSON objects, other media types.
    expect_json_parse_error(c.post("/api/auth/register/", "[1, 2]"), "array body");
    expect_json_parse_error(c.post("/api/auth/register/", "{\"username\": "), "truncated body");
    r = c.call("POST", "/api/auth/register/", "hello", {}, "text/plain");
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(json_string(r.body, "detail"), "Unsupported media type \"text/plain\" in request.");

    // Authentication is optional, but a bad token is refused before anything is created.
    expect_bad_token(c.post("/api/auth/register/", body, "not.a.jwt"), "garbage token");
    ASSERT_EQ(c.register_account(a).status, 201);

    // Uniqueness is case-insensitive for both username and email.
    Account dup = new_account("regdup");
    dup.username = a.username;
    for (auto& ch : dup.username)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    dup.email = a.username + "@EXAMPLE.com";
    r = c.register_account(dup);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "username"), "A user with that username already exists.") << r.body;
    EXPECT_EQ(field_error(r, "email"), "A user with that email already exists.") << r.body;
}

TEST_F(ApiV2, SuperuserRegistersAnActiveAgent) {
    ApiClient c = api();
    Account a = new_account("regagent");
    HttpResponse r = c.register_account(a, "AGENT", root_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_string(r.body, "role"), "AGENT");
    EXPECT_EQ(json_string(r.body, "role_display"), "Agent");
    EXPECT_TRUE(json_bool(r.body, "is_active"));
    EXPECT_TRUE(c.login(a));
    // A superuser registering a plain client: it is pending like any other.
    Account b = new_account("regbysu");
    r = c.register_account(b, "CLIENT", root_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_FALSE(json_bool(r.body, "is_active"));
}

// ---------------------------------------------------------------------------------------------
// agents/create

TEST_F(ApiV2, AgentCreateIsForSuperusersOnly) {
    ApiClient c = api();
    Account agent = c.agent("ac_agent", root_token());
    Account client = c.active_client("ac_client", root_token());
    ASSERT_GT(agent.id, 0);
    ASSERT_GT(client.id, 0);
    Account a = new_account("ac_new");
    const std::string path = "/api/auth/agents/create/";
    expect_missing_credentials(c.post(path, register_body(a)), "anonymous");
    expect_bad_token(c.post(path, register_body(a), "garbage"), "garbage token");
    expect_forbidden(c.post(path, register_body(a), client.tokens.access), "client");
    expect_forbidden(c.post(path, register_body(a), agent.tokens.access), "agent");
    // Permission comes before the body: a client gets 403 even for a broken body.
    expect_forbidden(c.post(path, "[", client.tokens.access), "client, broken body");

    HttpResponse r = c.post(path, register_body(a, "CLIENT"), root_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_string(r.body, "role"), "AGENT") << "role forced to AGENT";
    EXPECT_TRUE(json_bool(r.body, "is_active"));
    EXPECT_TRUE(c.login(a)) << c.last_failure().body;

    r = c.post(path, register_body(a), root_token());
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "username"), "A user with that username already exists.") << r.body;
    r = c.post(path, "{\"username\": \"x\"}", root_token());
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "email"), "This field is required.") << r.body;
    expect_json_parse_error(c.post(path, "\"agent\"", root_token()), "string body");
}

// ---------------------------------------------------------------------------------------------
// logout

TEST_F(ApiV2, LogoutRevokesThatSessionOnly) {
    ApiClient c = api();
    Account u = c.active_client("logout", root_token());
    ASSERT_GT(u.id, 0);
    auto second = c.login(u.username, u.password);
    ASSERT_TRUE(second);

    expect_missing_credentials(c.post("/api/auth/logout/", ""), "anonymous");
    expect_bad_token(c.post("/api/auth/logout/", "", "garbage"), "garbage token");
    HttpResponse r = c.post("/api/auth/logout/", "{\"refresh\": 5}", u.tokens.access);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "refresh"), "Not a valid string.") << r.body;
    expect_json_parse_error(c.post("/api/auth/logout/", "[]", u.tokens.access), "array body");
    ASSERT_TRUE(c.token_valid(u.tokens.access)) << "a refused logout changes nothing";

    r = c.post("/api/auth/logout/", "", u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Successfully logged out.");
    EXPECT_FALSE(c.token_valid(u.tokens.access));
    expect_bad_token(c.get("/api/auth/profile/", u.tokens.access), "profile after logout");
    r = c.post("/api/auth/token/refresh/", "{\"refresh\": " + json_quote(u.tokens.refresh) + "}");
    EXPECT_EQ(r.status, 401) << "the session's refresh token is revoked too";
    expect_bad_token(c.post("/api/auth/logout/", "", u.tokens.access), "second logout");

    // The other session is untouched.
    EXPECT_TRUE(c.token_valid(second->access));
    EXPECT_EQ(c.profile_status(second->access), 200);

    // A refresh of another session of the same user ends that session too.
    auto third = c.login(u.username, u.password);
    auto fourth = c.login(u.username, u.password);
    ASSERT_TRUE(third && fourth);
    r = c.post("/api/auth/logout/", "{\"refresh\": " + json_quote(fourth->refresh) + "}",
               third->access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(c.token_valid(third->access));
    EXPECT_FALSE(c.token_valid(fourth->access));
    EXPECT_EQ(c.profile_status(fourth->access), 401);
    EXPECT_TRUE(c.token_valid(second->access));

    // Someone else's refresh token, or garbage, is ignored.
    Account other = c.active_client("logout_other", root_token());
    ASSERT_GT(other.id, 0);
    auto fifth = c.login(u.username, u.password);
    ASSERT_TRUE(fifth);
    r = c.post("/api/auth/logout/", "{\"refresh\": " + json_quote(other.tokens.refresh) + "}",
               fifth->access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(c.token_valid(other.tokens.access));
    EXPECT_FALSE(c.token_valid(fifth->access));
    r = c.post("/api/auth/logout/", "{\"refresh\": \"garbage\"}", second->access);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(c.token_valid(second->access));
}

// ---------------------------------------------------------------------------------------------
// password/reset (change while logged in)

TEST_F(ApiV2, PasswordChangeRevokesEveryOlderToken) {
    ApiClient c = api();
    Account u = c.active_client("pwchange", root_token());
    ASSERT_GT(u.id, 0);
    auto other_session = c.login(u.username, u.password);
    ASSERT_TRUE(other_session);
    const std::string path = "/api/auth/password/reset/";
    auto body = [](std::string_view old_pw, std::string_view new_pw, std::string_view confirm) {
        return "{\"old_password\": " + json_quote(old_pw) +
               ", \"new_password\": " + json_quote(new_pw) +
               ", \"confirm_password\": " + json_quote(confirm) + "}";
    };
    const std::string fresh = "Quiet-Harbor-Lantern-42";

    expect_missing_credentials(c.post(path, body(u.password, fresh, fresh)), "anonymous");
    expect_bad_token(c.post(path, body(u.password, fresh, fresh), "garbage"), "garbage token");

    HttpResponse r = c.post(path, "{}", u.tokens.access);
    EXPECT_EQ(r.status, 400);
    for (auto f : {"old_password", "new_password", "confirm_password"}) {
        EXPECT_EQ(field_error(r, f), "This field is required.") << f << ": " << r.body;
    }
    r = c.post(path, body("Wrong-Password-1", fresh, fresh), u.tokens.access);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "old_password"), "Old password is incorrect.") << r.body;
    r = c.post(path, body(u.password, fresh, fresh + "x"), u.tokens.access);
    EXPECT_EQ(field_error(r, "confirm_password"), "Passwords do not match.") << r.body;
    r = c.post(path, body(u.password, "short", "short"), u.tokens.access);
    EXPECT_TRUE(has_message(r, "new_password",
                            "This password is too short. It must contain at least 8 characters."))
        << r.body;
    r = c.post(path, body(u.password, "98765432101", "98765432101"), u.tokens.access);
    EXPECT_TRUE(has_message(r, "new_password", "This password is entirely numeric.")) << r.body;
    r = c.post(path, body(u.password, u.username, u.username), u.tokens.access);
    EXPECT_TRUE(has_message(r, "new_password", "The password is too similar to the username."))
        << r.body;
    r = c.post(path, "{\"old_password\": 5, \"new_password\": true, \"confirm_password\": null}",
               u.tokens.access);
    EXPECT_EQ(field_error(r, "old_password"), "Not a valid string.") << r.body;
    EXPECT_EQ(field_error(r, "new_password"), "Not a valid string.") << r.body;
    expect_json_parse_error(c.post(path, "[1]", u.tokens.access), "array body");
    ASSERT_TRUE(c.token_valid(u.tokens.access)) << "refused changes revoke nothing";

    r = c.post(path, body(u.password, fresh, fresh), u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Password updated.");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    std::string new_access = json_string(r.body, "token");
    std::string new_refresh = json_string(r.body, "refresh");

    for (const std::string& old : {u.tokens.access, other_session->access}) {
        EXPECT_FALSE(c.token_valid(old));
        expect_bad_token(c.get("/api/auth/profile/", old), "profile with an older token");
    }
    r = c.post("/api/auth/token/refresh/", "{\"refresh\": " + json_quote(u.tokens.refresh) + "}");
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(c.token_valid(new_access));
    EXPECT_EQ(c.profile_status(new_access), 200);
    r = c.post("/api/auth/token/refresh/", "{\"refresh\": " + json_quote(new_refresh) + "}");
    EXPECT_EQ(r.status, 200) << r.body;

    EXPECT_FALSE(c.login(u.username, u.password));
    EXPECT_EQ(c.last_failure().status, 401);
    EXPECT_TRUE(c.login(u.username, fresh));
}

}  // namespace
}  // namespace authd::test::api_v2
