// Tests of what only the Redis store has, from real core::Loops against a private
// redis-server: several instances sharing one store (their searches, mail leases, login
// failure windows and change notifications), session and throttling TTLs, pipelining,
// unreachable / frozen / emptied Redis, the script cache, URLs and databases. The behaviour
// both backends share (persistence across store and Redis restarts included) is tested once,
// for both, in test_store_contract.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "store/redis_endpoint.hpp"
#include "store/redis_store.hpp"
#include "store/redis_subscriber.hpp"
#include "tests/unit/redis_server_fixture.hpp"
#include "tests/unit/store_test_support.hpp"

namespace authd::store {
namespace {

using namespace test_support;
using testing_redis::RedisServerProcess;

// Records what a ChangeListener hears, from the subscriber's thread.
class RecordingListener final : public ChangeListener {
  public:
    void on_session_revoked(const std::string& sid, int64_t expires_at) override {
        add("r " + sid + " " + std::to_string(expires_at));
    }
    void on_token_version(int64_t user_id, uint32_t version) override {
        add("v " + std::to_string(user_id) + " " + std::to_string(version));
    }
    void on_user_removed(int64_t user_id) override { add("d " + std::to_string(user_id)); }
    void on_resync(const ValidationState& state) override {
        std::lock_guard lock(mutex_);
        ++resyncs_;
        last_state_ = state;
        cv_.notify_all();
    }

    // Waits until an event equal to `event` arrived; returns when it did (mono time).
    std::optional<core::MonoTime> wait_event(const std::string& event,
                                             core::Millis timeout = 5000ms) {
        std::unique_lock lock(mutex_);
        std::optional<core::MonoTime> at;
        cv_.wait_for(lock, timeout, [&] {
            for (auto& [e, t] : events_) {
                if (e == event) at = t;
            }
            return at.has_value();
        });
        return at;
    }
    bool wait_resyncs(int n, core::Millis timeout = 10000ms) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return resyncs_ >= n; });
    }
    int resyncs() {
        std::lock_guard lock(mutex_);
        return resyncs_;
    }
    ValidationState last_state() {
        std::lock_guard lock(mutex_);
        return last_state_;
    }
    std::vector<std::string> events() {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (auto& e : events_) out.push_back(e.first);
        return out;
    }

  private:
    void add(std::string e) {
        std::lock_guard lock(mutex_);
        events_.emplace_back(std::move(e), core::mono_now());
        cv_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::pair<std::string, core::MonoTime>> events_;
    int resyncs_ = 0;
    ValidationState last_state_;
};

class RedisStoreTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (!testing_redis::redis_server_available()) return;
        server_ = new RedisServerProcess;
        start_error_ = server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    void SetUp() override {
        if (!testing_redis::redis_server_available()) GTEST_SKIP() << "no /usr/bin/redis-server";
        ASSERT_TRUE(server_ && start_error_.empty()) << start_error_;
        if (server_->command({"PING"}) != "PONG") {
            ASSERT_EQ(server_->restart(), "");
        }
        ASSERT_EQ(server_->command({"FLUSHALL"}), "OK");
        server_->command({"SCRIPT", "FLUSH"});
        now_us_->store(t0_us);
        options_.subscribe = false;
        options_.mail_lease = 0ms;  // due_mail as a plain read (see MailIsLeasedToOneSender)
        open();
    }
    void TearDown() override {
        if (store_) store_->close();
        store_.reset();
        destroy_finished_loops();
    }

    RedisStoreOptions options_with_clock() const {
        RedisStoreOptions o = options_;
        o.clock_us = [now = now_us_] { return now->load(); };
        return o;
    }
    void open() {
        if (store_) store_->close();
        store_.reset();
        std::string error;
        store_ = RedisStore::open(server_->url(), options_with_clock(), error);
        ASSERT_TRUE(store_) << error;
    }
    void reopen() { open(); }  // a new instance on the same Redis
    // Mail leases of 60 s for the fixture's store (reopened with them) and for a second
    // instance on the same Redis, returned; nullptr with `error` set when it cannot open.
    std::unique_ptr<RedisStore> open_two_leasing_instances(std::string& error) {
        options_.mail_lease = 60s;
        open();
        return RedisStore::open(server_->url(), options_with_clock(), error);
    }
    void advance(std::chrono::seconds s) { now_us_->fetch_add(s.count() * 1000000); }
    int64_t now_s() const { return now_us_->load() / 1000000; }
    // authd_store_redis_connects_total from the store's metrics.
    uint64_t connects() const {
        std::string metrics;
        store_->append_metrics(metrics);
        const std::string name = "\nauthd_store_redis_connects_total ";
        size_t at = metrics.find(name);
        return at == std::string::npos
                   ? 0
                   : std::strtoull(metrics.c_str() + at + name.size(), nullptr, 10);
    }

    // Polls ping() on the loop until it answers `want` (a reconnect waits out the backoff).
    static Task<bool> wait_ping(Loop& loop, RedisStore& store, bool want,
                                core::Millis timeout = 8000ms) {
        auto until = core::mono_now() + timeout;
        while (core::mono_now() < until) {
            if ((co_await store.ping()).ok() == want) co_return true;
            co_await SleepFor{loop, 50ms};
        }
        co_return false;
    }

    static inline RedisServerProcess* server_ = nullptr;
    static inline std::string start_error_;
    std::shared_ptr<std::atomic<int64_t>> now_us_ = std::make_shared<std::atomic<int64_t>>(t0_us);
    RedisStoreOptions options_;
    std::unique_ptr<RedisStore> store_;
};

