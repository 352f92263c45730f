// Tests for MailOutbox on a real core::Loop run on the test thread, with an in-memory fake
// Store and real SMTP servers on loopback: delivery, retry with backoff, dropping, bounded
// concurrency, nudges from other threads, a full mail pool, and a hung server that must
// not delay the loop's timers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <map>
#include <set>
#include <thread>

#include "auth/mail_outbox.hpp"
#include "auth/mail_templates.hpp"
#include "smtp_sink_fixture.hpp"

namespace authd::auth {
namespace {

using namespace std::chrono_literals;
using core::Task;
using testing_mail::ScriptedSmtpServer;
using testing_mail::SmtpSinkProcess;

// Only the outbox methods do anything; the rest answer with empty values.
class FakeStore : public store::Store {
  public:
    struct Retry {
        int64_t id;
        uint32_t attempts;
        int64_t next_attempt_us;
        int64_t recorded_at_us;
    };
    enum class State { pending, sent, dropped };

    int64_t add(store::OutboxMail mail) {
        mail.id = next_id_++;
        mails_[mail.id] = {mail, State::pending};
        return mail.id;
    }
    State state(int64_t id) const { return mails_.at(id).second; }
    uint32_t attempts(int64_t id) const { return mails_.at(id).first.attempts; }
    size_t count(State s) const {
        size_t n = 0;
        for (auto& [id, m] : mails_) n += m.second == s;
        return n;
    }

    std::vector<Retry> retries;
    std::map<int64_t, int64_t> sent_at_us;
    size_t due_calls = 0;

    using Done = store::Done;
    template <class T>
    using Result = store::Result<T>;
    static constexpr store::Answer absent = store::Answer::not_found;

    Task<Result<int64_t>> enqueue_mail(store::OutboxMail mail) override {
        co_return add(std::move(mail));
    }
    Task<Result<std::vector<store::OutboxMail>>> due_mail(int64_t now_us, size_t max) override {
        ++due_calls;
        std::vector<store::OutboxMail> due;
        for (auto& [id, m] : mails_) {
            if (m.second == State::pending && m.first.next_attempt_us <= now_us)
                due.push_back(m.first);
        }
        std::stable_sort(due.begin(), due.end(),
                         [](auto& a, auto& b) { return a.next_attempt_us < b.next_attempt_us; });
        if (due.size() > max) due.resize(max);
        co_return due;
    }
    Task<Done> mail_sent(int64_t id) override {
        mails_.at(id).second = State::sent;
        sent_at_us[id] = core::wall_micros();
        co_return Done{};
    }
    Task<Done> mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) override {
        auto& m = mails_.at(id).first;
        m.attempts = attempts;
        m.next_attempt_us = next_attempt_us;
        retries.push_back({id, attempts, next_attempt_us, core::wall_micros()});
        co_return Done{};
    }
    Task<Done> mail_dropped(int64_t id) override {
        mails_.at(id).second = State::dropped;
        co_return Done{};
    }

    // The rest of the interface: nothing there.
    Task<Result<store::CreateUserResult>> create_user(store::User, store::MailComposer) override {
        co_return store::Answer::unavailable;
    }
    Task<Result<store::User>> find_user(int64_t) override { co_return absent; }
    Task<Result<store::User>> find_user_by_username(std::string) override { co_return absent; }
    Task<Result<store::User>> find_user_by_email(std::string) override { co_return absent; }
    Task<Result<store::User>> update_user(int64_t, store::UserPatch) override { co_return absent; }
    Task<Done> delete_user(int64_t, store::DeleteIf) override { co_return absent; }
    Task<Result<store::UserPage>> list_users(store::UserQuery) override {
        co_return store::UserPage{};
    }
    Task<Result<size_t>> count_users() override { co_return size_t{0}; }
    Task<Done> create_session(store::Session) override { co_return store::Answer::refused; }
    Task<Result<store::RotateResult>> rotate_refresh(std::string, std::string, std::string,
                                                     int64_t) override {
        co_return absent;
    }
    Task<Result<store::RevokeResult>> revoke_session(std::string) override { co_return absent; }
    Task<Result<store::Session>> find_session(std::string) override { co_return absent; }
    Task<Result<store::LoginFailures>> login_failures(std::string) override {
        co_return store::LoginFailures{};
    }
    Task<Result<store::LoginFailures>> reserve_login_attempt(std::string, uint32_t,
                                                             int64_t) override {
        co_return store::LoginFailures{};
    }
    Task<Done> release_login_attempt(std::string) override { co_return Done{}; }
    Task<Done> clear_login_failures(std::string) override { co_return Done{}; }
    Task<Done> append_audit(store::AuditRecord) override { co_return store::Answer::unavailable; }
    Task<Result<std::vector<store::AuditRecord>>> audit_for(int64_t) override {
        co_return std::vector<store::AuditRecord>{};
    }
    Task<Result<store::ValidationState>> load_validation_state() override {
        co_return store::ValidationState{};
    }
    Task<store::Result<std::string>> load_signing_keys() override {
        co_return store::Answer::not_found;
    }
    Task<store::Done> replace_signing_keys(std::string, std::string) override {
        co_return store::Answer::refused;
    }
    Task<Done> ping() override { co_return Done{}; }
    void close() override {}

