// Tests of the embedded store driven through the Store interface from real core::Loops:
// users, sessions, throttling, audit, outbox, validation state, persistence across
// restarts and compactions, the sync-failure convention and concurrent writers.
#include "store/embedded_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"

namespace authd::store {
namespace {

namespace fs = std::filesystem;
using core::Loop;
using namespace std::chrono_literals;

constexpr int64_t t0_us = 1'750'000'000'000'000;  // 2025-06-15

// Loops that have finished running. The store's writer may still be inside Loop::post()
// for the last answer it sent one (post touches the loop after queueing the message), so
// a loop is destroyed only after the store is closed, which joins the writer.
std::mutex retired_mutex;
std::vector<std::unique_ptr<Loop>> retired_loops;

void destroy_retired_loops() {
    std::lock_guard lock(retired_mutex);
    retired_loops.clear();
}

// Runs body(loop) as a coroutine on a fresh loop on the calling thread until it finishes.
template <class F>
void on_loop(F&& body) {
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(64, 0, error));
    ASSERT_TRUE(loop) << error;
    Loop& l = *loop;
    {
        std::lock_guard lock(retired_mutex);
        retired_loops.push_back(std::move(loop));
    }
    auto wrapper = [](F& fn, Loop& lp) -> Task<void> {
        co_await fn(lp);
        lp.stop();
    };
    l.post([&] { core::spawn(wrapper(body, l)); });
    l.add_timer(core::mono_now() + 30s, [] {
        ADD_FAILURE() << "store operation never completed";
        std::abort();
    });
    l.run();
}

User make_user(const std::string& name, const std::string& email = "") {
    User u;
    u.username = name;
    u.email = email.empty() ? name + "@example.com" : email;
    u.first_name = "First " + name;
    u.last_name = "Last";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    return u;
}

// GCC 12 miscompiles a braced aggregate temporary written inside a co_await expression
// (its strings' SSO pointers end up pointing at the wrong copy), so tests build such
// arguments through functions like these.
Session session(std::string sid, int64_t user_id, std::string jti, int64_t expires_at) {
    Session s;
    s.sid = std::move(sid);
    s.user_id = user_id;
    s.refresh_jti = std::move(jti);
    s.expires_at = expires_at;
    return s;
}

AuditRecord audit(int64_t at, int64_t actor, int64_t target, std::string action, std::string reason) {
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

UserPatch no_patch() { return UserPatch(); }
UserQuery all_users() { return UserQuery(); }

MailComposer no_mail() {
    return [](const User&) { return std::optional<OutboxMail>(); };
}

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
        destroy_retired_loops();
        fs::remove_all(root_);
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
        destroy_retired_loops();
        open();
    }
    void advance(std::chrono::seconds s) { now_us_->fetch_add(s.count() * 1000000); }
    int64_t now_s() const { return now_us_->load() / 1000000; }

    std::string root_, dir_;
    std::shared_ptr<std::atomic<int64_t>> now_us_ = std::make_shared<std::atomic<int64_t>>(t0_us);
    EmbeddedStoreOptions options_;
    std::unique_ptr<EmbeddedStore> store_;
};

// ---- users --------------------------------------------------------------------------------

