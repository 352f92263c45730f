// Integration tests of accounts under abuse (issue 10): parallel password guesses against the
// attempt reservation, throttle keys that follow the store's case folding, over-long names,
// a deactivation that a verification link must not undo, reject racing validate, and
// createsuperuser on an existing user. Each runs on both stores (see CMakeLists.txt).
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {
namespace {

constexpr const char* kRootPassword = "Root-Granite-Compass-77";

class AccountAbuse : public AuthV1Fixture {
  protected:
    // A server whose superuser "root" exists from the start, with `extra` settings.
    ::testing::AssertionResult start_with_root(std::map<std::string, std::string> extra = {}) {
        extra["AUTHD_SUPERUSER_USERNAME"] = "root";
        extra["AUTHD_SUPERUSER_EMAIL"] = "root@example.com";
        extra["AUTHD_SUPERUSER_PASSWORD"] = kRootPassword;
        return start(extra);
    }
    std::string root_token() const {
        auto t = tokens("root", kRootPassword);
        EXPECT_TRUE(t) << login("root", kRootPassword).body;
        return t ? t->access : std::string();
    }
    HttpResponse bearer(std::string_view method, std::string_view path, std::string_view body,
                        std::string_view token) const {
        std::vector<std::pair<std::string, std::string>> h = {
            {"Authorization", "Bearer " + std::string(token)}};
        if (!body.empty()) h.emplace_back("Content-Type", "application/json");
        return request(server_.port(), method, path, body, h);
    }
};

// Runs fn(i) for i in [0, n) on n threads released together; the answers in order.
template <typename Fn>
std::vector<HttpResponse> at_once(int n, Fn fn) {
    std::vector<HttpResponse> out(static_cast<size_t>(n));
    std::latch go(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            go.arrive_and_wait();
            out[static_cast<size_t>(i)] = fn(i);
        });
    }
    for (auto& t : threads) t.join();
    return out;
}

int count_status(const std::vector<HttpResponse>& rs, int status) {
    int n = 0;
    for (auto& r : rs) n += r.status == status ? 1 : 0;
    return n;
}

std::string password_change(std::string_view old_password) {
    return json_object({{"old_password", std::string(old_password)},
                        {"new_password", kNewPassword},
                        {"confirm_password", kNewPassword}});
}

// Finding 2: the attempt is reserved before hashing, so parallel guesses cannot all pass
// under the limit. Real Argon2 cost, so that the guesses overlap.
TEST_F(AccountAbuse, ParallelGuessesAfterFourFailuresGetOne401) {
    ASSERT_TRUE(start({{"AUTHD_LOGIN_MAX_FAILURES", "5"},
                       {"AUTHD_THREADS", "4"},
                       {"AUTHD_ARGON2_OPS", "2"},
                       {"AUTHD_ARGON2_MEMORY_KIB", "19456"}}));
    User kim = active_user("kim", "kim@example.com");
    ASSERT_GT(kim.id, 0);
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(login("kim", "Wrong-Guess-" + std::to_string(i)).status, 401);
    auto answers = at_once(40, [&](int i) { return login("kim", "Wrong-" + std::to_string(i)); });
    int unauthorized = count_status(answers, 401);
    int throttled = count_status(answers, 429);
    EXPECT_LE(unauthorized, 1) << "more guesses were checked than the limit allows";
    EXPECT_EQ(unauthorized + throttled, 40);
    EXPECT_EQ(login("kim", kPassword).status, 429) << "five failures: throttled";
}

// Finding 2, the password-change check: a stolen access token gives no more guesses.
TEST_F(AccountAbuse, ParallelOldPasswordGuessesGetOne400) {
    ASSERT_TRUE(start({{"AUTHD_LOGIN_MAX_FAILURES", "5"},
                       {"AUTHD_THREADS", "4"},
                       {"AUTHD_ARGON2_OPS", "2"},
                       {"AUTHD_ARGON2_MEMORY_KIB", "19456"}}));
    User lea = active_user("lea", "lea@example.com");
    auto pair = tokens("lea", kPassword);
    ASSERT_TRUE(pair);
    const std::string path = "/api/auth/password/reset/";
    for (int i = 0; i < 4; ++i) {
        HttpResponse r =
            bearer("POST", path, password_change("Wrong-Old-" + std::to_string(i)), pair->access);
        EXPECT_EQ(r.status, 400) << r.body;
    }
    auto answers = at_once(40, [&](int i) {
        return bearer("POST", path, password_change("Guess-" + std::to_string(i)), pair->access);
    });
    EXPECT_LE(count_status(answers, 400), 1);
    EXPECT_EQ(count_status(answers, 400) + count_status(answers, 429), 40);
    EXPECT_EQ(bearer("POST", path, password_change(kPassword), pair->access).status, 429);
}

