// Tests of the Redis store through the Store interface from real core::Loops, against a
// private redis-server: the behavioural cases of the embedded store's suite (users,
// sessions, throttling, audit, outbox, validation state, persistence across store and Redis
// restarts) plus what only Redis has: other instances' changes, unreachable / frozen /
// emptied Redis, the script cache, URLs and databases.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/redis_endpoint.hpp"
#include "store/redis_store.hpp"
#include "store/redis_subscriber.hpp"
#include "tests/unit/redis_server_fixture.hpp"

namespace authd::store {
namespace {

using core::Loop;
using testing_redis::RedisServerProcess;
using namespace std::chrono_literals;

constexpr int64_t t0_us = 1'750'000'000'000'000;  // 2025-06-15

// Finished loops stay alive until the test ends (a poll of the thread's Redis connection may
// still be armed in their rings; the connection moves to the next loop on its next use).
std::mutex finished_mutex;
std::vector<std::unique_ptr<Loop>> finished_loops;

void destroy_finished_loops() {
    std::lock_guard lock(finished_mutex);
    finished_loops.clear();
}

// Runs body(loop) as a coroutine on a fresh loop on the calling thread until it finishes.
template <class F>
void on_loop(F&& body) {
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(64, 0, error));
    ASSERT_TRUE(loop) << error;
    Loop& l = *loop;
    auto wrapper = [](F& fn, Loop& lp) -> Task<void> {
        co_await fn(lp);
        lp.stop();
    };
    l.post([&] { core::spawn(wrapper(body, l)); });
    l.add_timer(core::mono_now() + 60s, [] {
        ADD_FAILURE() << "store operation never completed";
        std::abort();
    });
    l.run();
    std::lock_guard lock(finished_mutex);
    finished_loops.push_back(std::move(loop));
}

// co_await sleep_for(loop, d) inside on_loop bodies.
struct SleepFor {
    Loop& loop;
    core::Millis delay;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        loop.add_timer(loop.now() + delay, [h] { h.resume(); });
    }
    void await_resume() const noexcept {}
};

User make_user(const std::string& name, const std::string& email = "") {
    User u;
    u.username = name;
    u.email = email.empty() ? name + "@example.com" : email;
    u.first_name = "First " + name;
    u.last_name = "Last";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    return u;
}

// Built through functions: GCC 12 miscompiles braced aggregate temporaries in co_await.
Session session(std::string sid, int64_t user_id, std::string jti, int64_t expires_at) {
    Session s;
    s.sid = std::move(sid);
    s.user_id = user_id;
    s.refresh_jti = std::move(jti);
    s.expires_at = expires_at;
    return s;
}

AuditRecord audit(int64_t at, int64_t actor, int64_t target, std::string action,
                  std::string reason) {
    AuditRecord a;
    a.at_us = at;
    a.actor_id = actor;
    a.target_id = target;
    a.action = std::move(action);
    a.reason = std::move(reason);
    return a;
}

OutboxMail outbox(std::string to = "", int64_t next_attempt_us = 0) {
    OutboxMail m;
    m.to = std::move(to);
    m.subject = "s";
    m.text_body = "t";
    m.next_attempt_us = next_attempt_us;
    return m;
}

UserQuery all_users() {
    return UserQuery();
}

MailComposer no_mail() {
    return nullptr;
}

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
        options_.mail_lease =
            0ms;  // due_mail as a plain read, as the embedded store (see MailIsLeased...)
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
    void reopen() { open(); }
    void restart_redis() {
        store_->close();
        store_.reset();
        ASSERT_EQ(server_->restart(), "");
        open();
    }
    void advance(std::chrono::seconds s) { now_us_->fetch_add(s.count() * 1000000); }
    int64_t now_s() const { return now_us_->load() / 1000000; }

    // Polls ping() on the loop until it answers `want` (a reconnect waits out the backoff).
    static Task<bool> wait_ping(Loop& loop, RedisStore& store, bool want,
                                core::Millis timeout = 8000ms) {
        auto until = core::mono_now() + timeout;
        while (core::mono_now() < until) {
            if (co_await store.ping() == want) co_return true;
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

// ---- users --------------------------------------------------------------------------------

TEST_F(RedisStoreTest, CreateAndFindCaseInsensitively) {
    on_loop([&](Loop&) -> Task<void> {
        User u = make_user("Alice", "Alice@Example.com");
        u.role = Role::agent;
        auto r = co_await store_->create_user(u, no_mail());
        EXPECT_TRUE(r.user);
        if (!r.user) co_return;
        EXPECT_EQ(r.user->id, 1);
        EXPECT_EQ(r.user->username, "Alice");
        EXPECT_EQ(r.user->created_at_us, t0_us);
        EXPECT_EQ(r.user->updated_at_us, t0_us);
        auto by_id = co_await store_->find_user(1);
        EXPECT_TRUE(by_id && by_id->email == "Alice@Example.com" && by_id->role == Role::agent);
        EXPECT_TRUE(by_id && by_id->created_at_us == t0_us &&
                    by_id->password_hash == u.password_hash);
        auto by_name = co_await store_->find_user_by_username("aLiCe");
        EXPECT_TRUE(by_name && by_name->id == 1);
        auto by_email = co_await store_->find_user_by_email("ALICE@EXAMPLE.COM");
        EXPECT_TRUE(by_email && by_email->id == 1);
        EXPECT_FALSE(co_await store_->find_user(2));
        EXPECT_FALSE(co_await store_->find_user_by_username("alic"));
        EXPECT_FALSE(co_await store_->find_user_by_email("bob@example.com"));
        EXPECT_EQ(co_await store_->count_users(), 1u);
    });
}

TEST_F(RedisStoreTest, UsernameAndEmailUniqueCaseInsensitively) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(
            (co_await store_->create_user(make_user("alice", "alice@x.org"), no_mail())).user);
        auto name = co_await store_->create_user(make_user("ALICE", "other@x.org"), no_mail());
        EXPECT_FALSE(name.user);
        EXPECT_TRUE(name.username_taken);
        EXPECT_FALSE(name.email_taken);
        auto email = co_await store_->create_user(make_user("bob", "Alice@X.ORG"), no_mail());
        EXPECT_FALSE(email.user);
        EXPECT_FALSE(email.username_taken);
        EXPECT_TRUE(email.email_taken);
        auto both = co_await store_->create_user(make_user("Alice", "ALICE@x.org"), no_mail());
        EXPECT_TRUE(both.username_taken && both.email_taken && !both.user);
        auto unicode = co_await store_->create_user(make_user("Émile", "emile@x.org"), no_mail());
        EXPECT_TRUE(unicode.user);
        auto unicode2 = co_await store_->create_user(make_user("éMILE", "emile2@x.org"), no_mail());
        EXPECT_TRUE(unicode2.username_taken);
        EXPECT_EQ(co_await store_->count_users(), 2u);
    });
}