TEST_F(EmbeddedStoreTest, CreateAndFindCaseInsensitively) {
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

TEST_F(EmbeddedStoreTest, UsernameAndEmailUniqueCaseInsensitively) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE((co_await store_->create_user(make_user("alice", "alice@x.org"), no_mail())).user);
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

TEST_F(EmbeddedStoreTest, CreateQueuesComposedMailAtomically) {
    on_loop([&](Loop&) -> Task<void> {
        MailComposer compose = [](const User& u) {
            OutboxMail m;
            m.to = u.email;
            m.subject = "Verify";
            m.text_body = "link for user " + std::to_string(u.id);
            return std::optional<OutboxMail>(m);
        };
        auto r = co_await store_->create_user(make_user("carol"), std::move(compose));
        EXPECT_TRUE(r.user);
        auto due = co_await store_->due_mail(t0_us, 10);
        EXPECT_EQ(due.size(), 1u);
        if (due.empty()) co_return;
        EXPECT_EQ(due[0].id, 1);
        EXPECT_EQ(due[0].to, "carol@example.com");
        EXPECT_EQ(due[0].text_body, "link for user 1");
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto due = co_await store_->due_mail(t0_us, 10);
        EXPECT_EQ(due.size(), 1u);
        // A taken username composes nothing and queues nothing.
        int calls = 0;
        MailComposer compose = [&calls](const User&) {
            ++calls;
            return std::optional<OutboxMail>(OutboxMail{});
        };
        auto r = co_await store_->create_user(make_user("carol", "c2@example.com"), std::move(compose));
        EXPECT_TRUE(r.username_taken);
        EXPECT_EQ(calls, 0);
        EXPECT_EQ((co_await store_->due_mail(t0_us, 10)).size(), 1u);
    });
}

TEST_F(EmbeddedStoreTest, IdsIncreaseAndAreNeverReused) {
    on_loop([&](Loop&) -> Task<void> {
        for (const char* n : {"a", "b", "c"}) co_await store_->create_user(make_user(n), no_mail());
        EXPECT_TRUE(co_await store_->delete_user(3));
        EXPECT_FALSE(co_await store_->delete_user(3));
        auto d = co_await store_->create_user(make_user("d"), no_mail());
        EXPECT_TRUE(d.user && d.user->id == 4);
        EXPECT_TRUE(co_await store_->delete_user(4));
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto e = co_await store_->create_user(make_user("e"), no_mail());
        EXPECT_TRUE(e.user && e.user->id == 5);
        EXPECT_TRUE(co_await store_->delete_user(5));
    });
    // Compaction keeps no trace of deleted users; the counter must survive it.
    options_.compact_min_bytes = 1;
    options_.compact_max_bytes = 1;
    reopen();
    EXPECT_GE(store_->stats().compactions, 1u);
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto f = co_await store_->create_user(make_user("f"), no_mail());
        EXPECT_TRUE(f.user && f.user->id == 6);
        EXPECT_EQ(co_await store_->count_users(), 3u);  // a, b, f
    });
}

TEST_F(EmbeddedStoreTest, UpdateUserAppliesPatch) {
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

        // last_login alone leaves updated_at as it was (Django's update_last_login).
        advance(5s);
        UserPatch login;
        login.last_login_us = now_us_->load();
        auto logged = co_await store_->update_user(1, login);
        EXPECT_TRUE(logged && logged->last_login_us == now_us_->load());
        EXPECT_TRUE(logged && logged->updated_at_us == t0_us + 10'000'000);
        EXPECT_FALSE(co_await store_->update_user(99, login));
        auto unchanged = co_await store_->update_user(2, no_patch());
        EXPECT_TRUE(unchanged && unchanged->username == "erin");
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto u = co_await store_->find_user_by_email("david@X.ORG");
        EXPECT_TRUE(u && u->token_version == 1 && u->role == Role::super_user &&
                    u->last_login_us == t0_us + 15'000'000 && u->password_hash == "new-hash");
    });
}

TEST_F(EmbeddedStoreTest, DeleteUserRemovesSessions) {
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
        // The name and email are free again (the id is not).
        auto again = co_await store_->create_user(make_user("frank"), no_mail());
        EXPECT_TRUE(again.user && again.user->id == 3);
        // A session needs an existing user.
        EXPECT_FALSE(co_await store_->create_session(session("s-ghost", 1, "j", now_s() + 60)));
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto v = co_await store_->load_validation_state();
        EXPECT_EQ(v.token_versions.size(), 2u);
        auto r = co_await store_->rotate_refresh("s-grace", "j2", "j2b", now_s() + 7200);
        EXPECT_EQ(r.status, RotateStatus::rotated);
        auto gone = co_await store_->rotate_refresh("s-frank", "j1", "x", now_s() + 7200);
        EXPECT_EQ(gone.status, RotateStatus::unknown);
    });
}