// Finding 3: every spelling the store folds to one user shares that user's counter.
TEST_F(AccountAbuse, ThrottleFollowsUnicodeCaseFolding) {
    ASSERT_TRUE(start({{"AUTHD_LOGIN_MAX_FAILURES", "3"}}));
    User jose = active_user("josé", "jose@example.com");
    ASSERT_GT(jose.id, 0);
    for (const char* spelling : {"josé", "JOSÉ", "JoSé"})
        EXPECT_EQ(login(spelling, "Wrong-Password-1").status, 401) << spelling;
    EXPECT_EQ(login("josé", kPassword).status, 429) << "three failures of one user";
    EXPECT_EQ(login("JOSÉ", kPassword).status, 429);
}

// Finding 5: a name longer than any username is unknown at once and leaves no counter.
TEST_F(AccountAbuse, OverlongUsernameCreatesNoCounter) {
    ASSERT_TRUE(start({{"AUTHD_LOGIN_MAX_FAILURES", "3"}}));
    const std::string huge(4000, 'x');
    for (int i = 0; i < 5; ++i) {
        HttpResponse r = login(huge, "Wrong-Password-1");
        expect_detail(r, 401, kInvalidCredentials, "invalid_credentials");
    }
    if (RedisServer* redis = server_.redis()) {
        auto keys = redis->command({"KEYS", "{authd}:fail:name:*"});
        ASSERT_TRUE(keys);
        EXPECT_TRUE(keys->empty()) << *keys;
    }
}

// Finding 4: a deactivated pending user stays inactive; the earlier link is spent.
TEST_F(AccountAbuse, DeactivationIsNotUndoneByTheVerificationLink) {
    ASSERT_TRUE(start_with_root());
    HttpResponse s = signup("mona", "mona@example.com");
    ASSERT_EQ(s.status, 201) << s.body;
    int64_t id = json_int(s.body, "id");
    std::string link = mailed_path("mona@example.com", "/auth/verify-email/");
    ASSERT_FALSE(link.empty());
    std::string root = root_token();
    HttpResponse off = bearer("POST", "/api/auth/users/" + std::to_string(id) + "/validate/",
                              "{\"is_active\": false, \"reason\": \"fraud\"}", root);
    ASSERT_EQ(off.status, 200) << off.body;
    HttpResponse v = get(link);
    EXPECT_EQ(v.status, 400) << v.body;
    EXPECT_EQ(login("mona", kPassword).status, 403) << "still inactive";
    HttpResponse on = bearer("POST", "/api/auth/users/" + std::to_string(id) + "/validate/",
                             "{\"is_active\": true}", root);
    ASSERT_EQ(on.status, 200) << on.body;
    EXPECT_EQ(login("mona", kPassword).status, 200) << "an agent's validation activates";
}

// Finding 10: "delete only if still pending" is one store step. A validation racing a
// rejection either comes first (409, the user stays active) or finds no user (404); never
// are both answered as done.
TEST_F(AccountAbuse, RejectRacingValidateNeverDeletesAnActiveUser) {
    ASSERT_TRUE(start_with_root({{"AUTHD_THREADS", "4"}}));
    std::string root = root_token();
    std::vector<int64_t> ids;
    for (int i = 0; i < 12; ++i) {
        HttpResponse s = signup("pend" + std::to_string(i), "pend" + std::to_string(i) + "@x.org");
        ASSERT_EQ(s.status, 201) << s.body;
        ids.push_back(json_int(s.body, "id"));
    }
    for (int64_t id : ids) {
        std::string user = "/api/auth/users/" + std::to_string(id);
        auto answers = at_once(2, [&](int i) {
            return i == 0 ? bearer("POST", user + "/validate/", "{}", root)
                          : bearer("DELETE", user + "/reject/", {}, root);
        });
        const HttpResponse& validated = answers[0];
        const HttpResponse& rejected = answers[1];
        EXPECT_FALSE(validated.status == 200 && rejected.status == 204)
            << "user " << id << " validated and then deleted";
        HttpResponse after = bearer("GET", user + "/", {}, root);
        if (rejected.status == 204) EXPECT_EQ(after.status, 404) << after.body;
        if (rejected.status == 409) EXPECT_TRUE(json_bool(after.body, "is_active")) << after.body;
    }
}