TEST_F(RedisStoreTest, CreateQueuesComposedMailAtomically) {
    on_loop([&](Loop&) -> Task<void> {
        MailComposer compose = [](const User& u) {
            OutboxMail m;
            m.to = u.email;
            m.subject = "Verify";
            m.text_body = "link for user " + std::to_string(u.id);
            return std::optional<OutboxMail>(m);
        };
        auto r = co_await store_->create_user(make_user("carol"), std::move(compose));
        EXPECT_TRUE(r.user && r.user->id == 1);
        auto due = co_await store_->due_mail(t0_us, 10);
        EXPECT_EQ(due.size(), 1u);
        if (due.empty()) co_return;
        EXPECT_EQ(due[0].id, 1);
        EXPECT_EQ(due[0].to, "carol@example.com");
        EXPECT_EQ(due[0].text_body, "link for user 1");
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->due_mail(t0_us, 10)).size(), 1u);
        // A taken username composes nothing and queues nothing.
        int calls = 0;
        MailComposer compose = [&calls](const User&) {
            ++calls;
            return std::optional<OutboxMail>(OutboxMail{});
        };
        auto r =
            co_await store_->create_user(make_user("carol", "c2@example.com"), std::move(compose));
        EXPECT_TRUE(r.username_taken);
        EXPECT_EQ(calls, 0);
        EXPECT_EQ((co_await store_->due_mail(t0_us, 10)).size(), 1u);
        // The next user with a mail gets the next id (the reservation was not burnt).
        MailComposer again = [](const User& u) {
            return std::optional<OutboxMail>(outbox(u.email));
        };
        auto d = co_await store_->create_user(make_user("dora"), std::move(again));
        EXPECT_TRUE(d.user && d.user->id == 2);
    });
}

TEST_F(RedisStoreTest, IdsIncreaseAndAreNeverReused) {
    on_loop([&](Loop&) -> Task<void> {
        for (const char* n : {"a", "b", "c"}) co_await store_->create_user(make_user(n), no_mail());
        EXPECT_TRUE(co_await store_->delete_user(3));
        EXPECT_FALSE(co_await store_->delete_user(3));
        auto d = co_await store_->create_user(make_user("d"), no_mail());
        EXPECT_TRUE(d.user && d.user->id == 4);
        EXPECT_TRUE(co_await store_->delete_user(4));
    });
    restart_redis();  // the counter survives a Redis restart (AOF)
    on_loop([&](Loop&) -> Task<void> {
        auto e = co_await store_->create_user(make_user("e"), no_mail());
        EXPECT_TRUE(e.user && e.user->id == 5);
        EXPECT_EQ(co_await store_->count_users(), 3u);  // a, b, e
    });
}

TEST_F(RedisStoreTest, UpdateUserAppliesPatch) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("dave", "dave@x.org"), no_mail());
        co_await store_->create_user(make_user("erin", "erin@x.org"), no_mail());
        advance(10s);
        UserPatch p;
        p.email = "David@X.org";
        p.first_name = "David";
        p.role = Role::super_user;
        p.is_active = true;
        p.email_verified = true;
        p.password_hash = "new-hash";
        p.bump_token_version = true;
        auto u = co_await store_->update_user(1, p);
        EXPECT_TRUE(u);
        if (!u) co_return;
        EXPECT_EQ(u->email, "David@X.org");
        EXPECT_EQ(u->first_name, "David");
        EXPECT_EQ(u->last_name, "Last");  // untouched
        EXPECT_EQ(u->role, Role::super_user);
        EXPECT_TRUE(u->is_active && u->email_verified);
        EXPECT_EQ(u->password_hash, "new-hash");
        EXPECT_EQ(u->token_version, 1u);
        EXPECT_EQ(u->updated_at_us, t0_us + 10'000'000);
        EXPECT_EQ(u->created_at_us, t0_us);
        EXPECT_FALSE(co_await store_->find_user_by_email("dave@x.org"));
        auto by_new = co_await store_->find_user_by_email("david@x.org");
        EXPECT_TRUE(by_new && by_new->id == 1);

        // Another user's email (any case): refused, nothing changes.
        UserPatch clash;
        clash.email = "ERIN@x.org";
        clash.first_name = "Nope";
        EXPECT_FALSE(co_await store_->update_user(1, clash));
        auto same = co_await store_->find_user(1);
        EXPECT_TRUE(same && same->first_name == "David");
        // Re-casing one's own email is fine.
        UserPatch own;
        own.email = "DAVID@x.org";
        auto recased = co_await store_->update_user(1, own);
        EXPECT_TRUE(recased && recased->email == "DAVID@x.org");
        EXPECT_TRUE(co_await store_->find_user_by_email("david@X.ORG"));

        // last_login alone leaves updated_at as it was (Django's update_last_login).
        advance(5s);
        UserPatch login;
        login.last_login_us = now_us_->load();
        auto logged = co_await store_->update_user(1, login);
        EXPECT_TRUE(logged && logged->last_login_us == now_us_->load());
        EXPECT_TRUE(logged && logged->updated_at_us == t0_us + 10'000'000);
        EXPECT_FALSE(co_await store_->update_user(99, login));
        auto unchanged = co_await store_->update_user(2, UserPatch());
        EXPECT_TRUE(unchanged && unchanged->username == "erin");
    });
    restart_redis();
    on_loop([&](Loop&) -> Task<void> {
        auto u = co_await store_->find_user_by_email("david@X.ORG");
        EXPECT_TRUE(u && u->token_version == 1 && u->role == Role::super_user &&
                    u->last_login_us == t0_us + 15'000'000 && u->password_hash == "new-hash");
    });
}

