// The store contract (see test_store_contract.cpp), part two: sessions (rotation, reuse, expiry,
// revocation), login-failure windows, audit, mail outbox, validation state, persistence across
// a storage crash and concurrent writers.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/store_contract_fixture.hpp"

namespace authd::store::contract {
namespace {

// ---- sessions -----------------------------------------------------------------------------

TEST_P(StoreContract, RefreshRotationAndReuse) {
    int64_t exp = 0;
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("heidi"), no_mail());
        exp = now_s() + 86400;
        EXPECT_TRUE(co_await store_->create_session(session("sid-1", 1, "jti-1", exp)));
        EXPECT_FALSE(co_await store_->create_session(session("sid-1", 1, "jti-x", exp)));
        auto r = co_await store_->rotate_refresh("sid-1", "jti-1", "jti-2", exp + 10);
        EXPECT_EQ(r->status, RotateStatus::rotated);
        EXPECT_EQ(r->user_id, 1);
        EXPECT_EQ(r->expires_at, exp + 10);
        r = co_await store_->rotate_refresh("sid-1", "jti-2", "jti-3", exp + 20);
        EXPECT_EQ(r->status, RotateStatus::rotated);
        // An older token of the session: reuse, and the session dies.
        r = co_await store_->rotate_refresh("sid-1", "jti-1", "jti-4", exp + 30);
        EXPECT_EQ(r->status, RotateStatus::reused);
        EXPECT_EQ(r->user_id, 1);
        EXPECT_EQ(r->expires_at, exp + 20);
        r = co_await store_->rotate_refresh("sid-1", "jti-3", "jti-5", exp + 40);
        EXPECT_EQ(r->status, RotateStatus::revoked);
        r = co_await store_->rotate_refresh("no-such-sid", "jti-3", "jti-5", exp);
        EXPECT_EQ(r->status, RotateStatus::unknown);
        auto v = co_await store_->load_validation_state();
        EXPECT_EQ(v->revoked_sessions.size(), 1u);
        EXPECT_TRUE(!v->revoked_sessions.empty() &&
                    v->revoked_sessions[0] == std::make_pair(std::string("sid-1"), exp + 20));
    });
    restart();  // the reuse revocation is durable
    on_loop([&](Loop&) -> Task<void> {
        auto r = co_await store_->rotate_refresh("sid-1", "jti-3", "jti-9", exp + 50);
        EXPECT_EQ(r->status, RotateStatus::revoked);
    });
}

TEST_P(StoreContract, ExpiredSessionsAreUnknown) {
    on_loop([&](Loop&) -> Task<void> {
        co_await short_and_long_sessions(*store_, now_s());
        EXPECT_EQ((co_await store_->load_validation_state())->revoked_sessions.size(), 1u);
        advance(61s);
        auto r = co_await store_->rotate_refresh("short", "j", "j2", now_s() + 60);
        EXPECT_EQ(r->status, RotateStatus::unknown);
        EXPECT_FALSE((co_await store_->revoke_session("short"))->existed);
        EXPECT_TRUE((co_await store_->load_validation_state())->revoked_sessions.empty());
        EXPECT_EQ((co_await store_->rotate_refresh("long", "k", "k2", now_s() + 60))->status,
                  RotateStatus::rotated);
    });
}

TEST_P(StoreContract, RevokeSession) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("judy"), no_mail());
        int64_t exp = now_s() + 100;
        co_await store_->create_session(session("s1", 1, "j1", exp));
        auto r = co_await store_->revoke_session("s1");
        EXPECT_TRUE(r->existed);
        EXPECT_EQ(r->user_id, 1);
        EXPECT_EQ(r->expires_at, exp);
        r = co_await store_->revoke_session("s1");  // idempotent
        EXPECT_TRUE(r->existed);
        EXPECT_EQ((co_await store_->rotate_refresh("s1", "j1", "j2", exp))->status,
                  RotateStatus::revoked);
        EXPECT_FALSE((co_await store_->revoke_session("nope"))->existed);
    });
}

// ---- throttling, audit, outbox, validation --------------------------------------------------

