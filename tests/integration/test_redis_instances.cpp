// Integration tests of several authd instances on one Redis: an account made on one is usable
// on the other, a logout or a refresh-token reuse on one is enforced by the other within
// 100 ms, and the servers ride out Redis dying, coming back, and coming back empty.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/api_client.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace authd::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kAdmin = "redisadmin";
constexpr const char* kAdminPassword = "Copper-Kettle-Whistles-88";

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

class RedisInstances : public ::testing::Test {
  protected:
    void SetUp() override {
        if (access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/redis-server";
        ASSERT_TRUE(redis_.start());
        ASSERT_TRUE(sink_.start());
    }

    std::map<std::string, std::string> env(bool with_admin) const {
        return instance_env(redis_.url(), sink_.url(), with_admin ? kAdmin : "", kAdminPassword);
    }
    void start_both() {
        ASSERT_TRUE(a_.start(env(true)));
        ASSERT_TRUE(b_.start(env(false)));
    }
    // start_both(), then a verified account made on A and logged in there (acc.tokens).
    void start_with_session_on_a(std::string_view prefix, Account& acc) {
        start_both();
        acc = verified_account(sink_, a_.port(), prefix);
        ASSERT_GT(acc.id, 0);
        ApiClient on_a(a_.port());
        ASSERT_TRUE(on_a.login(acc)) << on_a.last_failure().body;
    }

    RedisServer redis_;
    SmtpSink sink_;
    ServerProcess a_, b_;
};

TEST_F(RedisInstances, SignupAndVerifyOnOneLoginOnTheOther) {
    start_both();
    Account acc = verified_account(sink_, a_.port(), "cross");
    ASSERT_GT(acc.id, 0);
    ASSERT_NO_FATAL_FAILURE(expect_token_from_b_valid_on_both(a_.port(), b_.port(), acc));
    // Uniqueness holds across instances too.
    HttpResponse again = request(b_.port(), "POST", "/auth/signup/",
                                 json_body({{"username", acc.username},
                                            {"email", "other@example.com"},
                                            {"password", acc.password}}));
    EXPECT_EQ(again.status, 400) << again.body;
    HttpResponse ready = request(b_.port(), "GET", "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
}

TEST_F(RedisInstances, LogoutOnOneIsRefusedOnTheOtherWithin100ms) {
    start_both();
    Account acc = verified_account(sink_, a_.port(), "logout");
    ASSERT_GT(acc.id, 0);
    ApiClient on_a(a_.port()), on_b(b_.port());
    std::vector<double> delays;
    for (int i = 0; i < 40; ++i) {
        auto pair = on_a.login(acc.username, acc.password);
        ASSERT_TRUE(pair) << on_a.last_failure().body;
        ASSERT_TRUE(on_b.token_valid(pair->access)) << "round " << i;
        HttpResponse out = on_a.post("/api/auth/logout/", "{}", pair->access);
        ASSERT_EQ(out.status, 200) << out.body;
        auto took = time_until([&] { return !on_b.token_valid(pair->access); });
        ASSERT_TRUE(took) << "B still accepts the logged-out token after 2 s (round " << i << ")";
        delays.push_back(*took);
        EXPECT_FALSE(on_a.token_valid(pair->access));
    }
    std::printf(
        "[ redis ] logout on A refused on B after: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%zu "
        "logouts)\n",
        percentile(delays, 0.5), percentile(delays, 0.99), percentile(delays, 1.0), delays.size());
    EXPECT_LT(percentile(delays, 1.0), 100.0);
}

TEST_F(RedisInstances, RefreshReuseIsDetectedAcrossInstances) {
    start_both();
    Account acc = verified_account(sink_, a_.port(), "reuse");
    ASSERT_GT(acc.id, 0);
    ApiClient on_a(a_.port()), on_b(b_.port());
    auto first = on_a.login(acc.username, acc.password);
    ASSERT_TRUE(first);
    HttpResponse rotated =
        on_b.post("/api/auth/token/refresh/", json_body({{"refresh", first->refresh}}));
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    std::string second_access = json_string(rotated.body, "access");
    std::string second_refresh = json_string(rotated.body, "refresh");
    ASSERT_TRUE(on_a.token_valid(second_access));
    // The used refresh token comes back on the other instance: reuse, the session dies.
    HttpResponse replay =
        on_a.post("/api/auth/token/refresh/", json_body({{"refresh", first->refresh}}));
    EXPECT_EQ(replay.status, 401) << replay.body;
    EXPECT_FALSE(on_a.token_valid(second_access));
    auto took = time_until([&] { return !on_b.token_valid(second_access); });
    ASSERT_TRUE(took) << "B still accepts the revoked session's access token";
    EXPECT_LT(*took, 100.0);
    HttpResponse refresh_b =
        on_b.post("/api/auth/token/refresh/", json_body({{"refresh", second_refresh}}));
    EXPECT_EQ(refresh_b.status, 401) << refresh_b.body;
}

// Signups, logins and validations on both instances while Redis is killed and restarted:
// no crash, no 500, writes resume by themselves, and every acknowledged signup is there.
TEST_F(RedisInstances, RedisKilledAndRestartedMidLoad) {
    start_both();
    Account acc = verified_account(sink_, a_.port(), "steady");
    ASSERT_GT(acc.id, 0);
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::map<int, int> statuses;
    std::vector<std::string> acknowledged;
    auto worker = [&](int which) {
        int port = which == 0 ? a_.port() : b_.port();
        int other = which == 0 ? b_.port() : a_.port();
        ApiClient client(port);
        for (int i = 0; !stop.load(); ++i) {
            Account fresh = new_account("load" + std::to_string(which) + "x");
            HttpResponse s = request(port, "POST", "/auth/signup/",
                                     json_body({{"username", fresh.username},
                                                {"email", fresh.email},
                                                {"password", fresh.password}}));
            HttpResponse l =
                request(other, "POST", "/api/auth/login/",
                        json_body({{"username", acc.username}, {"password", acc.password}}));
            HttpResponse v{};
            if (l.status == 200) {
                v = request(port, "POST", "/auth/validate_token/",
                            json_body({{"token", json_string(l.body, "token")}}));
            }
            std::lock_guard lock(mutex);
            ++statuses[s.status];
            ++statuses[l.status];
            if (v.status) ++statuses[v.status];
            if (s.status == 201) acknowledged.push_back(fresh.username);
        }
    };
    std::thread w0(worker, 0), w1(worker, 1);
    std::this_thread::sleep_for(800ms);
    redis_.kill9();
    std::this_thread::sleep_for(1500ms);
    ASSERT_TRUE(redis_.restart());  // same port; the AOF is replayed
    // Writes resume by themselves (the connections reconnect after at most 5 s of backoff).
    auto resumed = time_until(
        [&] {
            Account probe = new_account("probe");
            return request(a_.port(), "POST", "/auth/signup/",
                           json_body({{"username", probe.username},
                                      {"email", probe.email},
                                      {"password", probe.password}}))
                       .status == 201;
        },
        10000ms);
    std::this_thread::sleep_for(500ms);
    stop = true;
    w0.join();
    w1.join();
    ASSERT_TRUE(resumed) << "signups did not resume after Redis came back";
    std::printf("[ redis ] writes resumed %.0f ms after Redis restarted\n", *resumed);
    std::string seen;
    for (auto& [status, n] : statuses)
        seen += std::to_string(status) + "×" + std::to_string(n) + " ";
    std::printf("[ redis ] statuses during the outage run: %s\n", seen.c_str());
    EXPECT_EQ(statuses.count(500), 0u) << seen;
    // A store that does not answer is never passed off as "wrong password" or "not found".
    EXPECT_EQ(statuses.count(401), 0u) << seen;
    EXPECT_EQ(statuses.count(404), 0u) << seen;
    EXPECT_EQ(statuses.count(0), 0u) << "a request got no answer: " << seen;
    EXPECT_GT(statuses[503], 0) << "the outage should have been visible: " << seen;
    EXPECT_TRUE(a_.running() && b_.running());
    // Nothing acknowledged was lost: every 201 username is taken on both instances. (A loop
    // whose connection is still backing off answers 503 for up to its backoff, ≤ 5 s.)
    ASSERT_FALSE(acknowledged.empty());
    for (size_t i = 0; i < acknowledged.size(); ++i) {
        int port = i % 2 ? a_.port() : b_.port();
        HttpResponse dup;
        time_until(
            [&] {
                dup = request(port, "POST", "/auth/signup/",
                              json_body({{"username", acknowledged[i]},
                                         {"email", "dup" + std::to_string(i) + "@example.com"},
                                         {"password", acc.password}}));
                return dup.status != 503;
            },
            8000ms);
        EXPECT_EQ(dup.status, 400)
            << acknowledged[i] << " was acknowledged but is gone: " << dup.body;
    }
    ApiClient on_b(b_.port());
    EXPECT_TRUE(on_b.login(acc.username, acc.password)) << on_b.last_failure().body;
}

// The path of the link in the newest mail that holds one under `prefix`.
std::string link_path(const std::vector<std::string>& mails, std::string_view prefix) {
    if (mails.empty()) return {};
    std::string link = SmtpSink::extract_link(mails.back(), prefix);
    size_t at = link.find(prefix);
    return at == std::string::npos ? std::string() : link.substr(at);
}

// With Redis gone, what needs the store answers 503 + Retry-After: never a wrong "no such
// user" (401/404), "invalid link" (400) or a logout that did not reach the other instances
// (200). Validation keeps answering from memory. Then Redis returns and all of it works.
TEST_F(RedisInstances, RedisDownGivesRetryableAnswersNotWrongOnes) {
    Account acc;
    ASSERT_NO_FATAL_FAILURE(start_with_session_on_a("outage", acc));
    ApiClient on_a(a_.port());
    auto admin = on_a.login(kAdmin, kAdminPassword);
    ASSERT_TRUE(admin) << on_a.last_failure().body;
    // Links mailed before the outage: a reset link, and a pending user's verification link.
    size_t before = sink_.messages().size();
    ASSERT_EQ(on_a.post("/auth/reset_password/", json_body({{"email", acc.email}})).status, 200);
    std::string reset =
        link_path(sink_.wait_for_messages(before + 1), "/auth/password_reset_confirm/");
    ASSERT_FALSE(reset.empty());
    Account pending = new_account("pend");
    ASSERT_EQ(on_a.post("/auth/signup/", json_body({{"username", pending.username},
                                                    {"email", pending.email},
                                                    {"password", pending.password}}))
                  .status,
              201);
    std::string verify = link_path(sink_.wait_for_messages(before + 2), "/auth/verify-email/");
    ASSERT_FALSE(verify.empty());

    redis_.kill9();
    struct Probe {
        const char* what;
        HttpResponse r;
    };
    std::vector<Probe> probes;
    auto probe = [&](const char* what, HttpResponse r) { probes.push_back({what, std::move(r)}); };
    probe("login", on_a.post("/auth/token/",
                             json_body({{"username", acc.username}, {"password", acc.password}})));
    probe("refresh",
          on_a.post("/api/auth/token/refresh/", json_body({{"refresh", acc.tokens.refresh}})));
    probe("profile", on_a.get("/api/auth/profile/", acc.tokens.access));
    probe("user detail", on_a.get(user_path(acc.id), admin->access));
    probe("user list", on_a.get("/api/auth/users/", admin->access));
    probe("signup", on_a.post("/auth/signup/", json_body({{"username", "x" + pending.username},
                                                          {"email", "x" + pending.email},
                                                          {"password", pending.password}})));
    probe("reset request", on_a.post("/auth/reset_password/", json_body({{"email", acc.email}})));
    probe("reset form", on_a.get(reset));
    probe("verify link", on_a.get(verify));
    probe("logout", on_a.post("/api/auth/logout/", "{}", acc.tokens.access));
    for (const Probe& p : probes) {
        EXPECT_EQ(p.r.status, 503) << p.what << ": " << p.r.body;
        EXPECT_FALSE(p.r.header("retry-after").empty()) << p.what;
    }
    EXPECT_EQ(request(a_.port(), "GET", "/readyz").status, 503);
    EXPECT_TRUE(ApiClient(b_.port()).token_valid(admin->access)) << "validation needs no Redis";

    ASSERT_TRUE(redis_.restart());
    // (The reset form first: a login spends reset links, as Django's token generator does.)
    auto back = time_until([&] { return on_a.get(reset).status == 200; }, 10000ms);
    ASSERT_TRUE(back) << "the reset link did not work again after the outage";
    EXPECT_EQ(on_a.get(verify).status, 200) << "the verification link still works";
    EXPECT_TRUE(on_a.login(acc.username, acc.password)) << on_a.last_failure().body;
    HttpResponse out = on_a.post("/api/auth/logout/", "{}", acc.tokens.access);
    EXPECT_EQ(out.status, 200) << out.body;
    auto refused = time_until([&] { return !ApiClient(b_.port()).token_valid(acc.tokens.access); });
    EXPECT_TRUE(refused) << "the logout, retried after the outage, reached the other instance";
}

// A Redis that stops answering (SIGSTOP: the socket stays open, nothing comes back) costs a
// writing request at most the command timeout (2 s), then 503; validation is not slowed.
TEST_F(RedisInstances, FrozenRedisNeverHangsARequest) {
    Account acc;
    ASSERT_NO_FATAL_FAILURE(start_with_session_on_a("frozen", acc));
    ApiClient on_a(a_.port());
    ASSERT_EQ(::kill(redis_.pid(), SIGSTOP), 0);
    struct Resume {  // SIGCONT even when an assertion returns early
        pid_t pid;
        ~Resume() { ::kill(pid, SIGCONT); }
    } resume{redis_.pid()};
    auto sent = Clock::now();
    HttpResponse login = on_a.post(
        "/auth/token/", json_body({{"username", acc.username}, {"password", acc.password}}));
    double took = ms_since(sent);
    EXPECT_EQ(login.status, 503) << login.body;
    EXPECT_FALSE(login.header("retry-after").empty());
    EXPECT_LT(took, 5000.0) << "bounded by the 2 s command timeout";
    auto validated = Clock::now();
    EXPECT_TRUE(ApiClient(b_.port()).token_valid(acc.tokens.access));
    EXPECT_LT(ms_since(validated), 1000.0) << "validation does not wait for Redis";
    ::kill(redis_.pid(), SIGCONT);
    auto back =
        time_until([&] { return on_a.login(acc.username, acc.password).has_value(); }, 10000ms);
    EXPECT_TRUE(back) << "logins did not resume after Redis thawed: " << on_a.last_failure().body;
}

TEST_F(RedisInstances, RedisRestartedEmptyIsReportedNotFatal) {
    start_both();
    Account acc = verified_account(sink_, a_.port(), "before");
    ASSERT_GT(acc.id, 0);
    ASSERT_TRUE(redis_.restart_empty());
    // Once reconnected (not merely while Redis is away), each instance says what happened.
    const std::string said = "Redis no longer holds this authd store";
    auto noticed = time_until(
        [&] {
            request(a_.port(), "GET", "/readyz");  // each readiness probe looks again
            request(b_.port(), "GET", "/readyz");
            return a_.log().find(said) != std::string::npos &&
                   b_.log().find(said) != std::string::npos;
        },
        10000ms);
    ASSERT_TRUE(noticed) << "the lost data was not reported:\n" << a_.log();
    ASSERT_TRUE(redis_.ping());
    for (int i = 0; i < 5; ++i) {  // Redis answers, yet neither instance is ready
        EXPECT_EQ(request(a_.port(), "GET", "/readyz").status, 503);
        EXPECT_EQ(request(b_.port(), "GET", "/readyz").status, 503);
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(request(a_.port(), "GET", "/healthz").status, 200);
    Account late = new_account("after");
    HttpResponse s = request(
        a_.port(), "POST", "/auth/signup/",
        json_body(
            {{"username", late.username}, {"email", late.email}, {"password", late.password}}));
    EXPECT_EQ(s.status, 503) << "writes must be refused into an emptied store: " << s.body;
    EXPECT_TRUE(a_.running() && b_.running());
    // A restarted instance starts a new store; the other keeps refusing until it restarts too.
    ASSERT_TRUE(a_.restart());
    EXPECT_EQ(request(a_.port(), "GET", "/readyz").status, 200);
    EXPECT_EQ(request(b_.port(), "GET", "/readyz").status, 503);
}

}  // namespace
}  // namespace authd::test