// ---- sessions and throttling: Redis's own expiry ---------------------------------------------

TEST_F(RedisStoreTest, SessionKeysCarryTtl) {
    on_loop([&](Loop&) -> Task<void> {
        co_await short_and_long_sessions(*store_, now_s());
        advance(61s);
        EXPECT_EQ((co_await store_->rotate_refresh("long", "k", "k2", now_s() + 60))->status,
                  RotateStatus::rotated);
    });
    // Every session key carries a TTL (Redis drops it on its own after expiry).
    std::string ttl = server_->command({"TTL", "{authd}:session:long"});
    EXPECT_GT(std::atoll(ttl.c_str()), 0) << ttl;
    EXPECT_GT(std::atoll(server_->command({"TTL", "{authd}:usess:1"}).c_str()), 0);
}

TEST_F(RedisStoreTest, LoginFailureWindowsAreSharedAndExpire) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->reserve_login_attempt("ip:127.0.0.1", 100, 60))->count, 1u);
    });
    EXPECT_GT(std::atoll(server_->command({"PTTL", "{authd}:fail:ip:127.0.0.1"}).c_str()), 0);
    reopen();  // unlike the embedded store's, these windows are shared: another instance sees them
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->login_failures("ip:127.0.0.1"))->count, 1u);
    });
}

// ---- several instances on one store -----------------------------------------------------------

// Each instance searches its own copy of the search text: changes made through another
// instance must show at its next search.
TEST_F(RedisStoreTest, SearchSeesChangesMadeByAnotherInstance) {
    std::string error;
    auto other = RedisStore::open(server_->url(), options_with_clock(), error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        UserQuery q;
        q.search = "zed";
        EXPECT_EQ((co_await store_->list_users(q))->total, 0u);
        co_await other->create_user(make_user("zed"), no_mail());
        co_await other->create_user(make_user("amy"), no_mail());
        auto page = co_await store_->list_users(q);
        EXPECT_TRUE(page->total == 1 && page->items.size() == 1 &&
                    page->items[0].username == "zed");
        UserPatch p;
        p.last_name = "Quixote";
        co_await other->update_user(2, p);
        q.search = "QUIXO";
        EXPECT_EQ((co_await store_->list_users(q))->total, 1u);
        co_await other->delete_user(2);
        EXPECT_EQ((co_await store_->list_users(q))->total, 0u);
        co_await other->delete_user(1);
        q.search = "zed";
        EXPECT_EQ((co_await store_->list_users(q))->total, 0u);  // its blob is gone altogether
        co_await other->create_user(make_user("zed"), no_mail());
        EXPECT_EQ((co_await store_->list_users(q))->total, 1u);
    });
    other->close();
}