TEST_F(EmbeddedStoreTest, ListUsersFiltersSearchesAndPaginates) {
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
        EXPECT_EQ(page.items.front().id, 1);
        all.offset = 25;
        page = co_await store_->list_users(all);
        EXPECT_EQ(page.total, 30u);
        EXPECT_EQ(page.items.size(), 5u);
        EXPECT_EQ(page.items.front().id, 26);
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
        EXPECT_EQ(page.items[1].id, 12);

        UserQuery inactive;
        inactive.is_active = false;
        EXPECT_EQ((co_await store_->list_users(inactive)).total, 15u);

        UserQuery search;
        search.search = "USER1";  // user1, user10..user19
        page = co_await store_->list_users(search);
        EXPECT_EQ(page.total, 11u);
        search.search = "zOË";  // first name, non-ASCII case
        page = co_await store_->list_users(search);
        EXPECT_EQ(page.total, 1u);
        EXPECT_TRUE(page.total == 1 && page.items[0].id == 7);
        search.search = "mcsearch";  // last name
        EXPECT_EQ((co_await store_->list_users(search)).total, 1u);
        search.search = "user3@EXAMPLE";  // email
        EXPECT_EQ((co_await store_->list_users(search)).total, 1u);
        search.search = "user3\0user";  // never across fields
        search.search.assign("user3\0example", 13);
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        search.search = "nobody";
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        search.search = "user2";
        search.limit = 3;
        search.offset = 2;
        page = co_await store_->list_users(search);
        EXPECT_EQ(page.total, 11u);  // user2, user20..user29
        EXPECT_EQ(page.items.size(), 3u);
        EXPECT_EQ(page.items[0].id, 21);

        // Updates and deletes keep the search text right.
        UserPatch p;
        p.first_name = "Renamed";
        co_await store_->update_user(7, p);
        search = all_users();
        search.search = "zoë";
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        search.search = "renamed";
        EXPECT_EQ((co_await store_->list_users(search)).total, 1u);
        co_await store_->delete_user(7);
        EXPECT_EQ((co_await store_->list_users(search)).total, 0u);
        EXPECT_EQ((co_await store_->list_users(all_users())).total, 29u);
    });
}

// ---- sessions -----------------------------------------------------------------------------

TEST_F(EmbeddedStoreTest, RefreshRotationAndReuse) {
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
        // An older token of the session: reuse, and the session dies.
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
        EXPECT_TRUE(!v.revoked_sessions.empty() && v.revoked_sessions[0] ==
                                                       std::make_pair(std::string("sid-1"), exp + 20));
    });
    reopen();  // the reuse revocation is durable
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->rotate_refresh("sid-1", "jti-3", "jti-9", exp + 50);
        EXPECT_EQ(r.status, RotateStatus::revoked);
    });
}

TEST_F(EmbeddedStoreTest, ExpiredSessionsAreUnknownAndPrunedAtCompaction) {
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
    });
    EXPECT_EQ(store_->stats().sessions, 2u);
    options_.compact_min_bytes = 1;
    options_.compact_max_bytes = 1;
    reopen();  // compacts at open
    EXPECT_GE(store_->stats().compactions, 1u);
    EXPECT_EQ(store_->stats().sessions, 1u);
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->rotate_refresh("long", "k", "k2", now_s() + 60);
        EXPECT_EQ(r.status, RotateStatus::rotated);
    });
}

TEST_F(EmbeddedStoreTest, RevokeSession) {
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

TEST_F(EmbeddedStoreTest, LoginFailureWindowsLiveInMemoryOnly) {
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
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->login_failures("ip:127.0.0.1")).count, 0u);
    });
}

TEST_F(EmbeddedStoreTest, AuditTrail) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us, 1, 7, "validate", "")));
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us + 1, 1, 8, "deactivate", "spam")));
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us + 2, 2, 7, "role_change", "promoted")));
        auto a = co_await store_->audit_for(7);
        EXPECT_EQ(a.size(), 2u);
        EXPECT_TRUE(a.size() == 2 && a[0].action == "validate" && a[1].reason == "promoted");
        EXPECT_TRUE((co_await store_->audit_for(99)).empty());
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto a = co_await store_->audit_for(8);
        EXPECT_EQ(a.size(), 1u);
        EXPECT_TRUE(a.size() == 1 && a[0].actor_id == 1 && a[0].at_us == t0_us + 1 &&
                    a[0].reason == "spam");
    });
}

