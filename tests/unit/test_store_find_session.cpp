// Store::find_session on both backends (the embedded journal store and Redis on a private
// redis-server): a live session as stored, revoked or rotated; nothing once expired or unknown.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "store/embedded_store.hpp"
#include "store/redis_store.hpp"
#include "tests/unit/redis_server_fixture.hpp"
#include "tests/unit/store_test_support.hpp"

namespace authd::store {
namespace {

using namespace test_support;

class FindSession : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        auto clock = [now = now_us_] { return now->load(); };
        std::string error;
        if (GetParam() == "redis") {
            if (!testing_redis::redis_server_available())
                GTEST_SKIP() << "no /usr/bin/redis-server";
            ASSERT_EQ(redis_.start(), "");
            RedisStoreOptions o;
            o.subscribe = false;
            o.clock_us = clock;
            store_ = RedisStore::open(redis_.url(), o, error);
        } else {
            char tmpl[] = "/tmp/authd-findsession-XXXXXX";
            ASSERT_NE(mkdtemp(tmpl), nullptr);
            root_ = tmpl;
            EmbeddedStoreOptions o;
            o.clock_us = clock;
            store_ = EmbeddedStore::open(root_ + "/data", o, error);
        }
        ASSERT_TRUE(store_) << error;
    }
    void TearDown() override {
        if (store_) store_->close();
        store_.reset();
        destroy_finished_loops();
        std::error_code ec;
        if (!root_.empty()) std::filesystem::remove_all(root_, ec);
    }
    int64_t now_s() const { return now_us_->load() / 1000000; }

    testing_redis::RedisServerProcess redis_;
    std::string root_;
    std::shared_ptr<std::atomic<int64_t>> now_us_ = std::make_shared<std::atomic<int64_t>>(t0_us);
    std::unique_ptr<Store> store_;
};

TEST_P(FindSession, LiveSessionsAsStored) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("fs_user"), no_mail())).ok());
        int64_t exp = now_s() + 100;
        EXPECT_TRUE((co_await store_->create_session(session("s1", 1, "j1", exp))).ok());
        auto s = co_await store_->find_session("s1");
        EXPECT_TRUE(s && s->sid == "s1" && s->user_id == 1 && s->refresh_jti == "j1" &&
                    s->expires_at == exp && !s->revoked);
        EXPECT_TRUE((co_await store_->rotate_refresh("s1", "j1", "j2", exp + 50)).ok());
        s = co_await store_->find_session("s1");
        EXPECT_TRUE(s && s->refresh_jti == "j2" && s->expires_at == exp + 50);
        EXPECT_TRUE((co_await store_->revoke_session("s1")).ok());
        s = co_await store_->find_session("s1");
        EXPECT_TRUE(s && s->revoked);
        EXPECT_TRUE((co_await store_->find_session("nope")).not_found());  // an answer
        now_us_->fetch_add(int64_t{200} * 1000000);
        EXPECT_TRUE((co_await store_->find_session("s1")).not_found());  // expired
    });
}

INSTANTIATE_TEST_SUITE_P(Backends, FindSession, ::testing::Values("embedded", "redis"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param;
                         });

}  // namespace
}  // namespace authd::store