TEST_F(RedisStoreTest, DeleteUserRemovesSessions) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("frank"), no_mail());
        co_await store_->create_user(make_user("grace"), no_mail());
        EXPECT_TRUE(co_await store_->create_session(session("s-frank", 1, "j1", now_s() + 3600)));
        EXPECT_TRUE(co_await store_->create_session(session("s-grace", 2, "j2", now_s() + 3600)));
        EXPECT_TRUE(co_await store_->delete_user(1));
        auto r = co_await store_->rotate_refresh("s-frank", "j1", "j1b", now_s() + 7200);
        EXPECT_EQ(r.status, RotateStatus::unknown);
        EXPECT_FALSE(co_await store_->find_user_by_username("frank"));
        EXPECT_FALSE(co_await store_->find_user_by_email("frank@example.com"));
        auto again = co_await store_->create_user(make_user("frank"), no_mail());
        EXPECT_TRUE(again.user && again.user->id == 3);
        EXPECT_FALSE(co_await store_->create_session(session("s-ghost", 1, "j", now_s() + 60)));
        EXPECT_FALSE(co_await store_->create_session(session("", 2, "j", now_s() + 60)));
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto v = co_await store_->load_validation_state();
        EXPECT_EQ(v.token_versions.size(), 2u);
        auto r = co_await store_->rotate_refresh("s-grace", "j2", "j2b", now_s() + 7200);
        EXPECT_EQ(r.status, RotateStatus::rotated);
    });
}

TEST_F(RedisStoreTest, ListUsersFiltersSearchesAndPaginates) {
    on_loop([&](Loop&) -> Task<void> {
        for (int i = 1; i <= 30; ++i) {
            User u = make_user("user" + std::to_string(i));
            u.role = i % 3 == 0 ? Role::agent : Role::client;
            u.is_active = i % 2 == 0;
            if (i == 7) u.first_name = "Zoë";
            if (i == 8) u.last_name = "McSearchable";
            co_await store_->create_user(u, no_mail());
        }
        UserQuery all;
        all.limit = 10;
        auto page = co_await store_->list_users(all);
        EXPECT_EQ(page.total, 30u);
        EXPECT_EQ(page.items.size(), 10u);
        EXPECT_TRUE(!page.items.empty() && page.items.front().id == 1);
        all.offset = 25;
        page = co_await store_->list_users(all);
        EXPECT_EQ(page.total, 30u);
        EXPECT_EQ(page.items.size(), 5u);
        EXPECT_TRUE(!page.items.empty() && page.items.front().id == 26);
        all.offset = 40;
        EXPECT_TRUE((co_await store_->list_users(all)).items.empty());

        UserQuery agents;
        agents.role = Role::agent;
        page = co_await store_->list_users(agents);
        EXPECT_EQ(page.total, 10u);
        for (auto& u : page.items) EXPECT_EQ(u.role, Role::agent);
        agents.is_active = true;  // multiples of 6
        page = co_await store_->list_users(agents);
        EXPECT_EQ(page.total, 5u);
        EXPECT_TRUE(page.items.size() > 1 && page.items[1].id == 12);

        UserQuery inactive;
        inactive.is_active = false;
        EXPECT_EQ((co_await store_->list_users(inactive)).total, 15u);

        UserQuery search;
        search.search = "USER1";  // user1, user10..user19
        page = co_await store_->list_users(search);
        EXPECT_EQ(page.total, 11u);
        search.search = "zOË";  // first name, non-ASCII case
        page = co_await store_->list_users(search);
        EXPECT_TRUE(page.total == 1 && page.items.size() == 1 && page.items[0].id == 7);
        search.search = "mcsearch";  // last name
        EXPECT_EQ((co_await store_->list_users(search)).total, 1u);
        search.search = "user3@EXAMPLE";  // email
        EXPECT_EQ((co_await store_->list_users(search)).total, 1u);
        search.search.assign("user3\0example", 13);  // never across fields
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        search.search = "nobody";
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        search.search = "user2";
        search.limit = 3;
        search.offset = 2;
        page = co_await store_->list_users(search);
        EXPECT_EQ(page.total, 11u);  // user2, user20..user29
        EXPECT_EQ(page.items.size(), 3u);
        EXPECT_TRUE(!page.items.empty() && page.items[0].id == 21);
        search = all_users();
        search.search = "user";
        search.role = Role::agent;
        search.is_active = false;  // 3, 9, 15, 21, 27
        page = co_await store_->list_users(search);
        EXPECT_EQ(page.total, 5u);
        EXPECT_TRUE(page.items.size() == 5 && page.items[4].id == 27);

        // Updates and deletes keep the search text and the filters right.
        UserPatch p;
        p.first_name = "Renamed";
        p.role = Role::agent;
        co_await store_->update_user(7, p);
        search = all_users();
        search.search = "zoë";
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        search.search = "renamed";
        search.role = Role::agent;
        EXPECT_EQ((co_await store_->list_users(search)).total, 1u);
        UserQuery agents_now;
        agents_now.role = Role::agent;
        EXPECT_EQ((co_await store_->list_users(agents_now)).total, 11u);
        co_await store_->delete_user(7);
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        EXPECT_EQ((co_await store_->list_users(agents_now)).total, 10u);
        EXPECT_EQ((co_await store_->list_users(all_users())).total, 29u);
    });
}

