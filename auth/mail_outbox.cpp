// The outbox worker's poll / deliver / record cycle, its backoff and its metrics.
#include "auth/mail_outbox.hpp"

#include <algorithm>
#include <cassert>

#include "core/log.hpp"

namespace authd::auth {

int64_t outbox_backoff_us(const OutboxPolicy& policy, uint32_t attempts, double unit) {
    const int64_t cap =
        std::chrono::duration_cast<std::chrono::microseconds>(policy.backoff_cap).count();
    int64_t delay =
        std::chrono::duration_cast<std::chrono::microseconds>(policy.backoff_base).count();
    for (uint32_t i = 1; i < attempts && delay > 0 && delay < cap; ++i) {
        delay = delay > cap / 2 ? cap : delay * 2;
    }
    delay = std::min(delay, cap);
    // Jitter only shortens, so the cap holds and a batch that failed together spreads out.
    const double jitter = std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(unit, 0.0, 1.0);
    return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(delay) * (1.0 - jitter)));
}

MailOutbox::MailOutbox(core::Loop& loop, store::Store& store, SmtpSender& sender,
                       core::BlockingPool& mail_pool, OutboxPolicy policy)
    : loop_(loop),
      store_(store),
      sender_(sender),
      pool_(mail_pool),
      policy_(policy),
      rng_(std::random_device{}()) {
    assert(policy_.max_in_flight > 0 && policy_.max_attempts > 0);
}

void MailOutbox::run_on_loop(core::UniqueFunction<void()> fn) {
    if (core::Loop::current() == &loop_) {
        fn();
    } else {
        loop_.post(std::move(fn));
    }
}

void MailOutbox::start() {
    run_on_loop([this] {
        if (started_ || stopping_) return;
        started_ = true;
        trigger_poll();
    });
}

void MailOutbox::nudge() {
    if (nudge_posted_.exchange(true, std::memory_order_acq_rel)) return;  // one is on its way
    loop_.post([this] {
        nudge_posted_.store(false, std::memory_order_release);
        if (started_) trigger_poll();
    });
}

void MailOutbox::stop() {
    run_on_loop([this] {
        stopping_ = true;
        if (timer_armed_) loop_.cancel_timer(timer_);
        timer_armed_ = false;
    });
}

void MailOutbox::trigger_poll() {
    if (stopping_) return;
    if (polling_) {
        repoll_ = true;
        return;
    }
    core::spawn(poll());
}

void MailOutbox::arm_timer() {
    if (timer_armed_ || stopping_) return;
    timer_armed_ = true;
    timer_ = loop_.add_timer(core::mono_now() + policy_.poll_interval, [this] {
        timer_armed_ = false;
        trigger_poll();
    });
}

core::Task<void> MailOutbox::poll() {
    polling_ = true;
    do {
        repoll_ = false;
        const size_t busy = in_flight_ids_.size();
        if (busy >= policy_.max_in_flight) {
            backlog_ = true;
            break;
        }
        const size_t free = policy_.max_in_flight - busy;
        // Mails being sent are still due in the store; ask for enough to skip past them.
        store::Result<std::vector<store::OutboxMail>> mails =
            co_await store_.due_mail(core::wall_micros(), free + busy);
        if (stopping_) break;
        size_t started = 0;
        for (auto& mail : *mails) {  // none when the store did not answer: the timer retries
            if (started == free) break;
            if (!in_flight_ids_.insert(mail.id).second) continue;
            ++started;
            core::spawn(deliver(std::move(mail)));
        }
        backlog_ = started == free;
    } while (repoll_ && !stopping_);
    polling_ = false;
    arm_timer();
}

