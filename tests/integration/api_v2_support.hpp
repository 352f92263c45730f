// The ApiV2 fixture and assertion helpers shared by the /api/auth/ integration files
// (test_api_v2*.cpp): one server for the whole suite, two superusers, DRF-shaped error checks.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/integration/api_client.hpp"
#include "tests/integration/harness.hpp"

// Not in an anonymous namespace: the suite's tests live in several files and GoogleTest
// requires one fixture type per suite.
namespace authd::test::api_v2 {

inline constexpr const char* kRootPassword = "Sup3r-Secret-Pass!";
inline constexpr const char* kNotAllowed = "You do not have permission to perform this action.";

inline std::map<std::string, std::string> server_env(std::string_view superuser) {
    return {{"AUTHD_ARGON2_OPS", "1"},
            {"AUTHD_ARGON2_MEMORY_KIB", "1024"},
            {"AUTHD_SUPERUSER_USERNAME", std::string(superuser)},
            {"AUTHD_SUPERUSER_EMAIL", std::string(superuser) + "@example.com"},
            {"AUTHD_SUPERUSER_PASSWORD", kRootPassword}};
}

// The first message of a field's error list.
inline std::string field_error(const HttpResponse& r, std::string_view field) {
    return json_string(r.body, "/" + std::string(field) + "/0");
}

inline bool has_message(const HttpResponse& r, std::string_view field, std::string_view message) {
    for (size_t i = 0; i < json_array_size(r.body, "/" + std::string(field)); ++i) {
        if (json_string(r.body, "/" + std::string(field) + "/" + std::to_string(i)) == message)
            return true;
    }
    return false;
}

inline void expect_missing_credentials(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Authentication credentials were not provided.");
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"api\"");
}

inline void expect_bad_token(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(json_string(r.body, "code"), "token_not_valid") << r.body;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"api\"");
}

inline void expect_forbidden(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), kNotAllowed);
}

inline void expect_json_parse_error(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_string(r.body, "detail").rfind("JSON parse error - ", 0), 0u) << r.body;
}

inline const std::vector<std::string> kProfileKeys = {
    "id",      "username", "email",        "first_name", "last_name", "phone_number",
    "address", "role",     "role_display", "created_at", "updated_at"};
inline const std::vector<std::string> kListItemKeys = {"id",           "username",  "email",
                                                       "first_name",   "last_name", "role",
                                                       "role_display", "is_active", "created_at"};

inline std::vector<std::string> detail_keys() {
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

}  // namespace authd::test::api_v2