// Each instance searches its own copy of the search text: changes made through another
// instance must show at its next search.
TEST_F(RedisStoreTest, SearchSeesChangesMadeByAnotherInstance) {
    std::string error;
    auto other = RedisStore::open(server_->url(), options_with_clock(), error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        UserQuery q;
        q.search = "zed";
        EXPECT_EQ((co_await store_->list_users(q)).total, 0u);
        co_await other->create_user(make_user("zed"), no_mail());
        co_await other->create_user(make_user("amy"), no_mail());
        auto page = co_await store_->list_users(q);
        EXPECT_TRUE(page.total == 1 && page.items.size() == 1 && page.items[0].username == "zed");
        UserPatch p;
        p.last_name = "Quixote";
        co_await other->update_user(2, p);
        q.search = "QUIXO";
        EXPECT_EQ((co_await store_->list_users(q)).total, 1u);
        co_await other->delete_user(2);
        EXPECT_EQ((co_await store_->list_users(q)).total, 0u);
        co_await other->delete_user(1);
        q.search = "zed";
        EXPECT_EQ((co_await store_->list_users(q)).total, 0u);  // its blob is gone altogether
        co_await other->create_user(make_user("zed"), no_mail());
        EXPECT_EQ((co_await store_->list_users(q)).total, 1u);
    });
    other->close();
}

// Several blobs (1024 ids each), concurrent creates with mail (reserved ids may commit out
// of order), then searches compared with a brute-force answer.
TEST_F(RedisStoreTest, SearchAcrossBlobsMatchesBruteForce) {
    constexpr int n = 2600;
    options_.command_timeout = 20s;  // thousands of pipelined scripts on a possibly busy machine
    open();
    on_loop([&](Loop&) -> Task<void> {
        struct Join {
            int remaining;
            std::coroutine_handle<> waiter;
        } join{n, {}};
        auto one = [](RedisStore& s, int i, Join& j) -> Task<void> {
            User u = make_user("member" + std::to_string(i),
                               "m" + std::to_string(i) + "@corp" + std::to_string(i % 7) + ".org");
            u.role = i % 5 == 0 ? Role::agent : Role::client;
            u.is_active = i % 3 != 0;
            MailComposer compose = [](const User& nu) {
                return std::optional<OutboxMail>(outbox(nu.email));
            };
            co_await s.create_user(u, i % 2 ? std::move(compose) : nullptr);
            if (--j.remaining == 0 && j.waiter) j.waiter.resume();
        };
        for (int i = 0; i < n; ++i) core::spawn(one(*store_, i, join));
        struct Wait {
            Join& j;
            bool await_ready() { return j.remaining == 0; }
            void await_suspend(std::coroutine_handle<> h) { j.waiter = h; }
            void await_resume() {}
        };
        co_await Wait{join};
        UserQuery everyone;
        everyone.limit = n;
        UserPage all = co_await store_->list_users(everyone);
        EXPECT_EQ(all.total, static_cast<size_t>(n));
        EXPECT_TRUE(std::is_sorted(all.items.begin(), all.items.end(),
                                   [](const User& a, const User& b) { return a.id < b.id; }));
        for (const char* needle : {"member12", "@corp3", "MEMBER2599", "first member25", "zz"}) {
            for (int filter = 0; filter < 3; ++filter) {
                UserQuery q;
                q.search = needle;
                q.limit = 7;
                q.offset = 3;
                if (filter == 1) q.role = Role::agent;
                if (filter == 2) q.is_active = true;
                std::vector<int64_t> want;
                std::string folded = needle;
                for (char& c : folded)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                for (const User& u : all.items) {
                    std::string text =
                        u.username + "\n" + u.email + "\n" + u.first_name + "\n" + u.last_name;
                    for (char& c : text)
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    if (text.find(folded) == std::string::npos) continue;
                    if (q.role && u.role != *q.role) continue;
                    if (q.is_active && u.is_active != *q.is_active) continue;
                    want.push_back(u.id);
                }
                UserPage page = co_await store_->list_users(q);
                EXPECT_EQ(page.total, want.size()) << needle << " filter " << filter;
                for (size_t k = 0; k < page.items.size(); ++k) {
                    EXPECT_TRUE(k + 3 < want.size() && page.items[k].id == want[k + 3]) << needle;
                }
                EXPECT_EQ(page.items.size(),
                          std::min<size_t>(7, want.size() > 3 ? want.size() - 3 : 0))
                    << needle;
            }
        }
    });
}

// ---- sessions -----------------------------------------------------------------------------