// Two instances polling one outbox: a due mail goes to one sender only, until its lease ends.
TEST_F(RedisStoreTest, MailIsLeasedToOneSender) {
    std::string error;
    auto other = open_two_leasing_instances(error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        int64_t first = *co_await store_->enqueue_mail(outbox("one@x.org", t0_us));
        int64_t second = *co_await store_->enqueue_mail(outbox("two@x.org", t0_us));
        auto mine = co_await store_->due_mail(t0_us + 1, 1);
        EXPECT_TRUE(mine->size() == 1 && (*mine)[0].id == first);
        auto theirs = co_await other->due_mail(t0_us + 1, 10);
        EXPECT_TRUE(theirs->size() == 1 && (*theirs)[0].id == second)
            << "the leased mail is skipped";
        EXPECT_TRUE((co_await store_->due_mail(t0_us + 2, 10))->empty());
        // A sender that gives up (retry) hands the mail back at its new time.
        co_await store_->mail_retry(first, 1, t0_us + 5);
        auto again = co_await other->due_mail(t0_us + 5, 10);
        EXPECT_TRUE(again->size() == 1 && (*again)[0].id == first && (*again)[0].attempts == 1);
        // A sender that died: the lease runs out and the mail is due again.
        auto later = co_await store_->due_mail(t0_us + 1 + 60'000'000, 10);
        EXPECT_EQ(later->size(),
                  1u);  // `second` (leased at t0+1); `first` is leased until t0+5+60 s
        co_await other->mail_sent(second);
        EXPECT_TRUE((co_await store_->due_mail(t0_us + 200'000'000, 10))->size() ==
                    1);  // only `first`
    });
    other->close();
}

// An instance that stopped (or was killed) while holding mails: the next instance to open
// sees it gone from CLIENT LIST and hands its mails back at once.
TEST_F(RedisStoreTest, MailsClaimedByAStoppedInstanceAreReleasedAtOpen) {
    std::string error;
    auto other = open_two_leasing_instances(error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->enqueue_mail(outbox("held@x.org", t0_us));
        EXPECT_EQ((co_await other->due_mail(t0_us + 1, 10))->size(), 1u);  // claimed by `other`
        EXPECT_TRUE((co_await store_->due_mail(t0_us + 1, 10))->empty());
    });
    other->close();
    other.reset();
    // Its connection is dropped at this thread's next store call; the finished loops must go
    // too (a poll armed in a ring keeps a socket open until the ring is destroyed).
    on_loop([&](Loop&) -> Task<void> { co_await store_->ping(); });
    destroy_finished_loops();
    std::string holder = server_->command({"HGETALL", "{authd}:mail_lease"});
    holder = holder.substr(holder.find('\n') + 1);
    for (int i = 0; i < 200 && server_->command({"CLIENT", "LIST"}).find("name=authd-" + holder) !=
                                   std::string::npos;
         ++i) {
        std::this_thread::sleep_for(10ms);  // Redis notices the closed socket asynchronously
    }
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto due = co_await store_->due_mail(t0_us + 2, 10);
        EXPECT_TRUE(due->size() == 1 && (*due)[0].to == "held@x.org")
            << "the lease of the stopped instance stayed";
    });
}

// The same while every instance keeps running: the subscriber's housekeeping notices.
TEST_F(RedisStoreTest, MailsClaimedByAStoppedInstanceAreReleasedByTheOthers) {
    options_.mail_lease = 60s;
    options_.subscribe = true;
    options_.housekeeping_period = 100ms;
    open();
    RedisStoreOptions quiet = options_with_clock();
    quiet.subscribe = false;
    std::string error;
    auto other = RedisStore::open(server_->url(), quiet, error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->enqueue_mail(outbox("held@x.org", t0_us));
        EXPECT_EQ((co_await other->due_mail(t0_us + 1, 10))->size(), 1u);
    });
    other->close();
    other.reset();
    on_loop([&](Loop&) -> Task<void> { co_await store_->ping(); });  // drops `other`'s connection
    destroy_finished_loops();
    on_loop([&](Loop& loop) -> Task<void> {
        auto until = core::mono_now() + 5s;
        size_t due = 0;
        while (due == 0 && core::mono_now() < until) {
            co_await SleepFor{loop, 50ms};
            due = (co_await store_->due_mail(t0_us + 2, 10))->size();
        }
        EXPECT_EQ(due, 1u) << "the stopped instance's lease was not released";
    });
}