// Whether the windows survive a restart differs (embedded: memory only; Redis: shared):
// see each backend's own tests.
TEST_P(StoreContract, LoginFailureWindows) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->login_failures("u:kim"))->count, 0u);
        Result<LoginFailures> f = Answer::unavailable;
        for (int i = 0; i < 3; ++i) f = co_await store_->reserve_login_attempt("u:kim", 4, 900);
        EXPECT_TRUE(f.ok() && f->count == 3u && f->retry_after == 900);
        advance(100s);
        f = co_await store_->login_failures("u:kim");
        EXPECT_TRUE(f.ok() && f->count == 3u && f->retry_after == 800);
        f = co_await store_->reserve_login_attempt("u:kim", 4, 900);  // same window
        EXPECT_TRUE(f.ok() && f->count == 4u && f->retry_after == 800);
        f = co_await store_->reserve_login_attempt("u:kim", 4, 900);  // at the limit
        EXPECT_TRUE(f.refused() && f->count == 4u && f->retry_after == 800);
        EXPECT_TRUE(co_await store_->release_login_attempt("u:kim"));  // it was no failure
        EXPECT_EQ((co_await store_->login_failures("u:kim"))->count, 3u);
        EXPECT_EQ((co_await store_->login_failures("u:other"))->count, 0u);
        advance(800s);  // the window has passed
        EXPECT_EQ((co_await store_->login_failures("u:kim"))->count, 0u);
        f = co_await store_->reserve_login_attempt("u:kim", 4, 900);
        EXPECT_EQ(f->count, 1u);
        EXPECT_TRUE(co_await store_->clear_login_failures("u:kim"));
        EXPECT_EQ((co_await store_->login_failures("u:kim"))->count, 0u);
        f = co_await store_->reserve_login_attempt("ip:127.0.0.1", 100, 60);
        EXPECT_EQ(f->count, 1u);
        EXPECT_EQ((co_await store_->login_failures("ip:127.0.0.1"))->count, 1u);
    });
}

TEST_P(StoreContract, AuditTrail) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us, 1, 7, "validate", "")));
        EXPECT_TRUE(co_await store_->append_audit(audit(t0_us + 1, 1, 8, "deactivate", "spam ")));
        EXPECT_TRUE(co_await store_->append_audit(
            audit(t0_us + 2, 2, 7, "role_change", "promoted 2 levels")));
        auto a = co_await store_->audit_for(7);
        EXPECT_EQ(a->size(), 2u);
        EXPECT_TRUE(a->size() == 2 && (*a)[0].action == "validate" &&
                    (*a)[1].reason == "promoted 2 levels");
        EXPECT_TRUE((co_await store_->audit_for(99))->empty());
    });
    restart();
    on_loop([&](Loop&) -> Task<void> {
        auto a = co_await store_->audit_for(8);
        EXPECT_EQ(a->size(), 1u);
        EXPECT_TRUE(a->size() == 1 && (*a)[0].actor_id == 1 && (*a)[0].at_us == t0_us + 1 &&
                    (*a)[0].reason == "spam " && (*a)[0].action == "deactivate" &&
                    (*a)[0].target_id == 8);
    });
}

OutboxMail html_mail(std::string to, int64_t at) {
    OutboxMail m = outbox(std::move(to), at);
    m.html_body = "<p>h</p>";
    return m;
}

