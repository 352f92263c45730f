// Integration tests of the /api/auth/ surface (API.md §5) on the real binary: every endpoint's
// success and error paths, the permission matrix cell by cell (401 vs 403 exactly), token
// revocation by logout, password change, deactivation and rejection, list filters/pagination.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/api_client.hpp"
#include "tests/integration/harness.hpp"

namespace authd::test {
namespace {

constexpr const char* kRootPassword = "Sup3r-Secret-Pass!";
constexpr const char* kNotAllowed = "You do not have permission to perform this action.";

std::map<std::string, std::string> server_env(std::string_view superuser) {
    return {{"AUTHD_ARGON2_OPS", "1"},
            {"AUTHD_ARGON2_MEMORY_KIB", "1024"},
            {"AUTHD_SUPERUSER_USERNAME", std::string(superuser)},
            {"AUTHD_SUPERUSER_EMAIL", std::string(superuser) + "@example.com"},
            {"AUTHD_SUPERUSER_PASSWORD", kRootPassword}};
}

// The first message of a field's error list.
std::string field_error(const HttpResponse& r, std::string_view field) {
    return json_string(r.body, "/" + std::string(field) + "/0");
}

bool has_message(const HttpResponse& r, std::string_view field, std::string_view message) {
    for (size_t i = 0; i < json_array_size(r.body, "/" + std::string(field)); ++i) {
        if (json_string(r.body, "/" + std::string(field) + "/" + std::to_string(i)) == message)
            return true;
    }
    return false;
}

void expect_missing_credentials(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Authentication credentials were not provided.");
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"api\"");
}

void expect_bad_token(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(json_string(r.body, "code"), "token_not_valid") << r.body;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"api\"");
}

void expect_forbidden(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), kNotAllowed);
}

void expect_json_parse_error(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_string(r.body, "detail").rfind("JSON parse error - ", 0), 0u) << r.body;
}

const std::vector<std::string> kProfileKeys = {
    "id",      "username", "email",        "first_name", "last_name", "phone_number",
    "address", "role",     "role_display", "created_at", "updated_at"};
const std::vector<std::string> kListItemKeys = {"id",           "username",  "email",
                                                "first_name",   "last_name", "role",
                                                "role_display", "is_active", "created_at"};

std::vector<std::string> detail_keys() {
    std::vector<std::string> k = kProfileKeys;
    k.insert(k.end(), {"is_active", "email_verified", "last_login"});
    return k;
}

// One server for the whole suite (fast Argon2); every test makes its own uniquely named users.
// Two superusers exist: "root" (the bootstrap of the running server) and "root2" (bootstrapped
// by a first start on the same data directory), so superuser-on-superuser is not only "self".
class ApiV2 : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new ServerProcess();
        auto first = server_->start(server_env("root2"));
        if (!first) {
            setup_error_ = "first start failed: " + std::string(first.message());
            return;
        }
        if (int rc = server_->stop(); rc != 0) {
            std::string log = server_->log();
            setup_error_ = "first stop exited " + std::to_string(rc) + "; log:\n" +
                           log.substr(log.size() > 8192 ? log.size() - 8192 : 0);
            return;
        }
        auto second = server_->start(server_env("root"));
        if (!second) {
            setup_error_ = "second start failed: " + std::string(second.message());
            return;
        }
        ApiClient api(server_->port());
        auto root = api.login("root", kRootPassword);
        auto root2 = api.login("root2", kRootPassword);
        if (!root || !root2) {
            setup_error_ = "superuser login failed: " + api.last_failure().body;
            return;
        }
        root_ = new Account{0, "root", "root@example.com", kRootPassword, *root};
        root2_ = new Account{0, "root2", "root2@example.com", kRootPassword, *root2};
        root_->id = json_int(api.get("/api/auth/profile/", root->access).body, "id");
        root2_->id = json_int(api.get("/api/auth/profile/", root2->access).body, "id");
    }

    static void TearDownTestSuite() {
        if (server_ && server_->running()) {
            int rc = server_->stop();
            EXPECT_EQ(rc, 0) << "authd did not exit 0 on SIGTERM";
        }
        delete server_;
        delete root_;
        delete root2_;
        server_ = nullptr;
        root_ = root2_ = nullptr;
    }

    void SetUp() override {
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
        ASSERT_TRUE(server_ != nullptr);
        if (!server_->running()) {
            std::string log = server_->log();
            FAIL() << "authd is not running; its log ends with:\n"
                   << log.substr(log.size() > 8192 ? log.size() - 8192 : 0);
        }
        ASSERT_GT(root_->id, 0);
        ASSERT_GT(root2_->id, 0);
    }

    ApiClient api() const { return ApiClient(server_->port()); }
    const std::string& root_token() const { return root_->tokens.access; }

    static inline ServerProcess* server_ = nullptr;
    static inline Account* root_ = nullptr;
    static inline Account* root2_ = nullptr;
    static inline std::string setup_error_;
};

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

    r = c.post("/api/auth/register/", register_body(a, "SUPER_USER"));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "role")) << r.body;
    r = c.post("/api/auth/register/", register_body(a, "BOSS"));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "role")) << r.body;
    r = c.post("/api/auth/register/", register_body(a, "AGENT"));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "role"), "Only a superuser can create an agent.") << r.body;

    Account agent = c.agent("regerr_agent", root_token());
    ASSERT_GT(agent.id, 0);
    Account client = c.active_client("regerr_client", root_token());
    ASSERT_GT(client.id, 0);
    for (const Account* caller : {&agent, &client}) {
        r = c.post("/api/auth/register/", register_body(a, "AGENT"), caller->tokens.access);
        EXPECT_EQ(r.status, 400) << caller->username;
        EXPECT_EQ(field_error(r, "role"), "Only a superuser can create an agent.") << r.body;
    }

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