  private:
    std::map<int64_t, std::pair<store::OutboxMail, State>> mails_;
    int64_t next_id_ = 1;
};

// A loop on the test thread, run in bounded bursts.
class LoopRunner {
  public:
    LoopRunner() {
        std::string error;
        loop_ = core::Loop::create(64, 0, error);
        EXPECT_NE(loop_, nullptr) << error;
    }
    ~LoopRunner() { delete loop_; }
    core::Loop& loop() { return *loop_; }

    // Runs the loop until pred() holds (checked every 5 ms) or timeout; returns pred().
    bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
        const auto deadline = core::mono_now() + timeout;
        std::function<void()> check = [&] {
            if (pred() || core::mono_now() >= deadline) {
                loop_->stop();
                return;
            }
            loop_->add_timer(core::mono_now() + 5ms, [&] { check(); });
        };
        loop_->add_timer(core::mono_now(), [&] { check(); });
        loop_->run();
        return pred();
    }

  private:
    core::Loop* loop_ = nullptr;
};

SmtpConfig smtp_to(const std::string& url, long total_timeout_ms = 3000) {
    SmtpConfig c;
    c.url = url;
    c.connect_timeout_ms = 1000;
    c.total_timeout_ms = total_timeout_ms;
    return c;
}

OutboxPolicy fast_policy() {
    OutboxPolicy p;
    p.poll_interval = 10ms;
    p.backoff_base = 20ms;
    p.backoff_cap = 1000ms;
    p.jitter = 0;
    return p;
}

store::OutboxMail mail_to(const std::string& to) {
    return verification_mail(to, "user",
                             "http://127.0.0.1:8000/auth/verify-email/MQ/t2x9k0-abcdef/");
}

TEST(MailOutbox, SendsDueMail) {
    SmtpSinkProcess sink;
    ASSERT_EQ(sink.start(), "");
    core::BlockingPool pool(2, 8);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to(sink.url()));
    MailOutbox outbox(runner.loop(), store, sender, pool, fast_policy());
    int64_t a = store.add(mail_to("a@example.com"));
    int64_t b = store.add(mail_to("b@example.com"));
    outbox.start();
    ASSERT_TRUE(runner.run_until(
        [&] { return store.count(FakeStore::State::sent) == 2 && outbox.stats().in_flight == 0; },
        10s));
    EXPECT_EQ(store.state(a), FakeStore::State::sent);
    EXPECT_EQ(store.state(b), FakeStore::State::sent);
    EXPECT_TRUE(store.retries.empty());
    EXPECT_EQ(sink.wait_for_messages(2, 5s).size(), 2u);
    OutboxStats s = outbox.stats();
    EXPECT_EQ(s.sent, 2u);
    EXPECT_EQ(s.retried, 0u);
    EXPECT_EQ(s.dropped, 0u);
    std::string metrics;
    outbox.append_metrics(metrics);
    EXPECT_NE(metrics.find("\nauthd_mail_sent_total 2\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("\nauthd_mail_retries_total 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("\nauthd_mail_dropped_total 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("# TYPE authd_mail_in_flight gauge\nauthd_mail_in_flight 0\n"),
              std::string::npos);
}

TEST(MailOutbox, TemporaryFailureIsRetriedWithBackoff) {
    SmtpSinkProcess sink;
    ASSERT_EQ(sink.start(/*fail_first=*/2), "");
    core::BlockingPool pool(1, 4);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to(sink.url()));
    OutboxPolicy policy = fast_policy();
    policy.backoff_base = 100ms;
    MailOutbox outbox(runner.loop(), store, sender, pool, policy);
    int64_t id = store.add(mail_to("a@example.com"));
    outbox.start();
    ASSERT_TRUE(runner.run_until(
        [&] { return store.state(id) == FakeStore::State::sent && outbox.stats().in_flight == 0; },
        10s));
    ASSERT_EQ(store.retries.size(), 2u);
    EXPECT_EQ(store.retries[0].attempts, 1u);
    EXPECT_EQ(store.retries[1].attempts, 2u);
    // 100 ms after the first failure, 200 ms after the second (no jitter in this policy).
    auto delay0 = store.retries[0].next_attempt_us - store.retries[0].recorded_at_us;
    auto delay1 = store.retries[1].next_attempt_us - store.retries[1].recorded_at_us;
    EXPECT_NEAR(static_cast<double>(delay0), 100000.0, 5000.0);
    EXPECT_NEAR(static_cast<double>(delay1), 200000.0, 5000.0);
    // Each attempt waited for its time.
    EXPECT_GE(store.retries[1].recorded_at_us, store.retries[0].next_attempt_us);
    EXPECT_GE(store.sent_at_us[id], store.retries[1].next_attempt_us);
    OutboxStats s = outbox.stats();
    EXPECT_EQ(s.sent, 1u);
    EXPECT_EQ(s.retried, 2u);
    EXPECT_EQ(s.dropped, 0u);
    EXPECT_EQ(sink.wait_for_messages(1, 5s).size(), 1u);
}