TEST_F(RedisStoreTest, RefreshRotationAndReuse) {
    int64_t exp = 0;
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("heidi"), no_mail());
        exp = now_s() + 86400;
        EXPECT_TRUE(co_await store_->create_session(session("sid-1", 1, "jti-1", exp)));
        EXPECT_FALSE(co_await store_->create_session(session("sid-1", 1, "jti-x", exp)));
        auto r = co_await store_->rotate_refresh("sid-1", "jti-1", "jti-2", exp + 10);
        EXPECT_EQ(r.status, RotateStatus::rotated);
        EXPECT_EQ(r.user_id, 1);
        EXPECT_EQ(r.expires_at, exp + 10);
        r = co_await store_->rotate_refresh("sid-1", "jti-2", "jti-3", exp + 20);
        EXPECT_EQ(r.status, RotateStatus::rotated);
        r = co_await store_->rotate_refresh("sid-1", "jti-1", "jti-4", exp + 30);
        EXPECT_EQ(r.status, RotateStatus::reused);
        EXPECT_EQ(r.user_id, 1);
        EXPECT_EQ(r.expires_at, exp + 20);
        r = co_await store_->rotate_refresh("sid-1", "jti-3", "jti-5", exp + 40);
        EXPECT_EQ(r.status, RotateStatus::revoked);
        r = co_await store_->rotate_refresh("no-such-sid", "jti-3", "jti-5", exp);
        EXPECT_EQ(r.status, RotateStatus::unknown);
        auto v = co_await store_->load_validation_state();
        EXPECT_EQ(v.revoked_sessions.size(), 1u);
        EXPECT_TRUE(!v.revoked_sessions.empty() &&
                    v.revoked_sessions[0] == std::make_pair(std::string("sid-1"), exp + 20));
    });
    restart_redis();  // the reuse revocation is durable
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->rotate_refresh("sid-1", "jti-3", "jti-9", exp + 50);
        EXPECT_EQ(r.status, RotateStatus::revoked);
    });
}

TEST_F(RedisStoreTest, ExpiredSessionsAreUnknown) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("ivan"), no_mail());
        EXPECT_TRUE(co_await store_->create_session(session("short", 1, "j", now_s() + 60)));
        EXPECT_TRUE(co_await store_->create_session(session("long", 1, "k", now_s() + 6000)));
        EXPECT_TRUE((co_await store_->revoke_session("short")).existed);
        EXPECT_EQ((co_await store_->load_validation_state()).revoked_sessions.size(), 1u);
        advance(61s);
        auto r = co_await store_->rotate_refresh("short", "j", "j2", now_s() + 60);
        EXPECT_EQ(r.status, RotateStatus::unknown);
        EXPECT_FALSE((co_await store_->revoke_session("short")).existed);
        EXPECT_TRUE((co_await store_->load_validation_state()).revoked_sessions.empty());
        EXPECT_EQ((co_await store_->rotate_refresh("long", "k", "k2", now_s() + 60)).status,
                  RotateStatus::rotated);
    });
    // Every session key carries a TTL (Redis drops it on its own after expiry).
    std::string ttl = server_->command({"TTL", "{authd}:session:long"});
    EXPECT_GT(std::atoll(ttl.c_str()), 0) << ttl;
    EXPECT_GT(std::atoll(server_->command({"TTL", "{authd}:usess:1"}).c_str()), 0);
}

TEST_F(RedisStoreTest, RevokeSession) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("judy"), no_mail());
        int64_t exp = now_s() + 100;
        co_await store_->create_session(session("s1", 1, "j1", exp));
        auto r = co_await store_->revoke_session("s1");
        EXPECT_TRUE(r.existed);
        EXPECT_EQ(r.user_id, 1);
        EXPECT_EQ(r.expires_at, exp);
        r = co_await store_->revoke_session("s1");  // idempotent
        EXPECT_TRUE(r.existed);
        EXPECT_EQ((co_await store_->rotate_refresh("s1", "j1", "j2", exp)).status,
                  RotateStatus::revoked);
        EXPECT_FALSE((co_await store_->revoke_session("nope")).existed);
    });
}

// ---- throttling, audit, outbox, validation --------------------------------------------------

TEST_F(RedisStoreTest, LoginFailureWindowsAreSharedAndExpire) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->login_failures("u:kim")).count, 0u);
        LoginFailures f;
        for (int i = 0; i < 3; ++i) f = co_await store_->record_login_failure("u:kim", 900);
        EXPECT_EQ(f.count, 3u);
        EXPECT_EQ(f.retry_after, 900);
        advance(100s);
        f = co_await store_->login_failures("u:kim");
        EXPECT_EQ(f.count, 3u);
        EXPECT_EQ(f.retry_after, 800);
        f = co_await store_->record_login_failure("u:kim", 900);  // same window
        EXPECT_EQ(f.count, 4u);
        EXPECT_EQ(f.retry_after, 800);
        EXPECT_EQ((co_await store_->login_failures("u:other")).count, 0u);
        advance(800s);  // the window has passed
        EXPECT_EQ((co_await store_->login_failures("u:kim")).count, 0u);
        f = co_await store_->record_login_failure("u:kim", 900);
        EXPECT_EQ(f.count, 1u);
        co_await store_->clear_login_failures("u:kim");
        EXPECT_EQ((co_await store_->login_failures("u:kim")).count, 0u);
        co_await store_->record_login_failure("ip:127.0.0.1", 60);
    });
    EXPECT_GT(std::atoll(server_->command({"PTTL", "{authd}:fail:ip:127.0.0.1"}).c_str()), 0);
    reopen();  // unlike the embedded store's, these windows are shared: another instance sees them
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->login_failures("ip:127.0.0.1")).count, 1u);
    });
}