// ---------------------------------------------------------------------------------------------
// profile

TEST_F(ApiV2, ProfileGetAndPatch) {
    ApiClient c = api();
    Account u = c.active_client("profile", root_token());
    ASSERT_GT(u.id, 0);
    const std::string path = "/api/auth/profile/";
    expect_missing_credentials(c.get(path), "GET anonymous");
    expect_bad_token(c.get(path, "garbage"), "GET garbage");
    expect_missing_credentials(c.patch(path, "{\"first_name\": \"X\"}"), "PATCH anonymous");
    expect_bad_token(c.patch(path, "{\"first_name\": \"X\"}", "garbage"), "PATCH garbage");

    HttpResponse r = c.get(path, u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_keys(r.body), kProfileKeys);
    EXPECT_EQ(json_int(r.body, "id"), u.id);
    EXPECT_EQ(json_string(r.body, "username"), u.username);
    EXPECT_EQ(json_string(r.body, "last_name"), "Smith");
    EXPECT_EQ(json_string(r.body, "role"), "CLIENT");
    EXPECT_EQ(json_string(r.body, "updated_at").back(), 'Z');

    r = c.patch(
        path,
        "{\"first_name\": \"Ann\", \"address\": \"2 rue Neuve\", \"role\": \"AGENT\", \"email\": "
        "\"evil@example.com\", \"username\": \"hacker\", \"is_active\": false, \"id\": 1}",
        u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_keys(r.body), kProfileKeys);
    EXPECT_EQ(json_string(r.body, "first_name"), "Ann");
    EXPECT_EQ(json_string(r.body, "address"), "2 rue Neuve");
    EXPECT_EQ(json_string(r.body, "last_name"), "Smith");
    EXPECT_EQ(json_string(r.body, "role"), "CLIENT") << "other fields are ignored";
    EXPECT_EQ(json_string(r.body, "username"), u.username);
    EXPECT_EQ(json_int(r.body, "id"), u.id);
    EXPECT_NE(json_string(r.body, "email"), "evil@example.com");
    EXPECT_TRUE(c.token_valid(u.tokens.access)) << "is_active was ignored";

    r = c.call("PATCH", path, "last_name=Doe&phone_number=%2B4912345678", u.tokens.access,
               "application/x-www-form-urlencoded");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "last_name"), "Doe");
    EXPECT_EQ(json_string(r.body, "phone_number"), "+4912345678");
    r = c.patch(path, "{\"phone_number\": \"\"}", u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "phone_number"), "");
    r = c.patch(path, "{}", u.tokens.access);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "last_name"), "Doe");

    r = c.patch(path,
                "{\"first_name\": " + json_quote(std::string(151, 'a')) +
                    ", \"address\": " + json_quote(std::string(256, 'b')) +
                    ", \"phone_number\": \"12ab\", \"last_name\": 7}",
                u.tokens.access);
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(field_error(r, "first_name"), "Ensure this field has no more than 150 characters.")
        << r.body;
    EXPECT_EQ(field_error(r, "address"), "Ensure this field has no more than 255 characters.")
        << r.body;
    EXPECT_TRUE(json_has(r.body, "phone_number")) << r.body;
    EXPECT_EQ(field_error(r, "last_name"), "Not a valid string.") << r.body;
    r = c.patch(path, "{\"first_name\": " + json_quote(std::string(150, 'a')) + "}",
                u.tokens.access);
    EXPECT_EQ(r.status, 200) << "150 characters are allowed: " << r.body;
    expect_json_parse_error(c.patch(path, "\"Ann\"", u.tokens.access), "string body");
    r = c.call("PATCH", path, "first_name: Ann", u.tokens.access, "text/yaml");
    EXPECT_EQ(r.status, 415);

    r = c.get(path, u.tokens.access);
    EXPECT_EQ(json_string(r.body, "last_name"), "Doe") << "refused patches changed nothing";
    EXPECT_EQ(json_string(r.body, "first_name"), std::string(150, 'a'));
}

