// Shared set-up of the forward-auth, introspection and nginx suites: one server per suite
// with a superuser, two service clients and a forward cookie, and small request helpers.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/api_client.hpp"
#include "tests/integration/harness.hpp"

namespace authd::test {

inline constexpr const char* kServiceRootPassword = "Sup3r-Secret-Pass!";
inline constexpr const char* kServiceClientSecret = "s3rvice-secret-0123456789";
inline constexpr const char* kForwardCookie = "authd_session";

inline std::string base64(std::string_view in) {
    static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
        uint32_t n = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
        out += t[(n >> 18) & 63];
        out += t[(n >> 12) & 63];
        out += i + 1 < in.size() ? t[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? t[n & 63] : '=';
    }
    return out;
}

inline std::string basic(std::string_view id, std::string_view secret) {
    return "Basic " + base64(std::string(id) + ":" + std::string(secret));
}

// A suite fixture whose server and superuser live for the whole suite.
class ServiceAuthSuite : public ::testing::Test {
  protected:
    static std::map<std::string, std::string> env() {
        return {{"AUTHD_ARGON2_OPS", "1"},
                {"AUTHD_ARGON2_MEMORY_KIB", "1024"},
                {"AUTHD_SUPERUSER_USERNAME", "root"},
                {"AUTHD_SUPERUSER_EMAIL", "root@example.com"},
                {"AUTHD_SUPERUSER_PASSWORD", kServiceRootPassword},
                {"AUTHD_FORWARD_COOKIE", kForwardCookie},
                {"AUTHD_CORS_ORIGINS", "https://app.example.com"},
                {"AUTHD_SERVICE_CLIENTS", std::string("gateway:") + kServiceClientSecret +
                                              ", billing:another-secret-of-20"}};
    }

    static void SetUpTestSuite() {
        server_ = new ServerProcess();
        auto started = server_->start(env());
        if (!started) {
            setup_error_ = "start failed: " + std::string(started.message());
            return;
        }
        ApiClient api(server_->port());
        auto pair = api.login("root", kServiceRootPassword);
        if (!pair) {
            setup_error_ = "superuser login failed: " + api.last_failure().body;
            return;
        }
        root_ = new Account{0, "root", "root@example.com", kServiceRootPassword, *pair};
    }

    static void TearDownTestSuite() {
        if (server_ && server_->running()) EXPECT_EQ(server_->stop(), 0);
        delete server_;
        delete root_;
        server_ = nullptr;
        root_ = nullptr;
        setup_error_.clear();
    }

    void SetUp() override {
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
        ASSERT_TRUE(server_ && server_->running()) << (server_ ? server_->log() : "");
    }

    int port() const { return server_->port(); }
    ApiClient api() const { return ApiClient(server_->port()); }
    const std::string& root_token() const { return root_->tokens.access; }

    // One request with the given headers on a fresh connection.
    HttpResponse send(std::string_view method, std::string_view path,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string_view body = {}) const {
        return request(port(), method, path, body, headers);
    }
    HttpResponse forward(std::string_view token, std::string_view path = "/auth/forward") const {
        return send("GET", path, {{"Authorization", "Bearer " + std::string(token)}});
    }
    HttpResponse oauth(std::string_view path, std::string_view token,
                       std::string_view auth = {}) const {
        std::string a = auth.empty() ? basic("gateway", kServiceClientSecret) : std::string(auth);
        return send("POST", path,
                    {{"Authorization", a}, {"Content-Type", "application/x-www-form-urlencoded"}},
                    "token=" + std::string(token) + "&token_type_hint=access_token");
    }

    static inline ServerProcess* server_ = nullptr;
    static inline Account* root_ = nullptr;
    static inline std::string setup_error_;
};

}  // namespace authd::test
