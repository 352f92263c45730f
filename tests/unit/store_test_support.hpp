// Helpers shared by the store test suites (the backend contract, the embedded store's and the
// Redis store's own tests): running a coroutine body on a fresh core::Loop, building the
// store's argument types, waiting for spawned tasks, concurrent user creation, and the
// write-everything-then-restart check.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <coroutine>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/store.hpp"

namespace authd::store::test_support {

using core::Loop;
using namespace std::chrono_literals;

inline constexpr int64_t t0_us = 1'750'000'000'000'000;  // 2025-06-15

// Loops that have finished running stay alive until the store they used is closed: the
// embedded store's writer may still be inside Loop::post() for the last answer it sent one
// (post touches the loop after queueing the message), and a poll of a thread's Redis
// connection may still be armed in their rings (the connection moves to the next loop on its
// next use). Fixtures destroy them after closing the store.
inline std::mutex finished_loops_mutex;
inline std::vector<std::unique_ptr<Loop>> finished_loops;

inline void destroy_finished_loops() {
    std::lock_guard lock(finished_loops_mutex);
    finished_loops.clear();
}

// Runs body(loop) as a coroutine on a fresh loop on the calling thread until it finishes;
// aborts the test binary when it has not finished after `watchdog` (a lost answer).
template <class F>
void on_loop(F&& body, core::Millis watchdog = 60s) {
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(64, 0, error));
    ASSERT_TRUE(loop) << error;
    Loop& l = *loop;
    auto wrapper = [](F& fn, Loop& lp) -> Task<void> {
        co_await fn(lp);
        lp.stop();
    };
    l.post([&] { core::spawn(wrapper(body, l)); });
    l.add_timer(core::mono_now() + watchdog, [] {
        ADD_FAILURE() << "store operation never completed";
        std::abort();
    });
    l.run();
    std::lock_guard lock(finished_loops_mutex);
    finished_loops.push_back(std::move(loop));
}

// co_await SleepFor{loop, d} inside on_loop bodies.
struct SleepFor {
    Loop& loop;
    core::Millis delay;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        loop.add_timer(loop.now() + delay, [h] { h.resume(); });
    }
    void await_resume() const noexcept {}
};

// Counts spawned tasks down: each calls done() at its end; `co_await join.wait()` resumes
// once all have (all on the one loop).
class Join {
  public:
    explicit Join(int tasks) : remaining_(tasks) {}
    void done() {
        if (--remaining_ == 0 && waiter_) waiter_.resume();
    }
    struct Awaiter {
        Join& join;
        bool await_ready() const noexcept { return join.remaining_ == 0; }
        void await_suspend(std::coroutine_handle<> h) noexcept { join.waiter_ = h; }
        void await_resume() const noexcept {}
    };
    Awaiter wait() { return Awaiter{*this}; }

  private:
    int remaining_;
    std::coroutine_handle<> waiter_;
};

// GCC 12 miscompiles two things written inside a co_await expression: a braced aggregate
// temporary (its strings' SSO pointers end up pointing at the wrong copy) and a lambda that
// owns its captures (converted to a MailComposer there, it is freed twice). Tests build such
// arguments through functions like these, or into named locals first, and then co_await.
inline User make_user(const std::string& name, const std::string& email = "") {
    User u;
    u.username = name;
    u.email = email.empty() ? name + "@example.com" : email;
    u.first_name = "First " + name;
    u.last_name = "Last";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    return u;
}

inline Session session(std::string sid, int64_t user_id, std::string jti, int64_t expires_at) {
    Session s;
    s.sid = std::move(sid);
    s.user_id = user_id;
    s.refresh_jti = std::move(jti);
    s.expires_at = expires_at;
    return s;
}

inline AuditRecord audit(int64_t at, int64_t actor, int64_t target, std::string action,
                         std::string reason) {
    AuditRecord a;
    a.at_us = at;
    a.actor_id = actor;
    a.target_id = target;
    a.action = std::move(action);
    a.reason = std::move(reason);
    return a;
}

inline OutboxMail outbox(std::string to = "", int64_t next_attempt_us = 0) {
    OutboxMail m;
    m.to = std::move(to);
    m.subject = "s";
    m.text_body = "t";
    m.next_attempt_us = next_attempt_us;
    return m;
}

inline UserPatch no_patch() {
    return UserPatch();
}

inline UserQuery all_users() {
    return UserQuery();
}

// No composer at all (the store queues nothing and, on Redis, reserves no id first).
inline MailComposer no_mail() {
    return nullptr;
}

// A composer that decides to send nothing.
inline MailComposer composes_nothing() {
    return [](const User&) { return std::optional<OutboxMail>(); };
}