TEST_F(EmbeddedStoreTest, MailOutboxLifecycle) {
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
        co_await store_->mail_sent(b);
        co_await store_->mail_retry(c, 1, t0_us + 500);
        co_await store_->mail_dropped(d);
        co_await store_->mail_sent(12345);  // unknown ids are ignored
        due = co_await store_->due_mail(t0_us + 10, 10);
        EXPECT_EQ(due.size(), 1u);
        EXPECT_TRUE(due.size() == 1 && due[0].id == a);
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto due = co_await store_->due_mail(t0_us + 10'000, 10);
        EXPECT_EQ(due.size(), 2u);  // a, then c with its retry state
        if (due.size() != 2) co_return;
        EXPECT_EQ(due[0].id, 1);
        EXPECT_EQ(due[1].id, 3);
        EXPECT_EQ(due[1].attempts, 1u);
        EXPECT_EQ(due[1].next_attempt_us, t0_us + 500);
        EXPECT_EQ(co_await store_->enqueue_mail(outbox()), 5);  // ids not reused
    });
}

TEST_F(EmbeddedStoreTest, ValidationState) {
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

// ---- persistence, compaction, failure, concurrency -----------------------------------------

// Writes one of everything, restarts (optionally compacting on every batch) and checks it all.
void exercise_persistence(std::unique_ptr<EmbeddedStore>& store, std::function<void()> restart,
                          int64_t now_s) {
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
        co_await store->create_user(u, std::move(compose));
        co_await store->create_user(make_user("gone"), no_mail());
        co_await store->delete_user(2);
        UserPatch p;
        p.is_active = true;
        p.bump_token_version = true;
        co_await store->update_user(1, p);
        co_await store->create_session(session("s-a", 1, "ja", now_s + 100));
        co_await store->rotate_refresh("s-a", "ja", "jb", now_s + 200);
        co_await store->create_session(session("s-b", 1, "jc", now_s + 100));
        co_await store->revoke_session("s-b");
        co_await store->append_audit(audit(1, 1, 1, "validate", "ok"));
        int64_t m2 = co_await store->enqueue_mail(outbox("z@x.org"));
        co_await store->mail_retry(m2, 3, 42);
    });
    restart();
    on_loop([&](Loop&) -> Task<void> {
        auto u = co_await store->find_user_by_username("PERSIST");
        EXPECT_TRUE(u);
        if (!u) co_return;
        EXPECT_EQ(u->id, 1);
        EXPECT_EQ(u->phone_number, "+3312345678");
        EXPECT_EQ(u->address, "1 rue de la Paix");
        EXPECT_EQ(u->role, Role::agent);
        EXPECT_TRUE(u->is_active);
        EXPECT_EQ(u->token_version, 1u);
        EXPECT_EQ(u->password_hash, make_user("x").password_hash);
        EXPECT_FALSE(co_await store->find_user(2));
        EXPECT_EQ(co_await store->count_users(), 1u);
        EXPECT_EQ((co_await store->rotate_refresh("s-a", "jb", "jd", now_s + 300)).status,
                  RotateStatus::rotated);
        EXPECT_EQ((co_await store->rotate_refresh("s-b", "jc", "je", now_s + 300)).status,
                  RotateStatus::revoked);
        auto audit = co_await store->audit_for(1);
        EXPECT_TRUE(audit.size() == 1 && audit[0].reason == "ok");
        auto due = co_await store->due_mail(t0_us, 10);
        EXPECT_EQ(due.size(), 2u);
        if (due.size() != 2) co_return;
        EXPECT_EQ(due[0].subject, "hello");  // next attempt 0
        EXPECT_EQ(due[1].to, "z@x.org");     // next attempt 42 after its retry
        EXPECT_EQ(due[1].attempts, 3u);
        EXPECT_EQ(due[1].next_attempt_us, 42);
        auto next = co_await store->create_user(make_user("next"), no_mail());
        EXPECT_TRUE(next.user && next.user->id == 3);
    });
}