// ---------------------------------------------------------------------------------------------
// The permission matrix

TEST_F(ApiV2, ReadEndpointsNeedAnAgent) {
    ApiClient c = api();
    Account client = c.active_client("read_client", root_token());
    Account agent = c.agent("read_agent", root_token());
    ASSERT_GT(client.id, 0);
    ASSERT_GT(agent.id, 0);
    const std::vector<std::string> paths = {"/api/auth/users/",    "/api/auth/users/pending/",
                                            user_path(client.id),  user_path(agent.id),
                                            user_path(root2_->id), user_path(root_->id)};
    for (const auto& p : paths) {
        expect_missing_credentials(c.get(p), "anonymous " + p);
        expect_bad_token(c.get(p, "garbage"), "garbage " + p);
        expect_forbidden(c.get(p, client.tokens.access), "client " + p);
        EXPECT_EQ(c.get(p, agent.tokens.access).status, 200) << "agent " << p;
        EXPECT_EQ(c.get(p, root_token()).status, 200) << "superuser " << p;
    }
    // 401 and 403 come before 404.
    expect_missing_credentials(c.get(user_path(99999999)), "anonymous, missing user");
    expect_forbidden(c.get(user_path(99999999), client.tokens.access), "client, missing user");
    EXPECT_EQ(c.get(user_path(99999999), agent.tokens.access).status, 404);
}

// Who may validate / deactivate whom: AGENT → CLIENT only; SUPER_USER → anyone but a
// superuser; nobody → a superuser or themself; CLIENT → nobody; anonymous → 401.
TEST_F(ApiV2, ValidateAndDeactivateMatrix) {
    ApiClient c = api();
    Account client = c.active_client("vm_client", root_token());
    Account agent = c.agent("vm_agent", root_token());
    ASSERT_GT(client.id, 0);
    ASSERT_GT(agent.id, 0);
    enum Actor { anonymous, a_client, an_agent, superuser };
    enum TargetKind { t_client, t_agent, t_superuser, t_self };
    auto token_of = [&](Actor a) -> std::string {
        switch (a) {
            case anonymous:
                return "";
            case a_client:
                return client.tokens.access;
            case an_agent:
                return agent.tokens.access;
            case superuser:
                return root_token();
        }
        return "";
    };
    auto self_of = [&](Actor a) -> int64_t {
        return a == an_agent ? agent.id : a == superuser ? root_->id : client.id;
    };
    auto expected = [](Actor a, TargetKind t) {
        if (a == anonymous) return 401;
        if (a == a_client || t == t_superuser || t == t_self) return 403;
        if (a == an_agent) return t == t_client ? 200 : 403;
        return 200;
    };
    for (bool activate : {true, false}) {
        for (Actor a : {anonymous, a_client, an_agent, superuser}) {
            for (TargetKind t : {t_client, t_agent, t_superuser, t_self}) {
                int64_t target = 0;
                Account fresh;
                if (t == t_client) fresh = c.pending_client("vm_t");
                if (t == t_agent) fresh = c.agent("vm_ta", root_token());
                if (t == t_client || t == t_agent) {
                    ASSERT_GT(fresh.id, 0);
                    target = fresh.id;
                } else {
                    target = t == t_superuser ? root2_->id : self_of(a);
                }
                std::string what = std::string(activate ? "validate" : "deactivate") + " actor " +
                                   std::to_string(a) + " target " + std::to_string(t);
                HttpResponse r = c.post(user_path(target, "validate"),
                                        activate ? "{}" : "{\"is_active\": false}", token_of(a));
                int want = expected(a, t);
                EXPECT_EQ(r.status, want) << what << ": " << r.body;
                if (want == 401) expect_missing_credentials(r, what);
                if (want == 403) expect_forbidden(r, what);
                if (want == 200) {
                    EXPECT_EQ(json_bool(r.body, "/user/is_active"), activate) << what;
                    if (!fresh.tokens.access.empty()) {
                        EXPECT_EQ(c.token_valid(fresh.tokens.access), activate) << what;
                    }
                }
            }
        }
    }
    // The actors themselves were never touched.
    EXPECT_TRUE(c.token_valid(client.tokens.access));
    EXPECT_TRUE(c.token_valid(agent.tokens.access));
    EXPECT_TRUE(c.token_valid(root_token()));
    EXPECT_TRUE(c.token_valid(root2_->tokens.access));
    // 401 / 403 before 404.
    expect_missing_credentials(c.post(user_path(99999999, "validate"), "{}"), "anonymous, missing");
    expect_bad_token(c.post(user_path(99999999, "validate"), "{}", "garbage"), "garbage, missing");
    expect_forbidden(c.post(user_path(99999999, "validate"), "{}", client.tokens.access),
                     "client, missing");
    EXPECT_EQ(c.post(user_path(99999999, "validate"), "{}", agent.tokens.access).status, 404);
}

