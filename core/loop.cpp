// The io_uring loop: ring set-up with the fastest flags the kernel accepts, the turn
// (timers, submit-and-wait, completion batch), the eventfd-backed mailbox and timers.
#include "core/loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.hpp"

namespace authd::core {
namespace {

thread_local Loop* current_loop = nullptr;

std::string explain_refusal(int err) {
    std::string why = "io_uring_queue_init failed: ";
    why += std::strerror(err);
    if (err == EPERM || err == EACCES) {
        why +=
            " (io_uring is refused: a seccomp profile in a container, or "
            "sysctl kernel.io_uring_disabled=1/2, blocks it)";
    } else if (err == ENOSYS) {
        why += " (this kernel has no io_uring; authd needs Linux 6.0 or newer)";
    } else if (err == EINVAL) {
        why += " (the kernel rejected every ring set-up; authd needs Linux 6.0 or newer)";
    } else if (err == ENOMEM) {
        why += " (locked-memory limit too low: raise `ulimit -l`)";
    }
    return why;
}

}  // namespace

Loop* Loop::create(unsigned entries, int index, std::string& error) {
    Loop* loop = new Loop(index);
    // Try the cheapest completion mode first and fall back for older kernels.
    const unsigned flag_sets[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int rc = -EINVAL;
    for (unsigned flags : flag_sets) {
        io_uring_params params{};
        params.flags = flags;
        params.cq_entries = entries * 4;
        params.flags |= IORING_SETUP_CQSIZE;
        rc = io_uring_queue_init_params(entries, &loop->ring_, &params);
        if (rc == 0) break;
        if (rc != -EINVAL) break;
    }
    if (rc < 0) {
        error = explain_refusal(-rc);
        delete loop;
        return nullptr;
    }
    io_uring_register_ring_fd(&loop->ring_);  // optional speed-up; failure is harmless
    loop->event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->event_fd_ < 0) {
        error = std::string("eventfd: ") + std::strerror(errno);
        delete loop;
        return nullptr;
    }
    loop->mailbox_completion_ = {&Loop::on_mailbox, loop};
    loop->now_ = mono_now();
    return loop;
}

Loop::~Loop() {
    if (ring_.ring_fd > 0) io_uring_queue_exit(&ring_);
    if (event_fd_ >= 0) close(event_fd_);
    while (MpscNode* n = mailbox_.pop()) delete static_cast<Message*>(n);
    for (Timer* t : heap_) t->heap_index_ = Timer::not_armed;  // owners may outlive the loop
}

Loop* Loop::current() {
    return current_loop;
}

io_uring_sqe* Loop::sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    while (!s) {
        io_uring_submit(&ring_);
        s = io_uring_get_sqe(&ring_);
    }
    return s;
}

void Loop::post(UniqueFunction<void()> fn) {
    auto* m = new Message;
    m->fn = std::move(fn);
    mailbox_.push(m);
    if (!mailbox_notified_.exchange(true, std::memory_order_acq_rel)) {
        uint64_t one = 1;
        // The counter cannot overflow in practice; EAGAIN would only mean it is already set.
        [[maybe_unused]] ssize_t w = write(event_fd_, &one, sizeof one);
    }
}

void Loop::arm_mailbox() {
    io_uring_prep_read(sqe_for(&mailbox_completion_), event_fd_, &event_buf_, sizeof event_buf_, 0);
}

void Loop::on_mailbox(Completion* c, int32_t, uint32_t) {
    auto* loop = static_cast<Loop*>(c->owner);
    loop->drain_mailbox();
    loop->arm_mailbox();
}

void Loop::drain_mailbox() {
    // An RMW, not a plain store: a producer whose exchange still saw `true` skipped the
    // eventfd write, so the pops below must see its node. A release store could be
    // reordered after those loads (StoreLoad) and the message would wait for the next post.
    mailbox_notified_.exchange(false, std::memory_order_acq_rel);
    while (MpscNode* n = mailbox_.pop()) {
        auto* m = static_cast<Message*>(n);
        m->fn();
        delete m;
    }
}

TimerId Loop::add_timer(MonoTime deadline, UniqueFunction<void()> fn) {
    return timers_.emplace(deadline, std::move(fn));
}

void Loop::run_timers() {
    while (!timers_.empty() && timers_.begin()->first <= now_) {
        auto fn = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        fn();
    }
    while (!heap_.empty() && heap_.front()->key_ <= now_) {
        Timer* t = heap_.front();
        if (t->deadline_ > now_) {  // re-armed later since it was placed: move it now
            t->key_ = t->deadline_;
            heap_sift_down(0);
            continue;
        }
        heap_remove(0);
        t->fn(t);  // may re-arm t or destroy its owner
    }
}

// The earliest deadline of either timer kind; false when there is none.
bool Loop::next_deadline(MonoTime& out) const {
    bool any = false;
    if (!timers_.empty()) {
        out = timers_.begin()->first;
        any = true;
    }
    if (!heap_.empty() && (!any || heap_.front()->key_ < out)) {
        out = heap_.front()->key_;
        any = true;
    }
    return any;
}

void Loop::run() {
    current_loop = this;
    running_ = true;
    arm_mailbox();
    drain_mailbox();  // messages posted before the loop started
    while (running_) {
        ++turns_;
        now_ = mono_now();
        run_timers();
        if (!running_) break;
        // Sleep until the next timer, at most a second (timers may be added by messages).
        auto wait = Millis(1000);
        MonoTime next{};
        if (next_deadline(next)) {
            auto until = std::chrono::duration_cast<Millis>(next - now_) + Millis(1);
            if (until < wait) wait = until < Millis(0) ? Millis(0) : until;
        }
        __kernel_timespec ts{};
        ts.tv_sec = wait.count() / 1000;
        ts.tv_nsec = (wait.count() % 1000) * 1000000;
        io_uring_cqe* cqe = nullptr;
        int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
        if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            log_error("loop", "io_uring wait failed", {{"error", std::strerror(-rc)}});
        }
        now_ = mono_now();
        unsigned head;
        unsigned count = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            ++count;
            auto* c = static_cast<Completion*>(io_uring_cqe_get_data(cqe));
            if (c) c->fn(c, cqe->res, cqe->flags);
        }
        io_uring_cq_advance(&ring_, count);
    }
    current_loop = nullptr;
}

}  // namespace authd::core