TEST_F(RedisStoreTest, AuditTrail) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us, 1, 7, "validate", "")));
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us + 1, 1, 8, "deactivate", "spam ")));
        EXPECT_TRUE(co_await store_->append_audit(
            audit(t0_us + 2, 2, 7, "role_change", "promoted 2 levels")));
        auto a = co_await store_->audit_for(7);
        EXPECT_EQ(a.size(), 2u);
        EXPECT_TRUE(a.size() == 2 && a[0].action == "validate" &&
                    a[1].reason == "promoted 2 levels");
        EXPECT_TRUE((co_await store_->audit_for(99)).empty());
    });
    restart_redis();
    on_loop([&](Loop&) -> Task<void> {
        auto a = co_await store_->audit_for(8);
        EXPECT_EQ(a.size(), 1u);
        EXPECT_TRUE(a.size() == 1 && a[0].actor_id == 1 && a[0].at_us == t0_us + 1 &&
                    a[0].reason == "spam " && a[0].action == "deactivate" && a[0].target_id == 8);
    });
}

TEST_F(RedisStoreTest, MailOutboxLifecycle) {
    on_loop([&](Loop&) -> Task<void> {
        auto mail = [](std::string to, int64_t at) {
            OutboxMail m;
            m.to = std::move(to);
            m.subject = "s";
            m.text_body = "t";
            m.html_body = "<p>h</p>";
            m.next_attempt_us = at;
            return m;
        };
        int64_t a = co_await store_->enqueue_mail(mail("a@x.org", t0_us + 5));
        int64_t b = co_await store_->enqueue_mail(mail("b@x.org", t0_us + 1));
        int64_t c = co_await store_->enqueue_mail(mail("c@x.org", t0_us + 1));
        int64_t d = co_await store_->enqueue_mail(mail("d@x.org", t0_us + 1000));
        for (int i = 0; i < 8; ++i)
            co_await store_->enqueue_mail(mail("late@x.org", t0_us + 10'000'000));
        EXPECT_EQ(a, 1);
        EXPECT_EQ(d, 4);
        auto due = co_await store_->due_mail(t0_us + 10, 10);
        EXPECT_EQ(due.size(), 3u);  // d is not due yet
        if (due.size() != 3) co_return;
        EXPECT_EQ(due[0].id, b);  // by next attempt, then id
        EXPECT_EQ(due[1].id, c);
        EXPECT_EQ(due[2].id, a);
        EXPECT_EQ(due[2].html_body, "<p>h</p>");
        EXPECT_EQ((co_await store_->due_mail(t0_us + 10, 2)).size(), 2u);
        // Ten mails due at one time come out in id order (10 after 9, not before 2).
        auto later = co_await store_->due_mail(t0_us + 10'000'000, 100);
        EXPECT_TRUE(std::is_sorted(
            later.begin(), later.end(), [](const OutboxMail& x, const OutboxMail& y) {
                return x.next_attempt_us < y.next_attempt_us ||
                       (x.next_attempt_us == y.next_attempt_us && x.id < y.id);
            }));
        for (int i = 5; i <= 12; ++i) co_await store_->mail_sent(i);
        co_await store_->mail_sent(b);
        co_await store_->mail_retry(c, 1, t0_us + 500);
        co_await store_->mail_dropped(d);
        co_await store_->mail_sent(12345);  // unknown ids are ignored
        co_await store_->mail_retry(12345, 1, 1);
        due = co_await store_->due_mail(t0_us + 10, 10);
        EXPECT_EQ(due.size(), 1u);
        EXPECT_TRUE(due.size() == 1 && due[0].id == a);
    });
    restart_redis();
    on_loop([&](Loop&) -> Task<void> {
        auto due = co_await store_->due_mail(t0_us + 10'000, 10);
        EXPECT_EQ(due.size(), 2u);  // a, then c with its retry state
        if (due.size() != 2) co_return;
        EXPECT_EQ(due[0].id, 1);
        EXPECT_EQ(due[1].id, 3);
        EXPECT_EQ(due[1].attempts, 1u);
        EXPECT_EQ(due[1].next_attempt_us, t0_us + 500);
        EXPECT_EQ(co_await store_->enqueue_mail(outbox()), 13);  // ids not reused
    });
}

// Two instances polling one outbox: a due mail goes to one sender only, until its lease ends.
TEST_F(RedisStoreTest, MailIsLeasedToOneSender) {
    options_.mail_lease = 60s;
    open();
    std::string error;
    auto other = RedisStore::open(server_->url(), options_with_clock(), error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        int64_t first = co_await store_->enqueue_mail(outbox("one@x.org", t0_us));
        int64_t second = co_await store_->enqueue_mail(outbox("two@x.org", t0_us));
        auto mine = co_await store_->due_mail(t0_us + 1, 1);
        EXPECT_TRUE(mine.size() == 1 && mine[0].id == first);
        auto theirs = co_await other->due_mail(t0_us + 1, 10);
        EXPECT_TRUE(theirs.size() == 1 && theirs[0].id == second) << "the leased mail is skipped";
        EXPECT_TRUE((co_await store_->due_mail(t0_us + 2, 10)).empty());
        // A sender that gives up (retry) hands the mail back at its new time.
        co_await store_->mail_retry(first, 1, t0_us + 5);
        auto again = co_await other->due_mail(t0_us + 5, 10);
        EXPECT_TRUE(again.size() == 1 && again[0].id == first && again[0].attempts == 1);
        // A sender that died: the lease runs out and the mail is due again.
        auto later = co_await store_->due_mail(t0_us + 1 + 60'000'000, 10);
        EXPECT_EQ(later.size(),
                  1u);  // `second` (leased at t0+1); `first` is leased until t0+5+60 s
        co_await other->mail_sent(second);
        EXPECT_TRUE((co_await store_->due_mail(t0_us + 200'000'000, 10)).size() ==
                    1);  // only `first`
    });
    other->close();
}