TEST_F(ApiV2, RejectMatrix) {
    ApiClient c = api();
    Account client = c.active_client("rm_client", root_token());
    Account agent = c.agent("rm_agent", root_token());
    Account other_agent = c.agent("rm_agent2", root_token());
    ASSERT_GT(client.id, 0);
    ASSERT_GT(agent.id, 0);
    ASSERT_GT(other_agent.id, 0);

    // A pending client: anyone agent-ish may reject it.
    Account p = c.pending_client("rm_p");
    expect_missing_credentials(c.del(user_path(p.id, "reject")), "anonymous → pending client");
    expect_bad_token(c.del(user_path(p.id, "reject"), "garbage"), "garbage → pending client");
    expect_forbidden(c.del(user_path(p.id, "reject"), client.tokens.access),
                     "client → pending client");
    EXPECT_EQ(c.del(user_path(p.id, "reject"), agent.tokens.access).status, 204);
    Account p2 = c.pending_client("rm_p");
    EXPECT_EQ(c.del(user_path(p2.id, "reject"), root_token()).status, 204);

    // Another agent: only a superuser, and only once it is inactive (409 before that).
    expect_missing_credentials(c.del(user_path(other_agent.id, "reject")), "anonymous → agent");
    expect_forbidden(c.del(user_path(other_agent.id, "reject"), client.tokens.access),
                     "client → agent");
    expect_forbidden(c.del(user_path(other_agent.id, "reject"), agent.tokens.access),
                     "agent → agent");
    HttpResponse r = c.del(user_path(other_agent.id, "reject"), root_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Only pending users can be rejected.");
    ASSERT_EQ(c.post(user_path(other_agent.id, "validate"), "{\"is_active\": false}", root_token())
                  .status,
              200);
    expect_forbidden(c.del(user_path(other_agent.id, "reject"), agent.tokens.access),
                     "agent → inactive agent");
    EXPECT_EQ(c.del(user_path(other_agent.id, "reject"), root_token()).status, 204);

    // Superusers and oneself: nobody.
    for (const Account* actor : {&client, &agent, root_}) {
        expect_forbidden(c.del(user_path(root2_->id, "reject"), actor->tokens.access),
                         actor->username + " → superuser");
        expect_forbidden(c.del(user_path(actor->id, "reject"), actor->tokens.access),
                         actor->username + " → self");
    }
    expect_missing_credentials(c.del(user_path(root2_->id, "reject")), "anonymous → superuser");
    // An agent on an active client: permitted, but the client is not pending.
    r = c.del(user_path(client.id, "reject"), agent.tokens.access);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_TRUE(c.token_valid(client.tokens.access)) << "a refused rejection changes nothing";
    // 401 / 403 before 404.
    expect_missing_credentials(c.del(user_path(99999999, "reject")), "anonymous, missing");
    expect_forbidden(c.del(user_path(99999999, "reject"), client.tokens.access), "client, missing");
    EXPECT_EQ(c.del(user_path(99999999, "reject"), agent.tokens.access).status, 404);
}

// ---------------------------------------------------------------------------------------------
// validate / deactivate effects

TEST_F(ApiV2, ValidationActivatesAndDeactivationRevokes) {
    ApiClient c = api();
    Account agent = c.agent("va_agent", root_token());
    ASSERT_GT(agent.id, 0);
    Account p = c.pending_client("va_p");
    ASSERT_GT(p.id, 0);
    EXPECT_FALSE(c.login(p));

    HttpResponse r = c.post(user_path(p.id, "validate"), "{\"reason\": \"Validation manuelle\"}",
                            agent.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_string(r.body, "detail"), "User validated.");
    EXPECT_EQ(json_int(r.body, "/user/id"), p.id);
    EXPECT_TRUE(json_bool(r.body, "/user/is_active"));
    EXPECT_FALSE(json_bool(r.body, "/user/email_verified"));
    EXPECT_TRUE(json_is_null(r.body, "/user/last_login"));
    EXPECT_EQ(json_string(r.body, "/user/role"), "CLIENT");
    ASSERT_TRUE(c.login(p)) << c.last_failure().body;
    auto second = c.login(p.username, p.password);
    ASSERT_TRUE(second);

    r = c.post(user_path(p.id, "validate"),
               "{\"is_active\": false, \"reason\": \"fraud suspected\"}", agent.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "User deactivated.");
    EXPECT_FALSE(json_bool(r.body, "/user/is_active"));
    for (const auto& t : {p.tokens, *second}) {
        EXPECT_FALSE(c.token_valid(t.access));
        expect_bad_token(c.get("/api/auth/profile/", t.access), "profile after deactivation");
        EXPECT_EQ(c.post("/api/auth/token/refresh/", "{\"refresh\": " + json_quote(t.refresh) + "}")
                      .status,
                  401);
    }
    EXPECT_FALSE(c.login(p));
    EXPECT_EQ(json_string(c.last_failure().body, "code"), "account_inactive");
    r = c.get("/api/auth/users/pending/?search=" + p.username, agent.tokens.access);
    EXPECT_EQ(json_array_size(r.body, ""), 1u) << r.body;

    // Validated again (form body): can log in; the old tokens stay dead.
    auto old = p.tokens;
    r = c.call("POST", user_path(p.id, "validate"), "is_active=true&reason=appeal",
               agent.tokens.access, "application/x-www-form-urlencoded");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(json_bool(r.body, "/user/is_active"));
    ASSERT_TRUE(c.login(p));
    EXPECT_FALSE(c.token_valid(old.access));
    // Validating an active user again is harmless and revokes nothing.
    EXPECT_EQ(c.post(user_path(p.id, "validate"), "", agent.tokens.access).status, 200);
    EXPECT_TRUE(c.token_valid(p.tokens.access));

    // The audit trail is in the log as one structured line per action.
    std::string log = server_->log();
    EXPECT_NE(log.find("\"action\":\"validate\""), std::string::npos);
    EXPECT_NE(log.find("\"reason\":\"Validation manuelle\""), std::string::npos);
    EXPECT_NE(log.find("\"action\":\"deactivate\""), std::string::npos);
    EXPECT_NE(log.find("\"reason\":\"fraud suspected\""), std::string::npos);
    EXPECT_NE(log.find("\"target_id\":\"" + std::to_string(p.id) + "\""), std::string::npos);

    // Bad inputs.
    const std::string path = user_path(p.id, "validate");
    r = c.post(path, "{\"is_active\": \"maybe\"}", agent.tokens.access);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "is_active"), "Must be a valid boolean.") << r.body;
    r = c.post(path, "{\"is_active\": [true]}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "is_active"), "Must be a valid boolean.") << r.body;
    r = c.post(path, "{\"is_active\": null}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "is_active"), "This field may not be null.") << r.body;
    r = c.post(path, "{\"reason\": " + json_quote(std::string(501, 'r')) + "}",
               agent.tokens.access);
    EXPECT_EQ(field_error(r, "reason"), "Ensure this field has no more than 500 characters.")
        << r.body;
    r = c.post(path, "{\"reason\": 5, \"is_active\": false}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "reason"), "Not a valid string.") << r.body;
    EXPECT_TRUE(c.token_valid(p.tokens.access)) << "a refused deactivation changes nothing";
    expect_json_parse_error(c.post(path, "[false]", agent.tokens.access), "array body");
    EXPECT_EQ(c.call("POST", path, "x", agent.tokens.access, "text/plain").status, 415);
    r = c.post(path, "{\"reason\": " + json_quote(std::string(500, 'r')) + "}",
               agent.tokens.access);
    EXPECT_EQ(r.status, 200) << "500 characters are allowed";
    EXPECT_EQ(c.post(user_path(99999999, "validate"), "{}", agent.tokens.access).status, 404);
    EXPECT_EQ(c.get(path, agent.tokens.access).status, 405);
}

// ---------------------------------------------------------------------------------------------
// reject effects

TEST_F(ApiV2, RejectionDeletesThePendingUser) {
    ApiClient c = api();
    Account agent = c.agent("rj_agent", root_token());
    ASSERT_GT(agent.id, 0);
    Account p = c.pending_client("rj_p");
    ASSERT_GT(p.id, 0);

    HttpResponse r = c.call("DELETE", user_path(p.id, "reject"), "{\"reason\": \"spam signup\"}",
                            agent.tokens.access);
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_TRUE(r.body.empty());
    EXPECT_FALSE(r.has_header("Content-Length"));
    r = c.get(user_path(p.id), agent.tokens.access);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(json_string(r.body, "detail"), "Not found.");
    EXPECT_EQ(c.del(user_path(p.id, "reject"), agent.tokens.access).status, 404);
    EXPECT_EQ(c.post(user_path(p.id, "validate"), "{}", agent.tokens.access).status, 404);
    EXPECT_FALSE(c.login(p));
    EXPECT_EQ(json_string(c.last_failure().body, "code"), "invalid_credentials");
    r = c.get("/api/auth/users/?search=" + p.username, agent.tokens.access);
    EXPECT_EQ(json_array_size(r.body, ""), 0u) << r.body;
    EXPECT_NE(server_->log().find("\"reason\":\"spam signup\""), std::string::npos);
    // The name is free again; the new account gets a new id.
    int64_t old_id = p.id;
    ASSERT_EQ(c.register_account(p).status, 201);
    EXPECT_GT(p.id, old_id);

    // An active user with tokens: 409 first; deactivated, then rejected, their tokens stay
    // dead, also after the same username is registered and validated again.
    Account u = c.active_client("rj_u", root_token());
    ASSERT_GT(u.id, 0);
    r = c.del(user_path(u.id, "reject"), agent.tokens.access);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(json_string(r.body, "detail"), "Only pending users can be rejected.");
    EXPECT_TRUE(c.token_valid(u.tokens.access));
    ASSERT_EQ(
        c.post(user_path(u.id, "validate"), "{\"is_active\": false}", agent.tokens.access).status,
        200);
    ASSERT_EQ(c.del(user_path(u.id, "reject"), agent.tokens.access).status, 204);
    EXPECT_FALSE(c.token_valid(u.tokens.access));
    expect_bad_token(c.get("/api/auth/profile/", u.tokens.access), "profile of a rejected user");
    Account again = u;
    ASSERT_EQ(c.register_account(again).status, 201);
    ASSERT_EQ(c.post(user_path(again.id, "validate"), "{}", agent.tokens.access).status, 200);
    ASSERT_TRUE(c.login(again));
    EXPECT_FALSE(c.token_valid(u.tokens.access));
    EXPECT_EQ(c.profile_status(u.tokens.access), 401);
    EXPECT_TRUE(c.token_valid(again.tokens.access));

    EXPECT_EQ(c.get(user_path(again.id, "reject"), agent.tokens.access).status, 405);
    EXPECT_EQ(c.post(user_path(again.id, "reject"), "{}", agent.tokens.access).status, 405);
    r = c.call("DELETE", user_path(again.id, "reject"), "{\"reason\": 1}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "reason"), "Not a valid string.") << r.body;
}

// ---------------------------------------------------------------------------------------------
// users list, pending, detail

TEST_F(ApiV2, UserListFiltersAndPagination) {
    ApiClient c = api();
    const std::string tag = "flt" + std::to_string(::getpid() % 100000);
    std::vector<Account> active, pending;
    for (int i = 0; i < 3; ++i) active.push_back(c.active_client(tag, root_token()));
    for (int i = 0; i < 2; ++i) pending.push_back(c.pending_client(tag));
    Account agent = c.agent(tag, root_token());
    std::vector<int64_t> ids;
    for (auto& a : active) ids.push_back(a.id);
    for (auto& a : pending) ids.push_back(a.id);
    ids.push_back(agent.id);
    for (int64_t id : ids) ASSERT_GT(id, 0);
    std::sort(ids.begin(), ids.end());
    ASSERT_EQ(c.patch("/api/auth/profile/", "{\"first_name\": \"Zebulon" + tag + "\"}",
                      active[1].tokens.access)
                  .status,
              200);

    auto list = [&](std::string_view query, std::string_view base = "/api/auth/users/") {
        return c.get(std::string(base) + "?" + std::string(query), agent.tokens.access);
    };
    auto id_list = [](const HttpResponse& r) {
        std::vector<int64_t> out;
        for (size_t i = 0; i < json_array_size(r.body, ""); ++i)
            out.push_back(json_int(r.body, "/" + std::to_string(i) + "/id"));
        return out;
    };

    HttpResponse r = list("search=" + tag);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.header("X-Total-Count"), "6");
    EXPECT_EQ(id_list(r), ids) << "ordered by id";
    EXPECT_EQ(json_keys(r.body.substr(1, r.body.find('}'))), kListItemKeys)
        << "the first item's fields";
    EXPECT_EQ(id_list(list("search=" + std::string("FLT") + tag.substr(3))), ids)
        << "case-insensitive";
    EXPECT_EQ(id_list(list("search=zebulon" + tag)), std::vector<int64_t>{active[1].id})
        << "first name";
    EXPECT_EQ(id_list(list("search=" + pending[0].username + "%40EXAMPLE")),
              std::vector<int64_t>{pending[0].id})
        << "email";

    r = list("role=AGENT&search=" + tag);
    EXPECT_EQ(id_list(r), std::vector<int64_t>{agent.id});
    EXPECT_EQ(r.header("X-Total-Count"), "1");
    EXPECT_EQ(json_array_size(list("role=CLIENT&search=" + tag).body, ""), 5u);
    r = list("role=SUPER_USER");
    EXPECT_EQ(json_array_size(r.body, ""), 2u) << r.body;
    EXPECT_EQ(json_string(r.body, "/0/role_display"), "Super User");
    EXPECT_EQ(json_array_size(list("role=&search=" + tag).body, ""), 6u)
        << "an empty filter is ignored";

    for (auto v : {"true", "True", "1"}) {
        r = list(std::string("is_active=") + v + "&search=" + tag);
        EXPECT_EQ(r.header("X-Total-Count"), "4") << v;
    }
    for (auto v : {"false", "False", "0"}) {
        r = list(std::string("is_active=") + v + "&search=" + tag);
        EXPECT_EQ(id_list(r), (std::vector<int64_t>{pending[0].id, pending[1].id})) << v;
    }

    r = list("limit=2&search=" + tag);
    EXPECT_EQ(id_list(r), (std::vector<int64_t>{ids[0], ids[1]}));
    EXPECT_EQ(r.header("X-Total-Count"), "6");
    EXPECT_EQ(id_list(list("limit=2&offset=2&search=" + tag)),
              (std::vector<int64_t>{ids[2], ids[3]}));
    EXPECT_EQ(id_list(list("offset=5&search=" + tag)), std::vector<int64_t>{ids[5]});
    r = list("offset=100&search=" + tag);
    EXPECT_EQ(json_array_size(r.body, ""), 0u);
    EXPECT_EQ(r.body, "[]");
    EXPECT_EQ(r.header("X-Total-Count"), "6");
    // LimitOffsetPagination: a bad or non-positive limit is the default, a huge one the
    // maximum; a bad or negative offset is 0.
    for (auto q :
         {"limit=abc", "limit=0", "limit=-3", "limit=100000", "limit=99999999999999999999999",
          "offset=-1", "offset=abc", "offset=", "limit=2x"}) {
        r = list(std::string(q) + "&search=" + tag);
        EXPECT_EQ(r.status, 200) << q;
        EXPECT_EQ(id_list(r), ids) << q;
    }

    r = list("role=BOSS");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "role"),
              "Select a valid choice. BOSS is not one of the available choices.")
        << r.body;
    r = list("role=client");
    EXPECT_EQ(field_error(r, "role"),
              "Select a valid choice. client is not one of the available choices.");
    r = list("is_active=maybe");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "is_active")) << r.body;

    // Pending: is_active=false forced, other filters and pagination apply.
    const char* pending_path = "/api/auth/users/pending/";
    r = list("search=" + tag, pending_path);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(id_list(r), (std::vector<int64_t>{pending[0].id, pending[1].id}));
    EXPECT_EQ(r.header("X-Total-Count"), "2");
    EXPECT_FALSE(json_bool(r.body, "/0/is_active"));
    EXPECT_EQ(id_list(list("is_active=true&search=" + tag, pending_path)),
              (std::vector<int64_t>{pending[0].id, pending[1].id}));
    r = list("limit=1&offset=1&search=" + tag, pending_path);
    EXPECT_EQ(id_list(r), std::vector<int64_t>{pending[1].id});
    EXPECT_EQ(r.header("X-Total-Count"), "2");
    EXPECT_EQ(list("role=BOSS", pending_path).status, 400);
    EXPECT_EQ(json_array_size(list("role=AGENT&search=" + tag, pending_path).body, ""), 0u);
}

