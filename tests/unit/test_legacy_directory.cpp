// The legacy-token directory grown while the server runs (imports on a shared Redis), the
// feed message that carries an imported user, and the signup id pool.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "auth/legacy_tokens.hpp"
#include "store/redis_id_pool.hpp"
#include "store/redis_subscriber.hpp"

namespace authd {
namespace {

TEST(LegacyDirectory, GrowsWhileViewsHeldStayValid) {
    auth::LegacyTokens legacy("django-key");
    legacy.add(7, {"alice", store::Role::agent});
    auto alice = legacy.find(7);
    ASSERT_TRUE(alice);
    EXPECT_EQ(alice->username, "alice");
    EXPECT_EQ(alice->role, store::Role::agent);
    EXPECT_FALSE(legacy.find(8));
    // Enough users to fill several arena chunks and rehash the map many times.
    for (int64_t id = 100; id < 30100; ++id)
        legacy.add(id, {"user" + std::to_string(id), store::Role::client});
    EXPECT_EQ(alice->username, "alice") << "a view outlives later additions";
    EXPECT_EQ(legacy.find(29999)->username, "user29999");
    EXPECT_EQ(legacy.size(), 30001u);
    legacy.add(7, {"alice", store::Role::agent});    // heard again: nothing changes
    legacy.add(7, {"alicia", store::Role::client});  // the id imported again after a deletion
    EXPECT_EQ(legacy.find(7)->username, "alicia");
    EXPECT_EQ(alice->username, "alice") << "the old bytes stay for readers still viewing them";
}

TEST(LegacyDirectory, MissingListsVersionZeroUsersItLacks) {
    auth::LegacyTokens legacy("django-key");
    legacy.add(1, {"a", store::Role::client});
    std::vector<std::pair<int64_t, uint32_t>> versions{{1, 0}, {2, 0}, {3, 1}, {4, 0}};
    EXPECT_EQ(legacy.missing(versions), (std::vector<int64_t>{2, 4}));
}

TEST(LegacyDirectory, ConcurrentReadersAndAWriter) {
    auth::LegacyTokens legacy("django-key");
    legacy.add(1, {"first", store::Role::client});
    std::thread writer([&] {
        for (int64_t id = 2; id < 20000; ++id) legacy.add(id, {"u" + std::to_string(id)});
    });
    size_t seen = 0;
    for (int i = 0; i < 20000; ++i) {
        auto who = legacy.find(1);
        ASSERT_TRUE(who);
        ASSERT_EQ(who->username, "first");
        if (legacy.find(i)) ++seen;
    }
    writer.join();
    EXPECT_EQ(legacy.size(), 19999u);
    EXPECT_GT(seen, 0u);
}

TEST(RedisChange, ParsesAnImportedUser) {
    auto c = store::parse_redis_change("abc i 42 1 bob.smith");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, 'i');
    EXPECT_EQ(c->number, 42);
    EXPECT_EQ(c->role, store::Role::agent);
    EXPECT_EQ(c->sid, "bob.smith");
    for (const char* bad : {"abc i 42 1", "abc i 42 1 ", "abc i x 1 bob", "abc i 42 3 bob",
                            "abc i 42 11 bob", "abc i 42"})
        EXPECT_FALSE(store::parse_redis_change(bad)) << bad;
}

TEST(RedisIdPool, HandsOutABlockInOrderAndTakesRefusedIdsBack) {
    store::RedisIdPool pool;
    EXPECT_FALSE(pool.take());
    EXPECT_TRUE(pool.begin_refill());
    EXPECT_FALSE(pool.begin_refill()) << "one refill at a time";
    pool.end_refill(11, 13);
    EXPECT_EQ(pool.take(), 11);
    EXPECT_EQ(pool.take(), 12);
    pool.give_back(12);
    EXPECT_EQ(pool.take(), 12);
    EXPECT_EQ(pool.take(), 13);
    EXPECT_FALSE(pool.take());
    EXPECT_TRUE(pool.begin_refill());
    pool.end_refill(20, 30);
    pool.discard();
    EXPECT_FALSE(pool.take());
}

}  // namespace
}  // namespace authd
