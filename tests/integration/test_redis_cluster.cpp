// Integration tests of authd on a real three-master Redis Cluster: instances pointed at nodes
// that do not own the {authd} slot follow MOVED to the owner (the data really lands there),
// share users, sessions and revocations, survive a flushed script cache and a slot move, and
// a URL naming a database other than 0 is refused with a clear message.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>

#include "tests/integration/api_client.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/redis_cluster.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace authd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAdmin = "clusteradmin";
constexpr const char* kAdminPassword = "Copper-Kettle-Whistles-88";

// A metric's value from GET /metrics, -1 when absent.
int64_t metric(int port, std::string_view name) {
    std::string body = request(port, "GET", "/metrics").body;
    std::string line = "\n" + std::string(name) + " ";
    size_t at = body.find(line);
    return at == std::string::npos ? -1 : std::atoll(body.c_str() + at + line.size());
}

// Distinct authd instances (CLIENT SETNAME authd-<id>) connected to the node at `port`.
std::set<std::string> authd_clients(int port) {
    std::set<std::string> names;
    std::string list = RedisClusterServers::command(port, {"CLIENT", "LIST"}).value_or("");
    for (size_t at = list.find("name=authd-"); at != std::string::npos;
         at = list.find("name=authd-", at + 1)) {
        size_t end = list.find(' ', at);
        names.insert(list.substr(at + 5, end == std::string::npos ? end : end - at - 5));
    }
    return names;
}

// One cluster for the whole suite: forming it takes a second or two.
class RedisCluster : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (!redis_cluster_tools_available()) return;
        cluster_ = new RedisClusterServers;
        ::testing::AssertionResult started = cluster_->start();
        start_error_ = started ? "" : started.message();
    }
    static void TearDownTestSuite() {
        delete cluster_;
        cluster_ = nullptr;
    }

    void SetUp() override {
        if (!redis_cluster_tools_available())
            GTEST_SKIP() << "no /usr/bin/redis-server or /usr/bin/redis-cli";
        ASSERT_TRUE(cluster_ && start_error_.empty()) << start_error_;
        ASSERT_TRUE(sink_.start());
        slot_ = cluster_->slot_of("{authd}");
        ASSERT_GE(slot_, 0);
        owner_ = cluster_->owner_of(slot_);
        ASSERT_NE(owner_, 0) << "no node owns slot " << slot_;
        for (int p : cluster_->ports()) {
            if (p != owner_) others_.push_back(p);
        }
        ASSERT_EQ(others_.size(), 2u);
    }
    void TearDown() override {
        if (HasFailure() && cluster_) std::fprintf(stderr, "%s\n", cluster_->logs().c_str());
    }

    std::map<std::string, std::string> env(int node, bool with_admin) const {
        return instance_env(RedisClusterServers::url(node), sink_.url(), with_admin ? kAdmin : "",
                            kAdminPassword);
    }

    // Logs in on A, checks B accepts the token, logs out on A: B refuses it within 100 ms.
    void expect_logout_seen(ServerProcess& a, ServerProcess& b, const Account& acc, int rounds) {
        ApiClient on_a(a.port()), on_b(b.port());
        for (int i = 0; i < rounds; ++i) {
            auto pair = on_a.login(acc.username, acc.password);
            ASSERT_TRUE(pair) << on_a.last_failure().status << " " << on_a.last_failure().body;
            ASSERT_TRUE(on_b.token_valid(pair->access)) << "round " << i;
            HttpResponse out = on_a.post("/api/auth/logout/", "{}", pair->access);
            ASSERT_EQ(out.status, 200) << out.body;
            auto took = time_until([&] { return !on_b.token_valid(pair->access); });
            ASSERT_TRUE(took) << "B still accepts the logged-out token after 2 s (round " << i
                              << ")";
            EXPECT_LT(*took, 100.0) << "round " << i;
            EXPECT_FALSE(on_a.token_valid(pair->access));
        }
    }

    int keys_on(int port) const {
        auto n = RedisClusterServers::command(
            port, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot_)});
        return n ? std::atoi(n->c_str()) : -1;
    }

    static inline RedisClusterServers* cluster_ = nullptr;
    static inline std::string start_error_;
    SmtpSink sink_;
    int slot_ = -1;
    int owner_ = 0;
    std::vector<int> others_;  // the nodes that do not own the {authd} slot
};