TEST_F(RedisStoreTest, ChangesReachAnotherInstanceQuickly) {
    RedisStoreOptions other = options_with_clock();
    other.subscribe = true;
    std::string error;
    auto instance_b = RedisStore::open(server_->url(), other, error);
    ASSERT_TRUE(instance_b) << error;
    RecordingListener heard;
    instance_b->set_change_listener(&heard);
    ASSERT_TRUE(heard.wait_resyncs(1)) << "the listener gets the full state first";
    core::MonoTime revoked_at{};
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("pat"), no_mail());
        co_await store_->create_session(session("sid-pat", 1, "j", now_s() + 500));
        revoked_at = core::mono_now();
        co_await store_->revoke_session("sid-pat");
        UserPatch bump;
        bump.bump_token_version = true;
        co_await store_->update_user(1, bump);
        co_await store_->delete_user(1);
    });
    auto seen = heard.wait_event("r sid-pat " + std::to_string(now_s() + 500));
    ASSERT_TRUE(seen);
    auto ms = std::chrono::duration<double, std::milli>(*seen - revoked_at).count();
    std::printf("[ redis ] revocation reached the other instance's listener after %.3f ms\n", ms);
    EXPECT_LT(ms, 100.0);
    ASSERT_TRUE(heard.wait_event("d 1"));
    auto events = heard.events();
    std::vector<std::string> want{"v 1 0", "r sid-pat " + std::to_string(now_s() + 500), "v 1 1",
                                  "d 1"};
    EXPECT_EQ(events, want);
    instance_b->close();
}

TEST_F(RedisStoreTest, SubscriberResyncsAfterRedisRestart) {
    RedisStoreOptions other = options_with_clock();
    other.subscribe = true;
    std::string error;
    auto instance_b = RedisStore::open(server_->url(), other, error);
    ASSERT_TRUE(instance_b) << error;
    RecordingListener heard;
    instance_b->set_change_listener(&heard);
    ASSERT_TRUE(heard.wait_resyncs(1));
    EXPECT_TRUE(instance_b->subscribed());
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("quinn"), no_mail());
        co_await store_->create_session(session("sid-q", 1, "j", now_s() + 500));
        co_await store_->revoke_session("sid-q");
    });
    ASSERT_EQ(server_->restart(), "");
    ASSERT_TRUE(heard.wait_resyncs(2, 15000ms)) << "no resync after the subscription came back";
    ValidationState state = heard.last_state();
    using TV = std::vector<std::pair<int64_t, uint32_t>>;
    EXPECT_EQ(state.token_versions, (TV{{1, 0}}));
    EXPECT_EQ(state.revoked_sessions.size(), 1u);
    // And it hears again.
    on_loop([&](Loop& loop) -> Task<void> {
        EXPECT_TRUE(co_await wait_ping(loop, *store_, true));
        UserPatch bump;
        bump.bump_token_version = true;
        EXPECT_TRUE(co_await store_->update_user(1, bump));
    });
    EXPECT_TRUE(heard.wait_event("v 1 1"));
    instance_b->close();
}

// ---- pipelining ---------------------------------------------------------------------------------

// Many commands in flight from one loop share its one connection (pipelined), and all land.
TEST_F(RedisStoreTest, ConcurrentCommandsArePipelined) {
    constexpr int n = 300;
    on_loop([&](Loop&) -> Task<void> { EXPECT_TRUE(co_await store_->ping()); });
    uint64_t connects_before = connects();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ(co_await create_users_concurrently(*store_, n), n);
        EXPECT_EQ(*co_await store_->count_users(), static_cast<size_t>(n));
    });
    EXPECT_EQ(connects(), connects_before) << "one connection per thread, not per command";
}

// ---- an unreachable, frozen or emptied Redis; the script cache; URLs and databases ----------

