// Integration test of a Redis change feed that is down (issue 10, finding 12): the instance
// keeps validating from memory, but after a short grace /readyz answers 503 and a metric
// says so, so that a load balancer prefers instances that see others' revocations; the log
// says how long the feed was down once it is back.
#include <string>
#include <thread>

#include "tests/integration/harness.hpp"

namespace authd::test {
namespace {

using namespace std::chrono_literals;

bool wait_status(int port, std::string_view path, int want, Millis timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (request(port, "GET", path).status == want) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

TEST(RedisFeed, ReadyzIs503WhileTheChangeFeedIsDown) {
    RedisServer redis;
    ASSERT_TRUE(redis.start());
    ServerProcess server;
    ASSERT_TRUE(server.start({{"AUTHD_STORE", redis.url()}}));
    ASSERT_TRUE(wait_status(server.port(), "/readyz", 200, 5s));
    // Subscriptions are refused from now on, and the current one is dropped; every other
    // command keeps working.
    ASSERT_EQ(redis.command({"ACL", "SETUSER", "default", "-subscribe"}).value_or(""), "OK");
    ASSERT_NE(redis.command({"CLIENT", "KILL", "TYPE", "pubsub"}).value_or("-ERR"), "0");
    EXPECT_EQ(request(server.port(), "GET", "/healthz").status, 200);
    EXPECT_TRUE(wait_status(server.port(), "/readyz", 503, 10s))
        << "a stale instance must leave the load balancer";
    HttpResponse m = request(server.port(), "GET", "/metrics");
    EXPECT_NE(m.body.find("authd_store_redis_feed_stale 1"), std::string::npos);
    ASSERT_EQ(redis.command({"ACL", "SETUSER", "default", "+subscribe"}).value_or(""), "OK");
    EXPECT_TRUE(wait_status(server.port(), "/readyz", 200, 15s)) << "back once resubscribed";
    m = request(server.port(), "GET", "/metrics");
    EXPECT_NE(m.body.find("authd_store_redis_feed_stale 0"), std::string::npos);
    EXPECT_NE(server.log().find("\"down_ms\""), std::string::npos) << "the downtime is logged";
}

}  // namespace
}  // namespace authd::test