// An instance that stopped (or was killed) while holding mails: the next instance to open
// sees it gone from CLIENT LIST and hands its mails back at once.
TEST_F(RedisStoreTest, MailsClaimedByAStoppedInstanceAreReleasedAtOpen) {
    options_.mail_lease = 60s;
    open();
    std::string error;
    auto other = RedisStore::open(server_->url(), options_with_clock(), error);
    ASSERT_TRUE(other) << error;
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->enqueue_mail(outbox("held@x.org", t0_us));
        EXPECT_EQ((co_await other->due_mail(t0_us + 1, 10)).size(), 1u);  // claimed by `other`
        EXPECT_TRUE((co_await store_->due_mail(t0_us + 1, 10)).empty());
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
        EXPECT_TRUE(due.size() == 1 && due[0].to == "held@x.org")
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
        EXPECT_EQ((co_await other->due_mail(t0_us + 1, 10)).size(), 1u);
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
            due = (co_await store_->due_mail(t0_us + 2, 10)).size();
        }
        EXPECT_EQ(due, 1u) << "the stopped instance's lease was not released";
    });
}

TEST_F(RedisStoreTest, ValidationState) {
    on_loop([&](Loop&) -> Task<void> {
        for (const char* n : {"a", "b", "c"}) co_await store_->create_user(make_user(n), no_mail());
        UserPatch bump;
        bump.bump_token_version = true;
        co_await store_->update_user(2, bump);
        co_await store_->update_user(2, bump);
        co_await store_->create_session(session("live", 1, "j", now_s() + 100));
        co_await store_->create_session(session("dead", 1, "j", now_s() + 100));
        co_await store_->create_session(session("dead-soon", 3, "j", now_s() + 10));
        co_await store_->revoke_session("dead");
        co_await store_->revoke_session("dead-soon");
        advance(20s);
        auto v = co_await store_->load_validation_state();
        using TV = std::vector<std::pair<int64_t, uint32_t>>;
        EXPECT_EQ(v.token_versions, (TV{{1, 0}, {2, 2}, {3, 0}}));
        using RS = std::vector<std::pair<std::string, int64_t>>;
        EXPECT_EQ(v.revoked_sessions, (RS{{"dead", now_s() + 80}}));
    });
}

// Writes one of everything, restarts Redis (replaying its AOF) and checks it all.
TEST_F(RedisStoreTest, EverythingPersistsAcrossRedisRestart) {
    int64_t now = now_s();
    on_loop([&](Loop&) -> Task<void> {
        User u = make_user("persist", "persist@x.org");
        u.phone_number = "+3312345678";
        u.address = "1 rue de la Paix";
        u.role = Role::agent;
        MailComposer compose = [](const User& nu) {
            OutboxMail m;
            m.to = nu.email;
            m.subject = "hello";
            return std::optional<OutboxMail>(m);
        };
        co_await store_->create_user(u, std::move(compose));
        co_await store_->create_user(make_user("gone"), no_mail());
        co_await store_->delete_user(2);
        UserPatch p;
        p.is_active = true;
        p.bump_token_version = true;
        co_await store_->update_user(1, p);
        co_await store_->create_session(session("s-a", 1, "ja", now + 100));
        co_await store_->rotate_refresh("s-a", "ja", "jb", now + 200);
        co_await store_->create_session(session("s-b", 1, "jc", now + 100));
        co_await store_->revoke_session("s-b");
        co_await store_->append_audit(audit(1, 1, 1, "validate", "ok"));
        int64_t m2 = co_await store_->enqueue_mail(outbox("z@x.org"));
        co_await store_->mail_retry(m2, 3, 42);
    });
    store_->close();
    server_->kill9();  // no shutdown work at all: only what the AOF holds comes back
    ASSERT_EQ(server_->start(), "");
    open();
    on_loop([&](Loop&) -> Task<void> {
        auto u = co_await store_->find_user_by_username("PERSIST");
        EXPECT_TRUE(u);
        if (!u) co_return;
        EXPECT_EQ(u->id, 1);
        EXPECT_EQ(u->phone_number, "+3312345678");
        EXPECT_EQ(u->address, "1 rue de la Paix");
        EXPECT_EQ(u->role, Role::agent);
        EXPECT_TRUE(u->is_active);
        EXPECT_EQ(u->token_version, 1u);
        EXPECT_EQ(u->password_hash, make_user("x").password_hash);
        EXPECT_FALSE(co_await store_->find_user(2));
        EXPECT_EQ(co_await store_->count_users(), 1u);
        EXPECT_EQ((co_await store_->rotate_refresh("s-a", "jb", "jd", now + 300)).status,
                  RotateStatus::rotated);
        EXPECT_EQ((co_await store_->rotate_refresh("s-b", "jc", "je", now + 300)).status,
                  RotateStatus::revoked);
        auto audits = co_await store_->audit_for(1);
        EXPECT_TRUE(audits.size() == 1 && audits[0].reason == "ok");
        auto due = co_await store_->due_mail(t0_us, 10);
        EXPECT_EQ(due.size(), 2u);
        if (due.size() != 2) co_return;
        EXPECT_EQ(due[0].subject, "hello");
        EXPECT_EQ(due[1].to, "z@x.org");
        EXPECT_EQ(due[1].attempts, 3u);
        EXPECT_EQ(due[1].next_attempt_us, 42);
        auto next = co_await store_->create_user(make_user("next"), no_mail());
        EXPECT_TRUE(next.user && next.user->id == 3);
    });
}

