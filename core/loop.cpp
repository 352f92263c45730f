// The loop: backend creation, the turn (timers, then the backend's wait-and-dispatch), the
// eventfd-backed mailbox and timers. Everything here is the same on io_uring and epoll.
#include "core/loop.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/log.hpp"

namespace authd::core {
namespace {

thread_local Loop* current_loop = nullptr;

IoBackend initial_backend() {
    const char* v = std::getenv("AUTHD_IO");
    return v && std::strcmp(v, "epoll") == 0 ? IoBackend::epoll : IoBackend::io_uring;
}

std::atomic<IoBackend> default_backend_{initial_backend()};

}  // namespace

IoBackend Loop::default_backend() {
    return default_backend_.load(std::memory_order_relaxed);
}

void Loop::set_default_backend(IoBackend b) {
    default_backend_.store(b, std::memory_order_relaxed);
}

Loop* Loop::create(IoBackend backend, unsigned entries, int index, std::string& error) {
    std::unique_ptr<Loop> loop(new Loop(index));
    if (backend == IoBackend::io_uring) {
        loop->uring_.reset(UringIo::create(entries, error));
        if (!loop->uring_) return nullptr;
    } else {
        loop->epoll_.reset(EpollIo::create(error));
        if (!loop->epoll_) return nullptr;
    }
    loop->event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->event_fd_ < 0) {
        error = std::string("eventfd: ") + std::strerror(errno);
        return nullptr;
    }
    loop->mailbox_completion_ = {&Loop::on_mailbox, loop.get()};
    loop->now_ = mono_now();
    return loop.release();
}

Loop::~Loop() {
    uring_.reset();  // before the eventfd its read may still reference
    epoll_.reset();
    if (event_fd_ >= 0) close(event_fd_);
    while (MpscNode* n = mailbox_.pop()) delete static_cast<Message*>(n);
    for (Timer* t : heap_) t->heap_index_ = Timer::not_armed;  // owners may outlive the loop
}

Loop* Loop::current() {
    return current_loop;
}

void Loop::shutdown(int fd) {
    if (uring_) {
        ::shutdown(fd, SHUT_RDWR);  // an armed multishot recv then ends with EOF
    } else {
        epoll_->shutdown(fd);
    }
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

// io_uring: one read of the eventfd per wake-up, re-armed after each. epoll: the eventfd
// is watched once, edge-triggered, for the loop's life.
void Loop::arm_mailbox() {
    if (uring_) {
        uring_->read(event_fd_, &event_buf_, sizeof event_buf_, &mailbox_completion_);
    } else {
        epoll_->watch_wakeup(event_fd_, &mailbox_completion_);
    }
}

void Loop::on_mailbox(Completion* c, int32_t, uint32_t flags) {
    auto* loop = static_cast<Loop*>(c->owner);
    loop->drain_mailbox();
    if (!completion_more(flags)) loop->arm_mailbox();
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

// Sleep until the next timer, at most a second (timers may be added by messages).
Millis Loop::time_to_next_timer() const {
    auto wait = Millis(1000);
    MonoTime next{};
    if (next_deadline(next)) {
        auto until = std::chrono::duration_cast<Millis>(next - now_) + Millis(1);
        if (until < wait) wait = until < Millis(0) ? Millis(0) : until;
    }
    return wait;
}

void Loop::run() {
    current_loop = this;
    running_ = true;
    if (!mailbox_armed_) arm_mailbox();
    mailbox_armed_ = true;
    drain_mailbox();  // messages posted before the loop started
    while (running_) {
        ++turns_;
        now_ = mono_now();
        run_timers();
        if (!running_) break;
        if (uring_) {
            uring_->turn(time_to_next_timer(), now_);
        } else {
            epoll_->turn(time_to_next_timer(), now_);
        }
    }
    current_loop = nullptr;
}

}  // namespace authd::core