TEST_P(StoreContract, MailOutboxLifecycle) {
    on_loop([&](Loop&) -> Task<void> {
        int64_t a = *co_await store_->enqueue_mail(html_mail("a@x.org", t0_us + 5));
        int64_t b = *co_await store_->enqueue_mail(html_mail("b@x.org", t0_us + 1));
        int64_t c = *co_await store_->enqueue_mail(html_mail("c@x.org", t0_us + 1));
        int64_t d = *co_await store_->enqueue_mail(html_mail("d@x.org", t0_us + 1000));
        for (int i = 0; i < 8; ++i)
            co_await store_->enqueue_mail(html_mail("late@x.org", t0_us + 10'000'000));
        EXPECT_EQ(a, 1);
        EXPECT_EQ(d, 4);
        auto due = co_await store_->due_mail(t0_us + 10, 10);
        EXPECT_EQ(due->size(), 3u);  // d is not due yet
        if (due->size() != 3) co_return;
        EXPECT_EQ((*due)[0].id, b);  // by next attempt, then id
        EXPECT_EQ((*due)[1].id, c);
        EXPECT_EQ((*due)[2].id, a);
        EXPECT_EQ((*due)[2].html_body, "<p>h</p>");
        EXPECT_EQ((co_await store_->due_mail(t0_us + 10, 2))->size(), 2u);
        // Ten mails due at one time come out in id order (10 after 9, not before 2).
        auto later = co_await store_->due_mail(t0_us + 10'000'000, 100);
        EXPECT_EQ(later->size(), 12u);
        EXPECT_TRUE(std::is_sorted(
            later->begin(), later->end(), [](const OutboxMail& x, const OutboxMail& y) {
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
        EXPECT_EQ(due->size(), 1u);
        EXPECT_TRUE(due->size() == 1 && (*due)[0].id == a);
    });
    restart();
    on_loop([&](Loop&) -> Task<void> {
        auto due = co_await store_->due_mail(t0_us + 10'000, 10);
        EXPECT_EQ(due->size(), 2u);  // a, then c with its retry state
        if (due->size() != 2) co_return;
        EXPECT_EQ((*due)[0].id, 1);
        EXPECT_EQ((*due)[1].id, 3);
        EXPECT_EQ((*due)[1].attempts, 1u);
        EXPECT_EQ((*due)[1].next_attempt_us, t0_us + 500);
        EXPECT_EQ(*co_await store_->enqueue_mail(outbox()), 13);  // ids not reused
    });
}

TEST_P(StoreContract, ValidationState) {
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
        EXPECT_EQ(v->token_versions, (TV{{1, 0}, {2, 2}, {3, 0}}));
        using RS = std::vector<std::pair<std::string, int64_t>>;
        EXPECT_EQ(v->revoked_sessions, (RS{{"dead", now_s() + 80}}));
    });
}

// ---- persistence and concurrency ------------------------------------------------------------

// Writes one of everything, kills the storage (Redis: SIGKILL, then the AOF is replayed) and
// checks it all came back.
TEST_P(StoreContract, EverythingPersistsAcrossRestart) {
    exercise_persistence([&]() -> Store& { return *store_; }, [&] { crash_restart(); }, now_s(),
                         watchdog());
}

TEST_P(StoreContract, ConcurrentWritesAllLand) {
    constexpr int n = 300;
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ(co_await create_users_concurrently(*store_, n), n);
        EXPECT_EQ(*co_await store_->count_users(), static_cast<size_t>(n));
        UserQuery q;
        q.limit = n;
        auto page = co_await store_->list_users(q);
        EXPECT_EQ(page->items.size(), static_cast<size_t>(n));
        EXPECT_TRUE(page->items.size() == static_cast<size_t>(n) && page->items.back().id == n)
            << "ids 1..n, none skipped";
    });
}

TEST_P(StoreContract, ConcurrentCreateOfOneUsernameFromTwoLoops) {
    constexpr int rounds = 40;
    std::atomic<int> wins{0}, taken{0}, other{0};
    std::barrier sync_point(2);
    auto racer = [&](int side) {
        on_loop([&](Loop&) -> Task<void> {
            for (int i = 0; i < rounds; ++i) {
                sync_point.arrive_and_wait();
                std::string name =
                    i % 2 ? "Racer" + std::to_string(i) : "racer" + std::to_string(i);
                User u = make_user(
                    name, "side" + std::to_string(side) + "-" + std::to_string(i) + "@x.org");
                MailComposer compose = i % 4 < 2 ? mail_to_user() : no_mail();
                auto r = co_await store_->create_user(std::move(u), std::move(compose));
                if (r->user) {
                    ++wins;
                } else if (r->username_taken && !r->email_taken) {
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
        EXPECT_EQ(*co_await store_->count_users(), static_cast<size_t>(rounds));
    });
}

}  // namespace
}  // namespace authd::store::contract