TEST_F(ApiV2, UserListDefaultLimitIs100) {
    ApiClient c = api();
    const std::string tag = "bulk" + std::to_string(::getpid() % 100000);
    for (int i = 0; i < 101; ++i) ASSERT_GT(c.pending_client(tag).id, 0);
    HttpResponse r = c.get("/api/auth/users/?search=" + tag, root_token());
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json_array_size(r.body, ""), 100u);
    EXPECT_EQ(r.header("X-Total-Count"), "101");
    r = c.get("/api/auth/users/pending/?limit=5000&search=" + tag, root_token());
    EXPECT_EQ(json_array_size(r.body, ""), 101u);
    r = c.get("/api/auth/users/", root_token());
    EXPECT_EQ(json_array_size(r.body, ""), 100u);
    EXPECT_GT(std::stoll(r.header("X-Total-Count")), 101);
}

TEST_F(ApiV2, UserDetail) {
    ApiClient c = api();
    Account agent = c.agent("det_agent", root_token());
    Account u = c.active_client("det_u", root_token());
    Account p = c.pending_client("det_p");
    ASSERT_GT(u.id, 0);
    ASSERT_GT(p.id, 0);

    HttpResponse r = c.get(user_path(u.id), agent.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_keys(r.body), detail_keys());
    EXPECT_EQ(json_int(r.body, "id"), u.id);
    EXPECT_EQ(json_string(r.body, "username"), u.username);
    EXPECT_TRUE(json_bool(r.body, "is_active"));
    EXPECT_EQ(json_string(r.body, "last_login").back(), 'Z') << "set by the login";
    r = c.get(user_path(p.id), agent.tokens.access);
    EXPECT_FALSE(json_bool(r.body, "is_active"));
    EXPECT_TRUE(json_is_null(r.body, "last_login"));
    r = c.get(user_path(root2_->id), agent.tokens.access);
    EXPECT_EQ(json_string(r.body, "role"), "SUPER_USER");
    std::string no_slash = user_path(u.id);
    no_slash.pop_back();
    EXPECT_EQ(c.get(no_slash, agent.tokens.access).status, 200);

    for (std::string bad : {"/api/auth/users/abc/", "/api/auth/users/0/", "/api/auth/users/-1/",
                            "/api/auth/users/99999999/", "/api/auth/users/99999999999999999999999/",
                            "/api/auth/users/1.5/", "/api/auth/users/%31/"}) {
        r = c.get(bad, agent.tokens.access);
        EXPECT_EQ(r.status, 404) << bad;
        EXPECT_EQ(json_string(r.body, "detail"), "Not found.") << bad;
    }
    r = c.post(user_path(u.id), "{}", agent.tokens.access);
    EXPECT_EQ(r.status, 405);
    EXPECT_TRUE(r.has_header("Allow"));
}

