// Tests of what only the embedded store has, driven through real core::Loops: login failures
// kept in memory only, compaction (the id counter, expired sessions, everything surviving
// it), the directory lock, the sync-failure convention, a killed writer and group commit.
// The behaviour both backends share is tested once, for both, in test_store_contract.cpp.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>

#include "store/embedded_store.hpp"
#include "tests/unit/store_test_support.hpp"

namespace authd::store {
namespace {

namespace fs = std::filesystem;
using namespace test_support;

class EmbeddedStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/authd-store-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        dir_ = root_ + "/data";
        now_us_->store(t0_us);
        open();
    }
    void TearDown() override {
        store_.reset();
        destroy_finished_loops();
        fs::remove_all(root_);
    }

    template <class F>
    void on_loop(F&& body) {
        test_support::on_loop(std::forward<F>(body), watchdog);
    }

    void open() {
        store_.reset();
        EmbeddedStoreOptions options = options_;
        options.clock_us = [now = now_us_] { return now->load(); };
        std::string error;
        store_ = EmbeddedStore::open(dir_, options, error);
        ASSERT_TRUE(store_) << error;
    }
    void reopen() {
        store_->close();
        destroy_finished_loops();
        open();
    }
    void compact_on_every_batch() {
        options_.compact_min_bytes = 1;
        options_.compact_max_bytes = 1;
    }
    void advance(std::chrono::seconds s) { now_us_->fetch_add(s.count() * 1000000); }
    int64_t now_s() const { return now_us_->load() / 1000000; }

    static constexpr core::Millis watchdog = 30s;
    std::string root_, dir_;
    std::shared_ptr<std::atomic<int64_t>> now_us_ = std::make_shared<std::atomic<int64_t>>(t0_us);
    EmbeddedStoreOptions options_;
    std::unique_ptr<EmbeddedStore> store_;
};

// ---- users and sessions through compaction --------------------------------------------------

TEST_F(EmbeddedStoreTest, IdCounterSurvivesCompaction) {
    on_loop([&](Loop&) -> Task<void> {
        for (const char* n : {"a", "b", "c"}) co_await store_->create_user(make_user(n), no_mail());
        EXPECT_TRUE(co_await store_->delete_user(3));
        auto d = co_await store_->create_user(make_user("d"), no_mail());
        EXPECT_TRUE(d->user && d->user->id == 4);
        EXPECT_TRUE(co_await store_->delete_user(4));
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto e = co_await store_->create_user(make_user("e"), no_mail());
        EXPECT_TRUE(e->user && e->user->id == 5);
        EXPECT_TRUE(co_await store_->delete_user(5));
    });
    // Compaction keeps no trace of deleted users; the counter must survive it.
    compact_on_every_batch();
    reopen();
    EXPECT_GE(store_->stats().compactions, 1u);
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto f = co_await store_->create_user(make_user("f"), no_mail());
        EXPECT_TRUE(f->user && f->user->id == 6);
        EXPECT_EQ(*co_await store_->count_users(), 3u);  // a, b, f
    });
}

TEST_F(EmbeddedStoreTest, ExpiredSessionsArePrunedAtCompaction) {
    on_loop([&](Loop&) -> Task<void> {
        co_await short_and_long_sessions(*store_, now_s());
        advance(61s);
        auto r = co_await store_->rotate_refresh("short", "j", "j2", now_s() + 60);
        EXPECT_EQ(r->status, RotateStatus::unknown);
    });
    EXPECT_EQ(store_->stats().sessions, 2u);
    compact_on_every_batch();
    reopen();  // compacts at open
    EXPECT_GE(store_->stats().compactions, 1u);
    EXPECT_EQ(store_->stats().sessions, 1u);
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->rotate_refresh("long", "k", "k2", now_s() + 60);
        EXPECT_EQ(r->status, RotateStatus::rotated);
    });
}

// ---- throttling ---------------------------------------------------------------------------

TEST_F(EmbeddedStoreTest, LoginFailureWindowsLiveInMemoryOnly) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->reserve_login_attempt("ip:127.0.0.1", 100, 60));
        EXPECT_EQ((co_await store_->login_failures("ip:127.0.0.1"))->count, 1u);
    });
    reopen();  // a restart forgets them
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->login_failures("ip:127.0.0.1"))->count, 0u);
    });
}

// ---- persistence, compaction, failure, concurrency -----------------------------------------

TEST_F(EmbeddedStoreTest, PlainRestartDoesNotCompact) {
    exercise_persistence([&]() -> Store& { return *store_; }, [&] { reopen(); }, now_s(), watchdog);
    EXPECT_EQ(store_->stats().compactions, 0u);
}

TEST_F(EmbeddedStoreTest, EverythingPersistsAcrossCompactions) {
    compact_on_every_batch();
    reopen();
    exercise_persistence([&]() -> Store& { return *store_; }, [&] { reopen(); }, now_s(), watchdog);
    EXPECT_GT(store_->stats().compactions, 0u);
    EXPECT_TRUE(fs::exists(dir_ + "/snapshot"));
}