TEST_F(RedisStoreTest, UnreachableRedisFailsFastAndRecovers) {
    options_.command_timeout = 300ms;
    open();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("kept"), no_mail()))->user);
    });
    server_->stop();
    on_loop([&](Loop&) -> Task<void> {
        auto started = core::mono_now();
        auto r = co_await store_->create_user(make_user("lost"), no_mail());
        EXPECT_FALSE(r->user || r->username_taken || r->email_taken);  // the failure convention
        EXPECT_FALSE(co_await store_->ping());
        EXPECT_TRUE((co_await store_->find_user(1)).unavailable())
            << "nothing found because Redis did not answer";
        EXPECT_FALSE(co_await store_->update_user(1, UserPatch()));
        EXPECT_FALSE(co_await store_->create_session(session("s", 1, "j", now_s() + 10)));
        EXPECT_EQ((co_await store_->rotate_refresh("s", "j", "k", 1))->status,
                  RotateStatus::unknown);
        EXPECT_TRUE((co_await store_->revoke_session("s")).unavailable());
        EXPECT_TRUE((co_await store_->enqueue_mail(outbox())).unavailable());
        EXPECT_FALSE(co_await store_->append_audit(audit(0, 0, 0, "", "")));
        EXPECT_FALSE(co_await store_->delete_user(1));
        co_await store_->mail_sent(1);
        auto ms = std::chrono::duration_cast<core::Millis>(core::mono_now() - started).count();
        EXPECT_LT(ms, 1000) << "calls must fail fast while Redis is down";
    });
    std::string metrics;
    store_->append_metrics(metrics);
    EXPECT_EQ(metrics.find("authd_store_redis_unavailable_total 0"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("authd_store_redis_data_lost 0"), std::string::npos) << metrics;
    ASSERT_EQ(server_->start(), "");
    on_loop([&](Loop& loop) -> Task<void> {
        EXPECT_TRUE(co_await wait_ping(loop, *store_, true)) << "never reconnected";
        EXPECT_TRUE(co_await store_->find_user_by_username("kept"));
        EXPECT_TRUE((co_await store_->find_user_by_username("never-made")).not_found())
            << "Redis answered: nothing is there";
        auto r = co_await store_->create_user(make_user("later"), no_mail());
        // Not 2 necessarily: the id "lost" took is not handed out again (its script may
        // have run without an answer reaching us).
        EXPECT_TRUE(r->user && r->user->id >= 2);
    });
}

TEST_F(RedisStoreTest, FrozenRedisTimesOutAndRecovers) {
    options_.command_timeout = 300ms;
    open();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("a"), no_mail()))->user);
    });
    server_->freeze();
    on_loop([&](Loop&) -> Task<void> {
        auto started = core::mono_now();
        EXPECT_FALSE(co_await store_->find_user(1));
        auto ms = std::chrono::duration_cast<core::Millis>(core::mono_now() - started).count();
        EXPECT_GE(ms, 250);
        EXPECT_LT(ms, 1500);
        EXPECT_FALSE(co_await store_->ping());  // backing off: fails at once
    });
    server_->thaw();
    on_loop([&](Loop& loop) -> Task<void> {
        EXPECT_TRUE(co_await wait_ping(loop, *store_, true));
        EXPECT_TRUE(co_await store_->find_user(1));
    });
}

TEST_F(RedisStoreTest, LostDataIsDetectedAndWritesRefused) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("old"), no_mail()))->user);
        EXPECT_TRUE(co_await store_->ping());
    });
    ASSERT_EQ(server_->restart_empty(), "");
    on_loop([&](Loop& loop) -> Task<void> {
        // Redis answers again, but without this store's data: not ready, no writes.
        auto until = core::mono_now() + 8s;
        while (!store_->data_lost() && core::mono_now() < until) {
            co_await store_->ping();
            co_await SleepFor{loop, 50ms};
        }
        EXPECT_TRUE(store_->data_lost());
        EXPECT_FALSE(co_await store_->ping());
        auto r = co_await store_->create_user(make_user("new"), no_mail());
        EXPECT_FALSE(r->user || r->username_taken || r->email_taken);
        EXPECT_FALSE(co_await store_->create_session(session("s", 1, "j", now_s() + 10)));
        EXPECT_FALSE(co_await store_->find_user(1));
    });
    EXPECT_EQ(server_->command({"EXISTS", "{authd}:next_user_id"}), "0") << "nothing was written";
    reopen();  // a restarted instance starts a new, empty store
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->ping());
        auto r = co_await store_->create_user(make_user("new"), no_mail());
        EXPECT_TRUE(r->user && r->user->id == 1);
    });
}