// ---------------------------------------------------------------------------------------------
// Bad requests across the surface

TEST_F(ApiV2, OversizedBodiesAre413) {
    Account u = api().active_client("big", root_token());
    ASSERT_GT(u.id, 0);
    const size_t ten_mb = 10 * 1024 * 1024;
    struct Case {
        const char* method;
        std::string path;
        std::string token;
    };
    for (const Case& k : {Case{"POST", "/api/auth/register/", ""},
                          Case{"PATCH", "/api/auth/profile/", u.tokens.access},
                          Case{"POST", user_path(u.id, "validate"), root_token()}}) {
        RawConnection conn(server_->port());
        ASSERT_TRUE(conn.connected());
        std::string head =
            std::string(k.method) + " " + k.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            "Content-Type: application/json\r\nContent-Length: " + std::to_string(ten_mb) + "\r\n";
        if (!k.token.empty()) head += "Authorization: Bearer " + k.token + "\r\n";
        ASSERT_TRUE(conn.send(head + "\r\n{\"first_name\": \""));
        // The server may stop reading at the limit: send a little past it, not all 10 MB.
        std::string chunk(16 * 1024, 'a');
        for (int i = 0; i < 8; ++i) {
            if (!conn.send(chunk)) break;
        }
        auto r = conn.read_response();
        ASSERT_TRUE(r) << conn.error();
        EXPECT_EQ(r->status, 413) << k.path;
    }
    EXPECT_TRUE(api().token_valid(u.tokens.access));
}