// ---- concurrency ----------------------------------------------------------------------------

TEST_F(RedisStoreTest, ConcurrentCommandsArePipelined) {
    constexpr int n = 300;
    on_loop([&](Loop&) -> Task<void> {
        struct Join {
            int remaining;
            std::coroutine_handle<> waiter;
            int created = 0;
        } join{n, {}};
        auto one = [](RedisStore& s, int i, Join& j) -> Task<void> {
            auto r = co_await s.create_user(make_user("bulk" + std::to_string(i)), nullptr);
            if (r.user) ++j.created;
            if (--j.remaining == 0 && j.waiter) j.waiter.resume();
        };
        for (int i = 0; i < n; ++i) core::spawn(one(*store_, i, join));
        struct Wait {
            Join& j;
            bool await_ready() { return j.remaining == 0; }
            void await_suspend(std::coroutine_handle<> h) { j.waiter = h; }
            void await_resume() {}
        };
        co_await Wait{join};
        EXPECT_EQ(join.created, n);
        EXPECT_EQ(co_await store_->count_users(), static_cast<size_t>(n));
    });
}

TEST_F(RedisStoreTest, ConcurrentCreateOfOneUsernameFromTwoLoops) {
    constexpr int rounds = 40;
    std::atomic<int> wins{0}, taken{0}, other{0};
    std::barrier sync_point(2);
    auto racer = [&](int side) {
        on_loop([&](Loop&) -> Task<void> {
            for (int i = 0; i < rounds; ++i) {
                sync_point.arrive_and_wait();
                std::string name =
                    i % 2 ? "Racer" + std::to_string(i) : "racer" + std::to_string(i);
                MailComposer compose = [](const User& u) {
                    return std::optional<OutboxMail>(outbox(u.email));
                };
                auto r = co_await store_->create_user(
                    make_user(name,
                              "side" + std::to_string(side) + "-" + std::to_string(i) + "@x.org"),
                    i % 4 < 2 ? std::move(compose) : nullptr);
                if (r.user) {
                    ++wins;
                } else if (r.username_taken && !r.email_taken) {
                    ++taken;
                } else {
                    ++other;
                }
            }
        });
    };
    std::thread a(racer, 0), b(racer, 1);
    a.join();
    b.join();
    EXPECT_EQ(wins.load(), rounds);
    EXPECT_EQ(taken.load(), rounds);
    EXPECT_EQ(other.load(), 0);
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ(co_await store_->count_users(), static_cast<size_t>(rounds));
    });
}

// ---- what only the shared store has ------------------------------------------------------------

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

TEST_F(RedisStoreTest, UnreachableRedisFailsFastAndRecovers) {
    options_.command_timeout = 300ms;
    open();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("kept"), no_mail())).user);
    });
    server_->stop();
    on_loop([&](Loop&) -> Task<void> {
        auto started = core::mono_now();
        auto r = co_await store_->create_user(make_user("lost"), no_mail());
        EXPECT_FALSE(r.user || r.username_taken || r.email_taken);  // the failure convention
        EXPECT_FALSE(co_await store_->ping());
        EXPECT_FALSE(co_await store_->find_user(1));
        EXPECT_FALSE(co_await store_->update_user(1, UserPatch()));
        EXPECT_FALSE(co_await store_->create_session(session("s", 1, "j", now_s() + 10)));
        EXPECT_EQ((co_await store_->rotate_refresh("s", "j", "k", 1)).status,
                  RotateStatus::unknown);
        EXPECT_FALSE((co_await store_->revoke_session("s")).existed);
        EXPECT_EQ(co_await store_->enqueue_mail(outbox()), 0);
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
        auto r = co_await store_->create_user(make_user("later"), no_mail());
        EXPECT_TRUE(r.user && r.user->id == 2);
    });
}

TEST_F(RedisStoreTest, FrozenRedisTimesOutAndRecovers) {
    options_.command_timeout = 300ms;
    open();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("a"), no_mail())).user);
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
        EXPECT_TRUE((co_await store_->create_user(make_user("old"), no_mail())).user);
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
        EXPECT_FALSE(r.user || r.username_taken || r.email_taken);
        EXPECT_FALSE(co_await store_->create_session(session("s", 1, "j", now_s() + 10)));
        EXPECT_FALSE(co_await store_->find_user(1));
    });
    EXPECT_EQ(server_->command({"EXISTS", "{authd}:next_user_id"}), "0") << "nothing was written";
    reopen();  // a restarted instance starts a new, empty store
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->ping());
        auto r = co_await store_->create_user(make_user("new"), no_mail());
        EXPECT_TRUE(r.user && r.user->id == 1);
    });
}

TEST_F(RedisStoreTest, EmptiedScriptCacheIsRefilled) {
    on_loop([&](Loop&) -> Task<void> { co_await store_->create_user(make_user("s1"), no_mail()); });
    ASSERT_EQ(server_->command({"SCRIPT", "FLUSH"}), "OK");
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->create_user(make_user("s2"), no_mail());
        EXPECT_TRUE(r.user && r.user->id == 2);
        EXPECT_TRUE(co_await store_->find_user_by_username("S1"));
    });
}

TEST_F(RedisStoreTest, DatabaseNumberIsHonoured) {
    std::string error;
    auto in_db3 = RedisStore::open(server_->url(3), options_with_clock(), error);
    ASSERT_TRUE(in_db3) << error;
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await in_db3->create_user(make_user("three"), no_mail())).user);
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