TEST(MailOutbox, DropsAfterMaxAttempts) {
    core::BlockingPool pool(1, 4);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to("smtp://127.0.0.1:" + std::to_string(testing_mail::closed_port())));
    OutboxPolicy policy = fast_policy();
    policy.max_attempts = 3;
    policy.backoff_base = 5ms;
    MailOutbox outbox(runner.loop(), store, sender, pool, policy);
    int64_t id = store.add(mail_to("a@example.com"));
    outbox.start();
    ASSERT_TRUE(runner.run_until(
        [&] {
            return store.state(id) == FakeStore::State::dropped && outbox.stats().in_flight == 0;
        },
        10s));
    ASSERT_EQ(store.retries.size(), 2u);
    EXPECT_EQ(store.retries[0].attempts, 1u);
    EXPECT_EQ(store.retries[1].attempts, 2u);
    OutboxStats s = outbox.stats();
    EXPECT_EQ(s.sent, 0u);
    EXPECT_EQ(s.retried, 2u);
    EXPECT_EQ(s.dropped, 1u);
}

TEST(MailOutbox, PermanentFailureIsDroppedAtOnce) {
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{{"RCPT", "550 5.1.1 no such user"}});
    core::BlockingPool pool(1, 4);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to(server.url()));
    MailOutbox outbox(runner.loop(), store, sender, pool, fast_policy());
    int64_t id = store.add(mail_to("nobody@example.com"));
    outbox.start();
    ASSERT_TRUE(runner.run_until(
        [&] {
            return store.state(id) == FakeStore::State::dropped && outbox.stats().in_flight == 0;
        },
        10s));
    EXPECT_TRUE(store.retries.empty());
    EXPECT_EQ(outbox.stats().dropped, 1u);
}

TEST(MailOutbox, HungServerDoesNotDelayTheLoop) {
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{}, /*silent=*/true);
    core::BlockingPool pool(1, 4);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to(server.url(), /*total_timeout_ms=*/800));
    OutboxPolicy policy = fast_policy();
    policy.backoff_base = 60s;
    MailOutbox outbox(runner.loop(), store, sender, pool, policy);
    store.add(mail_to("a@example.com"));
    outbox.start();

    // A heartbeat every 20 ms records how late each tick fires while the send hangs.
    core::Loop& loop = runner.loop();
    core::Millis worst{0};
    size_t ticks_in_flight = 0;
    std::function<void(core::MonoTime)> tick = [&](core::MonoTime due) {
        worst = std::max(worst, std::chrono::duration_cast<core::Millis>(core::mono_now() - due));
        if (outbox.stats().in_flight == 1) ++ticks_in_flight;
        auto next = core::mono_now() + 20ms;
        loop.add_timer(next, [&tick, next] { tick(next); });
    };
    auto first = core::mono_now() + 20ms;
    loop.add_timer(first, [&tick, first] { tick(first); });

    ASSERT_TRUE(runner.run_until(
        [&] { return store.retries.size() == 1 && outbox.stats().in_flight == 0; }, 10s));
    EXPECT_TRUE(server.accepted());
    EXPECT_GE(ticks_in_flight, 20u) << "the loop kept ticking during the 800 ms hang";
    EXPECT_LT(worst, 100ms) << "a timer fired late: the loop was blocked";
    EXPECT_EQ(outbox.stats().retried, 1u);
}