core::Task<void> MailOutbox::deliver(store::OutboxMail mail) {
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    const core::MonoTime began = core::mono_now();
    // `mail` lives in this frame, which stays alive while the pool thread reads it.
    auto outcome = co_await pool_.run([this, &mail] {
        Outcome o;
        o.result = sender_.send(mail, o.error);
        return o;
    });
    if (outcome) {
        const auto took =
            std::chrono::duration_cast<core::Millis>(core::mono_now() - began).count();
        co_await record(mail, *outcome, took);
    } else {
        // The pool's queue is full: no attempt was made, so none is counted; the next poll retries.
        core::log_warn("mail", "mail pool full; delivery postponed",
                       {{"id", std::to_string(mail.id)}});
        backlog_ = false;  // polling again at once would find the pool just as full
    }
    in_flight_ids_.erase(mail.id);
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (backlog_) trigger_poll();
}

core::Task<void> MailOutbox::record(const store::OutboxMail& mail, const Outcome& outcome,
                                    int64_t took_ms) {
    const std::string id = std::to_string(mail.id);
    const uint32_t attempt = mail.attempts + 1;
    const std::string attempt_text = std::to_string(attempt);
    if (outcome.result == SmtpSender::SendResult::sent) {
        store::Done done = co_await store_.mail_sent(mail.id);
        if (done.unavailable())  // sent again after its lease: at least once, never lost
            core::log_warn("mail", "could not mark a mail sent", {{"id", id}});
        sent_.fetch_add(1, std::memory_order_relaxed);
        core::log_info("mail", "mail sent",
                       {{"id", id}, {"attempt", attempt_text}, {"ms", std::to_string(took_ms)}});
    } else if (outcome.result == SmtpSender::SendResult::permanent_failure) {
        co_await drop(mail, "permanent failure", outcome.error);
    } else if (attempt >= policy_.max_attempts) {
        co_await drop(mail, "too many attempts", outcome.error);
    } else {
        const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
        const int64_t delay_us = outbox_backoff_us(policy_, attempt, unit);
        store::Done done =
            co_await store_.mail_retry(mail.id, attempt, core::wall_micros() + delay_us);
        if (done.unavailable()) core::log_warn("mail", "could not reschedule a mail", {{"id", id}});
        retried_.fetch_add(1, std::memory_order_relaxed);
        core::log_warn("mail", "mail delivery failed; will retry",
                       {{"id", id},
                        {"attempt", attempt_text},
                        {"retry_in_ms", std::to_string(delay_us / 1000)},
                        {"error", outcome.error}});
    }
}

core::Task<void> MailOutbox::drop(const store::OutboxMail& mail, std::string_view why,
                                  const std::string& error) {
    store::Done done = co_await store_.mail_dropped(mail.id);
    if (done.unavailable())
        core::log_warn("mail", "could not drop a mail", {{"id", std::to_string(mail.id)}});
    dropped_.fetch_add(1, std::memory_order_relaxed);
    core::log_error("mail", "mail dropped",
                    {{"id", std::to_string(mail.id)},
                     {"attempt", std::to_string(mail.attempts + 1)},
                     {"reason", why},
                     {"error", error}});
}

OutboxStats MailOutbox::stats() const {
    OutboxStats s;
    s.sent = sent_.load(std::memory_order_relaxed);
    s.retried = retried_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.in_flight = in_flight_.load(std::memory_order_relaxed);
    return s;
}

void MailOutbox::append_metrics(std::string& out) const {
    const OutboxStats s = stats();
    auto metric = [&out](std::string_view name, std::string_view type, std::string_view help,
                         uint64_t value) {
        out.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
        out.append(name).append(" ").append(std::to_string(value)).append("\n");
    };
    metric("authd_mail_sent_total", "counter",
           "Mails handed to the SMTP server (or logged in console mode).", s.sent);
    metric("authd_mail_retries_total", "counter",
           "Failed mail deliveries scheduled for another attempt.", s.retried);
    metric("authd_mail_dropped_total", "counter",
           "Mails given up after a permanent failure or too many attempts.", s.dropped);
    metric("authd_mail_in_flight", "gauge", "Mails being sent now.", s.in_flight);
}

}  // namespace authd::auth