// Finding 9: createsuperuser names an existing non-superuser and changes nothing.
TEST_F(AccountAbuse, CreateSuperuserOnAnExistingClientFails) {
    ASSERT_TRUE(start());
    User nina = active_user("nina", "nina@example.com");
    ASSERT_GT(nina.id, 0);
    std::map<std::string, std::string> env = {{"AUTHD_SUPERUSER_PASSWORD", kRootPassword},
                                              {"AUTHD_ARGON2_OPS", "1"},
                                              {"AUTHD_ARGON2_MEMORY_KIB", "1024"},
                                              {"AUTHD_SECRET_KEY", kSecretKey}};
    env["AUTHD_STORE"] = server_.env().at("AUTHD_STORE");
    if (!server_.redis()) ASSERT_EQ(server_.stop(), 0);  // the embedded store is locked
    CommandResult r =
        run_authd({"createsuperuser", "--username", "NINA", "--email", "n2@example.com"}, env);
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.exit_code, -1) << r.err;
    EXPECT_TRUE(icontains(r.err, "not a superuser")) << r.err;
    EXPECT_FALSE(icontains(r.out, "ready")) << r.out;
    if (!server_.redis()) ASSERT_TRUE(server_.restart());
    auto t = tokens("nina", kPassword);
    ASSERT_TRUE(t);
    EXPECT_EQ(json_string(validate(t->access).body, "role"), "CLIENT");
}

// The stored hash of user `id`: from Redis, or from the embedded store's files (stopped).
std::string stored_hashes(ServerProcess& server, int64_t id) {
    if (RedisServer* redis = server.redis())
        return redis->command({"HGET", "{authd}:user:" + std::to_string(id), "password_hash"})
            .value_or("");
    std::string all;
    for (const auto& f : std::filesystem::directory_iterator(server.data_dir()))
        all += read_file(f.path().string());
    return all;
}

// Finding 7: after the Argon2 cost was raised, a good login stores a hash of the new cost.
TEST_F(AccountAbuse, LoginRehashesWhenArgon2ParametersChanged) {
    ASSERT_TRUE(start());  // m=1024, t=1
    User omar = active_user("omar", "omar@example.com");
    ASSERT_GT(omar.id, 0);
    ASSERT_EQ(server_.stop(), 0);
    ASSERT_TRUE(start({{"AUTHD_ARGON2_OPS", "3"}, {"AUTHD_ARGON2_MEMORY_KIB", "2048"}}));
    EXPECT_EQ(login("omar", "Wrong-Password-1").status, 401);
    if (server_.redis()) EXPECT_FALSE(contains(stored_hashes(server_, omar.id), "m=2048,t=3"));
    EXPECT_EQ(login("omar", kPassword).status, 200);
    EXPECT_EQ(login("omar", kPassword).status, 200) << "the new hash verifies";
    ASSERT_EQ(server_.stop(), 0);
    EXPECT_TRUE(contains(stored_hashes(server_, omar.id), "$argon2id$v=19$m=2048,t=3,p=1$"));
    ASSERT_TRUE(start({{"AUTHD_ARGON2_OPS", "3"}, {"AUTHD_ARGON2_MEMORY_KIB", "2048"}}));
    EXPECT_EQ(login("omar", kPassword).status, 200);
}

// Finding 6 (in part): reset mails per account are limited; the answer never changes.
TEST_F(AccountAbuse, ResetMailsPerAccountAreLimited) {
    ASSERT_TRUE(start({{"AUTHD_RESET_MAILS_PER_HOUR", "2"}}));
    User pia = active_user("pia", "pia@example.com");
    ASSERT_GT(pia.id, 0);
    for (int i = 0; i < 5; ++i)
        expect_detail(request_reset("pia@example.com"), 200, kResetRequested);
    ASSERT_FALSE(wait_mail_to("pia@example.com", 3).empty()) << "verification + two resets";
    User quinn = active_user("quinn", "quinn@example.com");  // a later mail as a barrier
    ASSERT_GT(quinn.id, 0);
    EXPECT_EQ(mails_to("pia@example.com").size(), 3u) << "the other three were not sent";
}

}  // namespace
}  // namespace authd::test::v1
