// Unit tests of Redis Cluster redirects: parsing `MOVED <slot> <host>:<port>` errors and the
// endpoint's current target (redirect, forget, generation), without a Redis server.
#include <gtest/gtest.h>

#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "store/redis_endpoint.hpp"

namespace authd::store {
namespace {

// RedisEndpoint holds atomics and a mutex: it neither copies nor moves.
std::unique_ptr<RedisEndpoint> seeded(std::string host, int port) {
    auto e = std::make_unique<RedisEndpoint>();
    e->url.host = std::move(host);
    e->url.port = port;
    return e;
}

// parse_moved(error) accepts the error and reads these parts from it.
void expect_moved(std::string_view error, int slot, std::string_view host, int port) {
    auto m = parse_moved(error);
    ASSERT_TRUE(m) << error;
    EXPECT_EQ(m->slot, slot) << error;
    EXPECT_EQ(m->host, host) << error;
    EXPECT_EQ(m->port, port) << error;
}

TEST(RedisRedirect, ParsesIpv4Moved) {
    expect_moved("MOVED 3999 127.0.0.1:6381", 3999, "127.0.0.1", 6381);
}

TEST(RedisRedirect, ParsesIpv6WithAndWithoutBrackets) {
    expect_moved("MOVED 0 ::1:7000", 0, "::1", 7000);  // how Redis writes it
    expect_moved("MOVED 16383 [fe80::1:2]:7001", 16383, "fe80::1:2", 7001);
}

TEST(RedisRedirect, ParsesHostNameAndEmptyHost) {
    expect_moved("MOVED 12 redis-2.cache.internal:6379", 12, "redis-2.cache.internal", 6379);
    // unknown-endpoint: the host that answered
    expect_moved("MOVED 12 :6380", 12, "", 6380);
}

TEST(RedisRedirect, RejectsMalformed) {
    const char* bad[] = {
        "",
        "MOVED",
        "MOVED ",
        "MOVED 3999",
        "MOVED 3999 ",
        "MOVED 3999 127.0.0.1",
        "MOVED 3999 127.0.0.1:",
        "MOVED 3999 127.0.0.1:0",
        "MOVED 3999 127.0.0.1:65536",
        "MOVED 3999 127.0.0.1:63x",
        "MOVED 3999 127.0.0.1:-5",
        "MOVED 16384 127.0.0.1:6379",
        "MOVED -1 127.0.0.1:6379",
        "MOVED x 127.0.0.1:6379",
        "MOVED 3999 ?:6379",  // hostname endpoint type without a hostname
        "MOVED 3999 host name:6379",
        "MOVED 3999 127.0.0.1:6379 extra",
        "MOVED 3999 bad/host:6379",
        "MOVED 3999 -rf:6379",
        "MOVED 3999 []:6379",
        "MOVED 3999 [::1]6379",
        "MOVED 3999 [::1:6379",
        "ASK 3999 127.0.0.1:6381",
        "ERR MOVED 3999 127.0.0.1:6381",
        "moved 3999 127.0.0.1:6381",
        "READONLY You can't write against a read only replica.",
    };
    for (const char* e : bad) EXPECT_FALSE(parse_moved(e)) << e;
    std::string long_host(300, 'a');
    EXPECT_FALSE(parse_moved("MOVED 1 " + long_host + ":6379"));
}

TEST(RedisRedirect, FormatsAddresses) {
    EXPECT_EQ(format_redis_address({"127.0.0.1", 6379}), "127.0.0.1:6379");
    EXPECT_EQ(format_redis_address({"::1", 7000}), "[::1]:7000");
}

TEST(RedisRedirect, EndpointTargetFollowsAndForgets) {
    auto owned = seeded("127.0.0.1", 7000);
    RedisEndpoint& e = *owned;
    const RedisAddress seed{"127.0.0.1", 7000};
    EXPECT_EQ(e.target(), seed);
    uint64_t g0 = e.target_generation();

    ASSERT_TRUE(e.redirect(*parse_moved("MOVED 5 127.0.0.2:7002"), seed));
    EXPECT_EQ(e.target(), (RedisAddress{"127.0.0.2", 7002}));
    uint64_t g1 = e.target_generation();
    EXPECT_GT(g1, g0);

    // The same redirect heard again (another connection) changes nothing.
    ASSERT_TRUE(e.redirect(*parse_moved("MOVED 5 127.0.0.2:7002"), seed));
    EXPECT_EQ(e.target_generation(), g1);

    // A failure of some other address is not the target's failure.
    e.forget_redirect({"127.0.0.9", 7009});
    EXPECT_EQ(e.target(), (RedisAddress{"127.0.0.2", 7002}));
    EXPECT_EQ(e.target_generation(), g1);

    e.forget_redirect({"127.0.0.2", 7002});
    EXPECT_EQ(e.target(), seed);
    EXPECT_GT(e.target_generation(), g1);
    // Forgetting the seed is a no-op: there is nothing else to try.
    uint64_t g2 = e.target_generation();
    e.forget_redirect(seed);
    EXPECT_EQ(e.target(), seed);
    EXPECT_EQ(e.target_generation(), g2);
}

TEST(RedisRedirect, EmptyHostMeansTheAnsweringHost) {
    auto owned = seeded("127.0.0.1", 7000);
    RedisEndpoint& e = *owned;
    ASSERT_TRUE(e.redirect(*parse_moved("MOVED 5 :7005"), RedisAddress{"127.0.0.3", 7003}));
    EXPECT_EQ(e.target(), (RedisAddress{"127.0.0.3", 7005}));
}

TEST(RedisRedirect, RedirectBackToTheSeedClearsIt) {
    auto owned = seeded("::1", 7000);
    RedisEndpoint& e = *owned;
    ASSERT_TRUE(e.redirect(*parse_moved("MOVED 5 ::1:7001"), e.seed()));
    EXPECT_EQ(e.target(), (RedisAddress{"::1", 7001}));
    ASSERT_TRUE(e.redirect(*parse_moved("MOVED 5 [::1]:7000"), e.target()));
    EXPECT_EQ(e.target(), e.seed());
    // Nothing left to forget: a later failure of 7001 does not change the target.
    uint64_t g = e.target_generation();
    e.forget_redirect({"::1", 7001});
    EXPECT_EQ(e.target_generation(), g);
}

TEST(RedisRedirect, HostNamesAreResolvedToNumericAddresses) {
    auto owned = seeded("127.0.0.1", 7000);
    RedisEndpoint& e = *owned;
    ASSERT_TRUE(e.redirect(*parse_moved("MOVED 5 localhost:7004"), e.seed()));
    RedisAddress t = e.target();
    EXPECT_TRUE(t.host == "127.0.0.1" || t.host == "::1") << t.host;  // numeric now
    EXPECT_EQ(t.port, 7004);
}

TEST(RedisRedirect, TargetIsSafeAcrossThreads) {
    auto owned = seeded("127.0.0.1", 7000);
    RedisEndpoint& e = *owned;
    core::set_log_level(core::LogLevel::error);  // thousands of redirect lines otherwise
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&e, t] {
            for (int i = 0; i < 2000; ++i) {
                RedisRedirect r{5, "127.0.0." + std::to_string(2 + (i + t) % 3), 7001};
                e.redirect(r, e.seed());
                RedisAddress now = e.target();
                EXPECT_TRUE(now.port == 7001 || now.port == 7000);
                if (i % 7 == 0) e.forget_redirect(now);
            }
        });
    }
    for (auto& th : threads) th.join();
    core::set_log_level(core::LogLevel::info);
    RedisAddress last = e.target();
    EXPECT_TRUE(last.port == 7000 || last.port == 7001);
}

}  // namespace
}  // namespace authd::store