TEST(MailOutbox, NeverMoreThanMaxInFlight) {
    // A listener that never accepts: connections wait in its backlog and sends hang until timeout.
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(fd, 32), 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

    core::BlockingPool pool(4, 16);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to("smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 300));
    OutboxPolicy policy = fast_policy();
    policy.max_in_flight = 2;
    policy.backoff_base = 60s;
    MailOutbox outbox(runner.loop(), store, sender, pool, policy);
    for (int i = 0; i < 6; ++i) store.add(mail_to("u" + std::to_string(i) + "@example.com"));
    outbox.start();
    size_t most = 0;
    ASSERT_TRUE(runner.run_until(
        [&] {
            most = std::max(most, outbox.stats().in_flight);
            return store.retries.size() == 6 && outbox.stats().in_flight == 0;
        },
        10s));
    close(fd);
    EXPECT_EQ(most, 2u);
    std::set<int64_t> ids;
    for (auto& r : store.retries) ids.insert(r.id);
    EXPECT_EQ(ids.size(), 6u) << "each mail attempted once, none twice at the same time";
}

TEST(MailOutbox, NudgeFromAnotherThreadPollsAtOnce) {
    SmtpSinkProcess sink;
    ASSERT_EQ(sink.start(), "");
    core::BlockingPool pool(1, 4);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(smtp_to(sink.url()));
    OutboxPolicy policy = fast_policy();
    policy.poll_interval = 60s;
    MailOutbox outbox(runner.loop(), store, sender, pool, policy);
    outbox.start();
    ASSERT_TRUE(runner.run_until([&] { return store.due_calls == 1; }, 5s));

    int64_t id = store.add(mail_to("a@example.com"));
    std::thread other([&] {
        for (int i = 0; i < 50; ++i) outbox.nudge();  // coalesced: many nudges, few polls
    });
    other.join();
    auto began = core::mono_now();
    ASSERT_TRUE(runner.run_until(
        [&] { return store.state(id) == FakeStore::State::sent && outbox.stats().in_flight == 0; },
        5s));
    EXPECT_LT(core::mono_now() - began, 3s);
    EXPECT_LE(store.due_calls, 4u);
}

TEST(MailOutbox, StopHaltsPolling) {
    core::BlockingPool pool(1, 4);
    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(SmtpConfig{});  // console
    MailOutbox outbox(runner.loop(), store, sender, pool, fast_policy());
    outbox.start();
    ASSERT_TRUE(runner.run_until([&] { return store.due_calls >= 2; }, 5s));
    outbox.stop();  // off-loop: posted, runs on the next turn
    store.add(mail_to("a@example.com"));
    runner.run_until([] { return false; }, 30ms);
    size_t calls = store.due_calls;
    outbox.nudge();
    runner.run_until([] { return false; }, 100ms);
    EXPECT_EQ(store.due_calls, calls);
    EXPECT_EQ(store.count(FakeStore::State::pending), 1u);
}

TEST(MailOutbox, FullPoolPostponesWithoutCountingAnAttempt) {
    core::BlockingPool pool(1, 2);
    std::atomic<bool> release{false};
    auto blocker = [&] {
        while (!release.load()) std::this_thread::sleep_for(1ms);
    };
    ASSERT_TRUE(pool.try_submit(blocker));
    while (pool.queued() != 0) std::this_thread::sleep_for(1ms);  // the worker holds it
    ASSERT_TRUE(pool.try_submit(blocker));
    ASSERT_TRUE(pool.try_submit(blocker));
    ASSERT_FALSE(pool.try_submit(blocker)) << "the pool's queue should be full";

    LoopRunner runner;
    FakeStore store;
    SmtpSender sender(SmtpConfig{});  // console: sends succeed once the pool has room
    MailOutbox outbox(runner.loop(), store, sender, pool, fast_policy());
    int64_t id = store.add(mail_to("a@example.com"));
    outbox.start();
    runner.run_until([&] { return store.due_calls >= 3; }, 5s);
    EXPECT_EQ(store.state(id), FakeStore::State::pending);
    EXPECT_EQ(outbox.stats().in_flight, 0u);
    release = true;
    ASSERT_TRUE(runner.run_until(
        [&] { return store.state(id) == FakeStore::State::sent && outbox.stats().in_flight == 0; },
        5s));
    EXPECT_TRUE(store.retries.empty());
    EXPECT_EQ(store.attempts(id), 0u);
}

TEST(MailOutbox, BackoffDoublesUpToTheCapWithJitterBelow) {
    OutboxPolicy p;  // 2 s base, 10 min cap, 20 % jitter
    EXPECT_EQ(outbox_backoff_us(p, 1, 0.0), 2000000);
    EXPECT_EQ(outbox_backoff_us(p, 2, 0.0), 4000000);
    EXPECT_EQ(outbox_backoff_us(p, 3, 0.0), 8000000);
    EXPECT_EQ(outbox_backoff_us(p, 9, 0.0), 512000000);
    EXPECT_EQ(outbox_backoff_us(p, 10, 0.0), 600000000);
    EXPECT_EQ(outbox_backoff_us(p, 20, 0.0), 600000000);
    EXPECT_EQ(outbox_backoff_us(p, 4000000000u, 0.0), 600000000);
    EXPECT_EQ(outbox_backoff_us(p, 1, 0.5), 1800000);
    EXPECT_NEAR(static_cast<double>(outbox_backoff_us(p, 20, 0.999999)), 480000120.0, 2.0);
    p.jitter = 0;
    EXPECT_EQ(outbox_backoff_us(p, 1, 0.7), 2000000);
}

}  // namespace
}  // namespace authd::auth