TEST_F(RedisCluster, InstancesOnNonOwnerNodesShareOneStoreOnTheOwner) {
    ServerProcess a, b;
    ASSERT_TRUE(a.start(env(others_[0], true)));
    ASSERT_TRUE(b.start(env(others_[1], false)));
    EXPECT_NE(a.log().find("following the redirect"), std::string::npos) << "A was redirected";

    Account acc = verified_account(sink_, a.port(), "cluster", 5000ms);
    ASSERT_GT(acc.id, 0);
    ASSERT_NO_FATAL_FAILURE(expect_token_from_b_valid_on_both(a.port(), b.port(), acc));

    expect_logout_seen(a, b, acc, 5);
    EXPECT_EQ(request(a.port(), "GET", "/readyz").status, 200);
    EXPECT_EQ(request(b.port(), "GET", "/readyz").status, 200);

    // The data lives on the owner, nowhere else; both instances' connections went there.
    EXPECT_GT(keys_on(owner_), 0);
    EXPECT_EQ(keys_on(others_[0]), 0);
    EXPECT_EQ(keys_on(others_[1]), 0);
    EXPECT_GE(authd_clients(owner_).size(), 2u) << "CLIENT LIST on the owner sees both instances";
}

// Scripts are cached per node: after a flush (as after a failover to a node that never saw
// SCRIPT LOAD), EVALSHA answers NOSCRIPT and the store falls back to EVAL, in the same call.
TEST_F(RedisCluster, FlushedScriptCacheFallsBackToEval) {
    ServerProcess a;
    ASSERT_TRUE(a.start(env(others_[0], true)));
    Account acc = verified_account(sink_, a.port(), "noscript", 5000ms);
    ASSERT_GT(acc.id, 0);
    for (int p : cluster_->ports()) {
        ASSERT_EQ(RedisClusterServers::command(p, {"SCRIPT", "FLUSH"}), "OK");
        ASSERT_EQ(RedisClusterServers::command(p, {"CONFIG", "RESETSTAT"}), "OK");
    }
    ApiClient on_a(a.port());
    auto pair = on_a.login(acc.username, acc.password);
    ASSERT_TRUE(pair) << on_a.last_failure().status << " " << on_a.last_failure().body;
    EXPECT_TRUE(on_a.token_valid(pair->access));
    HttpResponse out = on_a.post("/api/auth/logout/", "{}", pair->access);
    EXPECT_EQ(out.status, 200) << out.body;
    EXPECT_FALSE(on_a.token_valid(pair->access));
    std::string stats = RedisClusterServers::command(owner_, {"INFO", "commandstats"}).value_or("");
    EXPECT_NE(stats.find("cmdstat_eval:"), std::string::npos) << "EVAL ran on the owner\n" << stats;
}

// An operator moves the {authd} slot to another node while two instances run: each call that
// meets MOVED fails once (503, the client retries), then every connection follows the slot.
TEST_F(RedisCluster, RunningInstancesFollowTheSlotWhenItMoves) {
    ServerProcess a, b;
    ASSERT_TRUE(a.start(env(others_[0], true)));
    ASSERT_TRUE(b.start(env(owner_, false)));
    Account acc = verified_account(sink_, a.port(), "moving", 5000ms);
    ASSERT_GT(acc.id, 0);
    ApiClient on_a(a.port()), on_b(b.port());
    ASSERT_TRUE(on_b.login(acc.username, acc.password));

    const int from = owner_, to = others_[1];
    std::string error;
    ASSERT_TRUE(cluster_->move_slot(slot_, from, to, error)) << error;
    EXPECT_EQ(keys_on(from), 0);
    EXPECT_GT(keys_on(to), 0);

    // Within a few retries (bounded), logins work again on both instances.
    for (ApiClient* client : {&on_a, &on_b}) {
        auto back = time_until([&] { return client->login(acc.username, acc.password); }, 3000ms);
        EXPECT_TRUE(back) << "port " << client->port() << ": " << client->last_failure().status
                          << " " << client->last_failure().body;
    }
    std::string moved_to = "\"to\":\"127.0.0.1:" + std::to_string(to) + "\"";
    EXPECT_NE(a.log().find(moved_to), std::string::npos) << "A logs the redirect to " << to;
    EXPECT_NE(b.log().find(moved_to), std::string::npos) << "B logs the redirect to " << to;

    expect_logout_seen(a, b, acc, 3);
    expect_logout_seen(b, a, acc, 3);
    auto ready = [&](ServerProcess& s) {
        return time_until([&] { return request(s.port(), "GET", "/readyz").status == 200; }, 3000ms)
            .has_value();
    };
    EXPECT_TRUE(ready(a));
    EXPECT_TRUE(ready(b));
    EXPECT_GE(authd_clients(to).size(), 2u) << "both instances now talk to the new owner";
}