TEST_F(EmbeddedStoreTest, EverythingPersistsAcrossRestart) {
    exercise_persistence(store_, [&] { reopen(); }, now_s());
    EXPECT_EQ(store_->stats().compactions, 0u);
}

TEST_F(EmbeddedStoreTest, EverythingPersistsAcrossCompactions) {
    options_.compact_min_bytes = 1;  // compact after every batch
    options_.compact_max_bytes = 1;
    reopen();
    exercise_persistence(store_, [&] { reopen(); }, now_s());
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
        EXPECT_TRUE((co_await store_->create_user(make_user("kept"), no_mail())).user);
        EXPECT_TRUE(co_await store_->ping());
        store_->simulate_sync_failure();
        auto r = co_await store_->create_user(make_user("lost"), no_mail());
        EXPECT_FALSE(r.user);
        EXPECT_FALSE(r.username_taken || r.email_taken);
        EXPECT_FALSE(co_await store_->ping());
        EXPECT_FALSE((co_await store_->create_user(make_user("later"), no_mail())).user);
        EXPECT_FALSE(co_await store_->append_audit(audit(0, 0, 0, "", "")));
        EXPECT_EQ(co_await store_->enqueue_mail(outbox()), 0);
        EXPECT_FALSE(co_await store_->delete_user(1));
        EXPECT_TRUE(co_await store_->find_user(1));  // reads still answer
    });
    EXPECT_TRUE(store_->stats().failed);
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->ping());
        EXPECT_TRUE(co_await store_->find_user_by_username("kept"));
        EXPECT_FALSE(co_await store_->find_user_by_username("lost"));
        auto r = co_await store_->create_user(make_user("lost"), no_mail());
        EXPECT_TRUE(r.user && r.user->id == 2);
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
                if (!r.user || write(acks[1], &i, sizeof i) != sizeof i) _exit(3);
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
        size_t count = co_await db->count_users();
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
        EXPECT_FALSE((co_await store_->create_user(make_user("x"), no_mail())).user);
    });
    std::string error;
    auto other = EmbeddedStore::open(dir_, {}, error);  // the lock is released
    EXPECT_TRUE(other) << error;
}

TEST_F(EmbeddedStoreTest, ConcurrentWritesShareSyncs) {
    constexpr int n = 200;
    on_loop([&](Loop& loop) -> Task<void> {
        struct Join {
            int remaining;
            std::coroutine_handle<> waiter;
        } join{n, {}};
        auto one = [](EmbeddedStore& s, int i, Join& j) -> Task<void> {
            co_await s.create_user(make_user("bulk" + std::to_string(i)), no_mail());
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
        (void)loop;
        EXPECT_EQ(co_await store_->count_users(), static_cast<size_t>(n));
    });
    auto st = store_->stats();
    EXPECT_GE(st.operations, static_cast<uint64_t>(n));
    EXPECT_LT(st.batches, static_cast<uint64_t>(n) / 2) << "group commit should merge syncs";
}

TEST_F(EmbeddedStoreTest, ConcurrentCreateOfOneUsernameFromTwoLoops) {
    constexpr int rounds = 40;
    std::atomic<int> wins{0}, taken{0}, other{0};
    std::barrier sync_point(2);
    auto racer = [&](int side) {
        on_loop([&](Loop&) -> Task<void> {
            for (int i = 0; i < rounds; ++i) {
                sync_point.arrive_and_wait();
                std::string name = i % 2 ? "Racer" + std::to_string(i) : "racer" + std::to_string(i);
                auto r = co_await store_->create_user(
                    make_user(name, "side" + std::to_string(side) + "-" + std::to_string(i) + "@x.org"),
                    no_mail());
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

}  // namespace
}  // namespace authd::store