TEST_F(EmbeddedStoreTest, SecondOpenOfTheDirectoryIsRefused) {
    std::string error;
    EXPECT_FALSE(EmbeddedStore::open(dir_, {}, error));
    EXPECT_NE(error.find("is in use by another authd process (pid " + std::to_string(getpid())),
              std::string::npos)
        << error;
}

TEST_F(EmbeddedStoreTest, FailedSyncIsNeverAcknowledged) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("kept"), no_mail()))->user);
        EXPECT_TRUE(co_await store_->ping());
        store_->simulate_sync_failure();
        auto r = co_await store_->create_user(make_user("lost"), no_mail());
        EXPECT_FALSE(r->user);
        EXPECT_FALSE(r->username_taken || r->email_taken);
        EXPECT_FALSE(co_await store_->ping());
        EXPECT_FALSE((co_await store_->create_user(make_user("later"), no_mail()))->user);
        EXPECT_FALSE(co_await store_->append_audit(audit(0, 0, 0, "", "")));
        EXPECT_TRUE((co_await store_->enqueue_mail(outbox())).unavailable());
        EXPECT_TRUE((co_await store_->delete_user(1)).unavailable())
            << "refused by the failed journal, not \"no such user\"";
        EXPECT_TRUE(co_await store_->find_user(1));  // reads still answer
    });
    EXPECT_TRUE(store_->stats().failed);
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->ping());
        EXPECT_TRUE(co_await store_->find_user_by_username("kept"));
        EXPECT_FALSE(co_await store_->find_user_by_username("lost"));
        auto r = co_await store_->create_user(make_user("lost"), no_mail());
        EXPECT_TRUE(r->user && r->user->id == 2);
    });
}

// A writer process killed mid-stream: its lock is released and every create it had
// acknowledged is there after recovery.
TEST_F(EmbeddedStoreTest, KilledWriterLosesNothingAcknowledged) {
    store_->close();  // fork with no other thread running (ThreadSanitizer insists)
    std::string dir = root_ + "/killed";
    int acks[2];
    ASSERT_EQ(pipe(acks), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(acks[0]);
        std::string error;
        auto db = EmbeddedStore::open(dir, {}, error);
        if (!db) _exit(2);
        on_loop([&](Loop&) -> Task<void> {
            for (int32_t i = 1;; ++i) {
                auto r = co_await db->create_user(make_user("k" + std::to_string(i)), no_mail());
                if (!r->user || write(acks[1], &i, sizeof i) != sizeof i) _exit(3);
            }
        });
        _exit(4);
    }
    close(acks[1]);
    int32_t last = 0, i = 0;
    while (last < 200 && read(acks[0], &i, sizeof i) == sizeof i) last = i;
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    while (read(acks[0], &i, sizeof i) == sizeof i) last = i;  // acks sent before it died
    close(acks[0]);
    std::string error;
    auto db = EmbeddedStore::open(dir, {}, error);
    ASSERT_TRUE(db) << error;
    on_loop([&](Loop&) -> Task<void> {
        size_t count = *co_await db->count_users();
        EXPECT_GE(count, static_cast<size_t>(last));
        for (int32_t k = 1; k <= last; ++k) {
            auto u = co_await db->find_user_by_username("k" + std::to_string(k));
            EXPECT_TRUE(u && u->id == k) << k;
        }
    });
    db->close();
}

TEST_F(EmbeddedStoreTest, OperationsAfterCloseFailAtOnce) {
    store_->close();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_FALSE(co_await store_->ping());
        EXPECT_TRUE((co_await store_->create_user(make_user("x"), no_mail())).unavailable());
        EXPECT_TRUE((co_await store_->find_user(1)).unavailable())
            << "closed: no answer, not \"no such user\"";
    });
    std::string error;
    auto other = EmbeddedStore::open(dir_, {}, error);  // the lock is released
    EXPECT_TRUE(other) << error;
}

TEST_F(EmbeddedStoreTest, ConcurrentWritesShareSyncs) {
    constexpr int n = 200;
    on_loop([&](Loop&) -> Task<void> {
        Join join(n);
        auto one = [](EmbeddedStore& s, int i, Join& j) -> Task<void> {
            co_await s.create_user(make_user("bulk" + std::to_string(i)), composes_nothing());
            j.done();
        };
        for (int i = 0; i < n; ++i) core::spawn(one(*store_, i, join));
        co_await join.wait();
        EXPECT_EQ(*co_await store_->count_users(), static_cast<size_t>(n));
    });
    auto st = store_->stats();
    EXPECT_GE(st.operations, static_cast<uint64_t>(n));
    EXPECT_LT(st.batches, static_cast<uint64_t>(n) / 2) << "group commit should merge syncs";
}

}  // namespace
}  // namespace authd::store