TEST_F(RedisStoreTest, EmptiedScriptCacheIsRefilled) {
    on_loop([&](Loop&) -> Task<void> { co_await store_->create_user(make_user("s1"), no_mail()); });
    ASSERT_EQ(server_->command({"SCRIPT", "FLUSH"}), "OK");
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->create_user(make_user("s2"), no_mail());
        EXPECT_TRUE(r->user && r->user->id == 2);
        EXPECT_TRUE(co_await store_->find_user_by_username("S1"));
    });
}

TEST_F(RedisStoreTest, DatabaseNumberIsHonoured) {
    std::string error;
    auto in_db3 = RedisStore::open(server_->url(3), options_with_clock(), error);
    ASSERT_TRUE(in_db3) << error;
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await in_db3->create_user(make_user("three"), no_mail()))->user);
        EXPECT_FALSE(co_await store_->find_user_by_username("three"));
        EXPECT_TRUE(co_await in_db3->find_user_by_username("three"));
    });
    in_db3->close();
}

TEST_F(RedisStoreTest, OpenFailsClearlyWhenRedisIsUnreachable) {
    std::string error;
    auto started = core::mono_now();
    int port = testing_redis::pick_free_port();
    RedisStoreOptions o;
    o.open_timeout = 500ms;
    EXPECT_FALSE(RedisStore::open("redis://127.0.0.1:" + std::to_string(port), o, error));
    EXPECT_NE(error.find("cannot reach Redis at redis://127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << error;
    EXPECT_LT(core::mono_now() - started, 3s);
    EXPECT_FALSE(RedisStore::open("redis://127.0.0.1:notaport", o, error));
    EXPECT_NE(error.find("invalid Redis port"), std::string::npos) << error;
    EXPECT_FALSE(
        RedisStore::open("redis://:secret@127.0.0.1:" + std::to_string(server_->port()), o, error));
    EXPECT_NE(error.find("refused AUTH"), std::string::npos) << error;
    EXPECT_EQ(error.find("secret"), std::string::npos) << "the password must not be echoed";
}

TEST(RedisUrl, Parses) {
    std::string error;
    auto u = parse_redis_url("redis://localhost", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "localhost");
    EXPECT_EQ(u->port, 6379);
    EXPECT_EQ(u->db, 0);
    u = parse_redis_url("redis://10.0.0.5:6380/2", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "10.0.0.5");
    EXPECT_EQ(u->port, 6380);
    EXPECT_EQ(u->db, 2);
    u = parse_redis_url("redis://app:p%40ss@[::1]:7000/1", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 7000);
    EXPECT_EQ(u->username, "app");
    EXPECT_EQ(u->password, "p@ss");
    EXPECT_EQ(redacted_redis_url(*u), "redis://app:***@[::1]:7000/1");
    u = parse_redis_url("redis://secret@host:1/", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->password, "secret");
    EXPECT_TRUE(u->username.empty());
    for (const char* bad : {"http://x", "redis://", "redis://:6379", "redis://h:0",
                            "redis://h:70000", "redis://h/x", "redis://[::1", "redis://u:%zz@h"}) {
        EXPECT_FALSE(parse_redis_url(bad, error)) << bad;
        EXPECT_FALSE(error.empty());
    }
}

TEST(RedisChange, Parses) {
    auto r = parse_redis_change("abc r 1750000000 sid with space");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, 'r');
    EXPECT_EQ(r->number, 1750000000);
    EXPECT_EQ(r->sid, "sid with space");
    auto v = parse_redis_change("abc v 12 3");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->number, 12);
    EXPECT_EQ(v->version, 3);
    auto d = parse_redis_change("abc d 7");
    ASSERT_TRUE(d && d->kind == 'd' && d->number == 7);
    for (const char* bad :
         {"", "abc", "abc x 1", "abc v 1", "abc v 1 -2", "abc r 1", "abc r x sid", "abc d"}) {
        EXPECT_FALSE(parse_redis_change(bad)) << bad;
    }
}

}  // namespace
}  // namespace authd::store