TEST_F(ApiV2, WrongMethodsAndTypes) {
    ApiClient c = api();
    Account u = c.active_client("wm", root_token());
    ASSERT_GT(u.id, 0);
    HttpResponse r = c.get("/api/auth/register/");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"GET\" not allowed.");
    r = c.call("PUT", "/api/auth/profile/", "{}", u.tokens.access);
    EXPECT_EQ(r.status, 405);
    EXPECT_NE(r.header("Allow").find("PATCH"), std::string::npos) << r.header("Allow");
    EXPECT_EQ(c.get("/api/auth/logout/", u.tokens.access).status, 405);
    EXPECT_EQ(c.get("/api/auth/agents/create/", root_token()).status, 405);
    EXPECT_EQ(c.get("/api/auth/users/1/validate/", root_token()).status, 405);
    EXPECT_EQ(c.get("/api/auth/nothing-here/").status, 404);

    // Non-object JSON on every body-taking endpoint.
    for (auto body : {"[1, 2]", "\"text\"", "42", "null", "{\"a\": }"}) {
        expect_json_parse_error(c.post("/api/auth/register/", body),
                                std::string("register ") + body);
        expect_json_parse_error(c.post("/api/auth/logout/", body, u.tokens.access),
                                std::string("logout ") + body);
        expect_json_parse_error(c.post("/api/auth/password/reset/", body, u.tokens.access),
                                std::string("password ") + body);
        expect_json_parse_error(c.patch("/api/auth/profile/", body, u.tokens.access),
                                std::string("profile ") + body);
        expect_json_parse_error(c.post("/api/auth/agents/create/", body, root_token()),
                                std::string("agents ") + body);
        expect_json_parse_error(c.post(user_path(u.id, "validate"), body, root_token()),
                                std::string("validate ") + body);
    }
    EXPECT_TRUE(c.token_valid(u.tokens.access)) << "nothing above logged out or changed a password";
    // Wrong JSON types in otherwise good bodies.
    r = c.patch("/api/auth/profile/", "{\"address\": true, \"first_name\": {\"a\": 1}}",
                u.tokens.access);
    EXPECT_EQ(field_error(r, "address"), "Not a valid string.");
    EXPECT_EQ(field_error(r, "first_name"), "Not a valid string.");
    r = c.post("/api/auth/register/", "{\"username\": [\"a\"], \"email\": 3}");
    EXPECT_EQ(field_error(r, "username"), "Not a valid string.");
    EXPECT_EQ(field_error(r, "email"), "Not a valid string.");
    r = c.post("/api/auth/register/", std::string("{\"username\": \"u\", \"role\": 1}"));
    EXPECT_TRUE(json_has(r.body, "role")) << r.body;
}

}  // namespace
}  // namespace authd::test