// A composer queueing a mail to the new user's address.
inline MailComposer mail_to_user() {
    return [](const User& u) { return std::optional<OutboxMail>(outbox(u.email)); };
}

// Creates users "bulk0".."bulk<n-1>" (no mail) as `n` tasks spawned at once on the current
// loop, so their commands are in flight together; how many of them created their user.
inline Task<int> create_users_concurrently(Store& store, int n) {
    Join join(n);
    int created = 0;
    auto one = [](Store& s, int i, Join& j, int& c) -> Task<void> {
        auto r = co_await s.create_user(make_user("bulk" + std::to_string(i)), no_mail());
        if (r->user) ++c;
        j.done();
    };
    for (int i = 0; i < n; ++i) core::spawn(one(store, i, join, created));
    co_await join.wait();
    co_return created;
}

// User 1 "ivan" with two sessions: "short" (refresh jti "j", 60 s left, then revoked) and
// "long" (jti "k", 6000 s left): the setup of the session-expiry tests.
inline Task<void> short_and_long_sessions(Store& store, int64_t now_s) {
    co_await store.create_user(make_user("ivan"), no_mail());
    EXPECT_TRUE(co_await store.create_session(session("short", 1, "j", now_s + 60)));
    EXPECT_TRUE(co_await store.create_session(session("long", 1, "k", now_s + 6000)));
    EXPECT_TRUE((co_await store.revoke_session("short"))->existed);
}

// Writes one of everything through store(), calls restart() (which may replace the store
// store() returns) and checks it all came back. now_s: the test clock's seconds.
inline void exercise_persistence(const std::function<Store&()>& store,
                                 const std::function<void()>& restart, int64_t now_s,
                                 core::Millis watchdog = 60s) {
    on_loop(
        [&](Loop&) -> Task<void> {
            Store& s = store();
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
            co_await s.create_user(u, std::move(compose));
            co_await s.create_user(make_user("gone"), no_mail());
            co_await s.delete_user(2);
            UserPatch p;
            p.is_active = true;
            p.bump_token_version = true;
            co_await s.update_user(1, p);
            co_await s.create_session(session("s-a", 1, "ja", now_s + 100));
            co_await s.rotate_refresh("s-a", "ja", "jb", now_s + 200);
            co_await s.create_session(session("s-b", 1, "jc", now_s + 100));
            co_await s.revoke_session("s-b");
            co_await s.append_audit(audit(1, 1, 1, "validate", "ok"));
            int64_t m2 = *co_await s.enqueue_mail(outbox("z@x.org"));
            co_await s.mail_retry(m2, 3, 42);
        },
        watchdog);
    restart();
    on_loop(
        [&](Loop&) -> Task<void> {
            Store& s = store();
            auto u = co_await s.find_user_by_username("PERSIST");
            EXPECT_TRUE(u);
            if (!u) co_return;
            EXPECT_EQ(u->id, 1);
            EXPECT_EQ(u->phone_number, "+3312345678");
            EXPECT_EQ(u->address, "1 rue de la Paix");
            EXPECT_EQ(u->role, Role::agent);
            EXPECT_TRUE(u->is_active);
            EXPECT_EQ(u->token_version, 1u);
            EXPECT_EQ(u->password_hash, make_user("x").password_hash);
            EXPECT_FALSE(co_await s.find_user(2));
            EXPECT_EQ(*co_await s.count_users(), 1u);
            EXPECT_EQ((co_await s.rotate_refresh("s-a", "jb", "jd", now_s + 300))->status,
                      RotateStatus::rotated);
            EXPECT_EQ((co_await s.rotate_refresh("s-b", "jc", "je", now_s + 300))->status,
                      RotateStatus::revoked);
            auto audits = co_await s.audit_for(1);
            EXPECT_TRUE(audits->size() == 1 && (*audits)[0].reason == "ok");
            auto due = co_await s.due_mail(t0_us, 10);
            EXPECT_EQ(due->size(), 2u);
            if (due->size() != 2) co_return;
            EXPECT_EQ((*due)[0].subject, "hello");  // next attempt 0
            EXPECT_EQ((*due)[1].to, "z@x.org");     // next attempt 42 after its retry
            EXPECT_EQ((*due)[1].attempts, 3u);
            EXPECT_EQ((*due)[1].next_attempt_us, 42);
            auto next = co_await s.create_user(make_user("next"), no_mail());
            // Ids never reused; Redis leaves the rest of an instance's reserved block unused.
            EXPECT_TRUE(next->user && next->user->id >= 3);
        },
        watchdog);
}

}  // namespace authd::store::test_support