// The node authd was redirected to dies right after its slot moved away: connecting to it
// fails, authd falls back to its configured (seed) node, which answers MOVED to the new owner.
// On its own cluster: the suite's one must keep all its nodes.
TEST_F(RedisCluster, UnreachableRedirectFallsBackToTheSeed) {
    RedisClusterServers own;
    ASSERT_TRUE(own.start());
    const int slot = own.slot_of("{authd}");
    const int dead = own.owner_of(slot);
    std::vector<int> rest;
    for (int p : own.ports()) {
        if (p != dead) rest.push_back(p);
    }
    ASSERT_EQ(rest.size(), 2u);
    const int seed = rest[0], next_owner = rest[1];
    ServerProcess a, b;
    ASSERT_TRUE(a.start(env(seed, true)));
    ASSERT_TRUE(b.start(env(next_owner, false)));
    Account acc = verified_account(sink_, a.port(), "fallback", 5000ms);
    ASSERT_GT(acc.id, 0);

    std::string error;
    ASSERT_TRUE(own.move_slot(slot, dead, next_owner, error)) << error;
    own.kill_node(dead);  // before authd sent it anything: no MOVED from it to learn from

    ApiClient on_a(a.port()), on_b(b.port());
    for (ApiClient* client : {&on_a, &on_b}) {
        auto back = time_until([&] { return client->login(acc.username, acc.password); }, 4000ms);
        EXPECT_TRUE(back) << "port " << client->port() << ": " << client->last_failure().status
                          << " " << client->last_failure().body;
    }
    EXPECT_NE(a.log().find("asking the configured node again"), std::string::npos);
    std::string moved_to = "\"to\":\"127.0.0.1:" + std::to_string(next_owner) + "\"";
    EXPECT_NE(a.log().find(moved_to), std::string::npos) << "A follows the seed's MOVED";
    // Both subscriptions came back (they were on the dead node too) and reloaded the state
    // (the first resync is the start's): logouts propagate again.
    auto resynced = [](ServerProcess& s) {
        return time_until(
                   [&] {
                       return metric(s.port(), "authd_store_redis_subscribed") == 1 &&
                              metric(s.port(), "authd_store_redis_resyncs_total") >= 2;
                   },
                   6000ms)
            .has_value();
    };
    EXPECT_TRUE(resynced(a));
    EXPECT_TRUE(resynced(b));
    expect_logout_seen(a, b, acc, 2);
}

// A Cluster has database 0 only: /1 must stop the start with a message that says so.
TEST_F(RedisCluster, DatabaseOtherThanZeroIsRefusedClearly) {
    ServerProcess s;
    auto e = env(others_[0], false);
    e["AUTHD_STORE"] = RedisClusterServers::url(others_[0]) + "/1";
    EXPECT_FALSE(s.start(e));
    int code = s.wait_exit(5000ms);
    EXPECT_NE(code, 0);
    EXPECT_NE(code, -1) << "authd did not exit";
    std::string log = s.log();
    EXPECT_NE(log.find("is a Redis Cluster node"), std::string::npos) << log;
    EXPECT_NE(log.find("must not name database 1"), std::string::npos) << log;
}

}  // namespace
}  // namespace authd::test
