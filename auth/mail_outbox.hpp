// MailOutbox: the durable outbox worker. On one loop it polls the store for due mail, sends
// each on the dedicated mail pool (bounded in flight) and records sent / retry-with-backoff /
// dropped in the store, so a dead SMTP server never blocks or fails a request.
#pragma once
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_set>

#include "auth/smtp_sender.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/store.hpp"

namespace authd::auth {

struct OutboxPolicy {
    core::Millis poll_interval{1000};  // how often the store is asked for due mail
    size_t max_in_flight = 4;          // > 0; mails being sent at once (<= the pool's queue)
    uint32_t max_attempts = 20;        // > 0; failed attempts after which a mail is dropped
    core::Millis backoff_base{2000};   // delay after the first failure; doubles after each one
    core::Millis backoff_cap{600000};  // delays never exceed this (10 min)
    double jitter = 0.2;               // in [0, 1]: delays shrink by up to this fraction, at random
};

struct OutboxStats {
    uint64_t sent = 0;     // delivered (or logged in console mode)
    uint64_t retried = 0;  // failed attempts scheduled again
    uint64_t dropped = 0;  // given up: permanent failure or max_attempts reached
    size_t in_flight = 0;  // being sent now
};

// Delay before the next attempt of a mail that has failed `attempts` times (>= 1):
// base * 2^(attempts-1), capped, then reduced by up to policy.jitter times itself;
// `unit` is a random number in [0, 1). Always at least 1 µs.
int64_t outbox_backoff_us(const OutboxPolicy& policy, uint32_t attempts, double unit);

class MailOutbox {
  public:
    // Everything passed in must outlive the outbox. Destroy it only once its loop has left
    // run() for good, or after stop() ran and stats().in_flight dropped to 0: pending
    // timers and in-flight sends refer to it. Mails not yet recorded as sent stay due in the
    // store and go out after a restart.
    MailOutbox(core::Loop& loop, store::Store& store, SmtpSender& sender,
               core::BlockingPool& mail_pool, OutboxPolicy policy = {});
    MailOutbox(const MailOutbox&) = delete;
    MailOutbox& operator=(const MailOutbox&) = delete;

    // Any thread (run at once on the outbox's loop, else posted to it). start() begins polling
    // (at once, then every poll_interval); nudge() asks for a poll now, e.g. right after a mail
    // was queued; stop() ends polling and new sends (sends in flight finish and are recorded).
    void start();
    void nudge();
    void stop();

    // Any thread.
    OutboxStats stats() const;
    // Any thread: no poll and no send under way (after stop(), safe to stop the loop).
    bool idle() const { return !polling_.load() && in_flight_.load() == 0; }
    // Prometheus text: authd_mail_sent_total, authd_mail_retries_total, authd_mail_dropped_total,
    // authd_mail_in_flight.
    void append_metrics(std::string& out) const;

  private:
    struct Outcome {
        SmtpSender::SendResult result = SmtpSender::SendResult::temporary_failure;
        std::string error;
    };

    void run_on_loop(core::UniqueFunction<void()> fn);
    void trigger_poll();
    void arm_timer();
    core::Task<void> poll();
    core::Task<void> deliver(store::OutboxMail mail);
    core::Task<void> record(const store::OutboxMail& mail, const Outcome& outcome, int64_t took_ms);
    core::Task<void> drop(const store::OutboxMail& mail, std::string_view why,
                          const std::string& error);

    core::Loop& loop_;
    store::Store& store_;
    SmtpSender& sender_;
    core::BlockingPool& pool_;
    const OutboxPolicy policy_;

    // Loop thread only.
    bool started_ = false;
    bool stopping_ = false;
    std::atomic<bool> polling_{false};  // a poll() is running; a trigger meanwhile sets repoll_
    bool repoll_ = false;
    bool backlog_ = false;  // the last poll filled every slot: poll again when one frees up
    bool timer_armed_ = false;
    core::TimerId timer_{};
    std::unordered_set<int64_t> in_flight_ids_;  // never fetched twice while being sent
    std::mt19937_64 rng_;

    std::atomic<bool> nudge_posted_{false};  // coalesces nudges from busy loops
    std::atomic<uint64_t> sent_{0}, retried_{0}, dropped_{0};
    std::atomic<size_t> in_flight_{0};
};

}  // namespace authd::auth
