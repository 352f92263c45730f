// Helpers shared by the tests of several authd instances on one Redis and on a Redis Cluster:
// the instances' environment, JSON request bodies, verified accounts, a token checked across
// two instances, and timed polling.
#pragma once

#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "tests/integration/api_client.hpp"
#include "tests/integration/harness.hpp"

namespace authd::test {

// The environment of one instance on `store_url` mailing through `smtp_url`, with cheap
// hashing. A non-empty `admin` also creates that superuser (<admin>@example.com).
inline std::map<std::string, std::string> instance_env(const std::string& store_url,
                                                       const std::string& smtp_url,
                                                       std::string_view admin = {},
                                                       std::string_view admin_password = {}) {
    std::map<std::string, std::string> e{{"AUTHD_STORE", store_url},
                                         {"AUTHD_SMTP_URL", smtp_url},
                                         {"AUTHD_ARGON2_OPS", "1"},
                                         {"AUTHD_ARGON2_MEMORY_KIB", "1024"}};
    if (!admin.empty()) {
        e["AUTHD_SUPERUSER_USERNAME"] = std::string(admin);
        e["AUTHD_SUPERUSER_EMAIL"] = std::string(admin) + "@example.com";
        e["AUTHD_SUPERUSER_PASSWORD"] = std::string(admin_password);
    }
    return e;
}

// {"k":"v",...} with both sides JSON-quoted.
inline std::string json_body(std::initializer_list<std::pair<const char*, std::string>> fields) {
    std::string b = "{";
    for (auto& [k, v] : fields) {
        if (b.size() > 1) b += ",";
        b += json_quote(k) + ":" + json_quote(v);
    }
    return b + "}";
}

inline double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Polls `check` (every 200 µs) until it is true; the milliseconds it took, or nullopt after
// `limit`.
template <class F>
std::optional<double> time_until(F&& check, Millis limit = Millis(2000)) {
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
        if (check()) return ms_since(start);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return std::nullopt;
}

// Signup on `port`, then the verification link mailed to `sink` (waited for up to
// `mail_timeout`) opened there: an active CLIENT. Failures are recorded as test failures.
inline Account verified_account(SmtpSink& sink, int port, std::string_view prefix,
                                Millis mail_timeout = Millis(10000)) {
    Account acc = new_account(prefix);
    size_t mails_before = sink.messages().size();
    HttpResponse r = request(
        port, "POST", "/auth/signup/",
        json_body({{"username", acc.username}, {"email", acc.email}, {"password", acc.password}}));
    EXPECT_EQ(r.status, 201) << r.body;
    acc.id = json_int(r.body, "id");
    auto mails = sink.wait_for_messages(mails_before + 1, mail_timeout);
    EXPECT_GT(mails.size(), mails_before);
    if (mails.size() <= mails_before) return acc;
    std::string link = SmtpSink::extract_link(mails.back(), "/auth/verify-email/");
    size_t at = link.find("/auth/verify-email/");
    EXPECT_NE(at, std::string::npos) << mails.back();
    if (at == std::string::npos) return acc;
    HttpResponse v = request(port, "GET", link.substr(at));
    EXPECT_EQ(v.status, 200) << v.body;
    return acc;
}

// A login (POST /auth/token/) for `acc` on instance B: the access token B issues validates on
// both instances. Wrap in ASSERT_NO_FATAL_FAILURE: a refused login stops the check.
inline void expect_token_from_b_valid_on_both(int a_port, int b_port, const Account& acc) {
    HttpResponse login =
        request(b_port, "POST", "/auth/token/",
                json_body({{"username", acc.username}, {"password", acc.password}}));
    ASSERT_EQ(login.status, 200) << login.body;
    std::string access = json_string(login.body, "access");
    ApiClient on_a(a_port), on_b(b_port);
    EXPECT_TRUE(on_a.token_valid(access)) << "a token issued by B validates on A";
    EXPECT_TRUE(on_b.token_valid(access));
}

}  // namespace authd::test
