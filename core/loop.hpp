// Loop: one event loop per thread (shared nothing), on io_uring or on epoll. Owns the backend,
// the timers and the mailbox through which other threads hand it work. Its users see only
// completion-based operations: every result reaches the Completion the owner embedded.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/buffer_ring.hpp"
#include "core/clock.hpp"
#include "core/completion.hpp"
#include "core/epoll_io.hpp"
#include "core/mpsc_queue.hpp"
#include "core/unique_function.hpp"
#include "core/uring_io.hpp"

namespace authd::core {

using TimerId = std::multimap<MonoTime, UniqueFunction<void()>>::iterator;

// A timer embedded in the object that owns it (like Completion): arming, re-arming and
// disarming are always safe, before or after it fired; destroying it disarms it.
// Re-arming to a later deadline is O(1) (the heap entry is moved lazily when it comes due).
class Timer {
  public:
    using Fn = void (*)(Timer* self);
    Timer() = default;
    Timer(Fn f, void* o) : fn(f), owner(o) {}
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    Fn fn = nullptr;
    void* owner = nullptr;
    // True exactly when the timer is in its loop's heap (armed and not yet fired).
    bool armed() const { return heap_index_ != not_armed; }
    MonoTime deadline() const { return deadline_; }

  private:
    friend class Loop;
    static constexpr size_t not_armed = ~size_t{0};
    class Loop* loop_ = nullptr;
    MonoTime key_{};       // the deadline the heap is ordered by (<= deadline_)
    MonoTime deadline_{};  // when it fires
    size_t heap_index_ = not_armed;
};

class Loop {
  public:
    // Creates the loop on `backend`. On failure returns nullptr and fills `error` with a
    // human-readable reason (including the likely cause when the kernel refuses io_uring).
    static Loop* create(IoBackend backend, unsigned entries, int index, std::string& error);
    // The same on the process's default backend (see set_default_backend).
    static Loop* create(unsigned entries, int index, std::string& error) {
        return create(default_backend(), entries, index, error);
    }
    // The backend of loops created without one: set once at start-up by the composition root;
    // until then AUTHD_IO=epoll in the environment selects epoll (tests), else io_uring.
    static IoBackend default_backend();
    static void set_default_backend(IoBackend b);

    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // The loop running on this thread, or nullptr off-loop.
    static Loop* current();
    int index() const { return index_; }
    // Unique per Loop ever created in this process: addresses get reused, serials never do
    // (lets per-thread state notice that the loop it was bound to is gone).
    uint64_t serial() const { return serial_; }
    IoBackend backend() const { return uring_ ? IoBackend::io_uring : IoBackend::epoll; }
    // The io_uring backend, or nullptr on epoll (core-internal: buffer rings, the probe).
    UringIo* uring() { return uring_.get(); }

    // --- operations (loop thread only). Each result goes to `c` in a later callback, never
    // inside the call: callbacks only prepare operations, nothing re-enters.
    // Multishot accept: res is a new connected fd (CLOEXEC) or -errno; stays armed while
    // completion_more(flags).
    void accept(int listen_fd, Completion* c) {
        if (uring_)
            uring_->accept(listen_fd, c);
        else
            epoll_->accept(listen_fd, c);
    }
    // Multishot recv into `buffers`: res > 0 bytes in buffers.buffer(completion_buffer(flags)),
    // which the owner recycles; 0 on EOF; -ENOBUFS when all buffers are out (re-arm later).
    void recv(int fd, BufferRing& buffers, Completion* c) {
        if (uring_)
            uring_->recv(fd, buffers.group_id(), c);
        else
            epoll_->recv(fd, buffers, c);
    }
    // One send; res is the bytes sent (maybe fewer: send the rest next) or -errno. One in
    // flight per fd, so bytes stay in order. `data` must live until the completion.
    void send(int fd, const char* data, size_t len, Completion* c) {
        if (uring_)
            uring_->send(fd, data, len, c);
        else
            epoll_->send(fd, data, len, c);
    }
    // One-shot readiness (POLLIN or POLLOUT), level semantics: completes at once when ready.
    void poll(int fd, uint32_t poll_mask, Completion* c) {
        if (uring_)
            uring_->poll(fd, poll_mask, c);
        else
            epoll_->poll(fd, poll_mask, c);
    }
    // Ends c's operation on fd: its final completion comes with -ECANCELED (or its natural
    // result if it was already ending). Nothing completes for the cancel itself.
    void cancel(int fd, Completion* c) {
        if (uring_)
            uring_->cancel(c);
        else
            epoll_->cancel(fd, c);
    }
    // shutdown(SHUT_RDWR): the fd's pending operations end soon (recv with EOF, send with an
    // error); close the fd only after their final completions.
    void shutdown(int fd);
    // Completes `c` with res 0 on this or the next turn.
    void nop(Completion* c) {
        if (uring_)
            uring_->nop(c);
        else
            epoll_->nop(c);
    }

    // Runs until stop(); returns when stopped.
    void run();
    // Asks the loop to leave run() after the current turn. Loop thread only.
    void stop() { running_ = false; }

    // Thread-safe: runs fn on this loop's thread soon. Never blocks.
    void post(UniqueFunction<void()> fn);

    // Embedded timers (loop thread only): fires t.fn(&t) once at `deadline`, unless disarmed
    // or re-armed first. arm() on an armed timer moves its deadline.
    void arm(Timer& t, MonoTime deadline);
    void disarm(Timer& t);

    // Owned one-shot timers (loop thread only). A timer fires once; cancel() before it fires.
    TimerId add_timer(MonoTime deadline, UniqueFunction<void()> fn);
    void cancel_timer(TimerId id) { timers_.erase(id); }
    TimerId no_timer() { return timers_.end(); }

    // Cached clocks, refreshed once per loop turn.
    MonoTime now() const { return now_; }

    // How many turns the loop has made (for tests and metrics).
    uint64_t turns() const { return turns_; }

  private:
    Loop(int index)
        : index_(index), serial_(next_serial_.fetch_add(1, std::memory_order_relaxed) + 1) {}
    void arm_mailbox();
    void drain_mailbox();
    void run_timers();
    bool next_deadline(MonoTime& out) const;
    Millis time_to_next_timer() const;
    void heap_place(size_t i, Timer* t);
    void heap_sift_up(size_t i);
    void heap_sift_down(size_t i);
    void heap_remove(size_t i);
    static void on_mailbox(Completion* c, int32_t res, uint32_t flags);

    struct Message : MpscNode {
        UniqueFunction<void()> fn;
    };

    std::unique_ptr<UringIo> uring_;  // exactly one of the two is set
    std::unique_ptr<EpollIo> epoll_;
    int index_ = 0;
    uint64_t serial_ = 0;
    static inline std::atomic<uint64_t> next_serial_{0};
    bool running_ = false;
    uint64_t turns_ = 0;
    MonoTime now_{};
    std::multimap<MonoTime, UniqueFunction<void()>> timers_;
    std::vector<Timer*> heap_;  // embedded timers, a binary min-heap on key_

    int event_fd_ = -1;
    uint64_t event_buf_ = 0;
    bool mailbox_armed_ = false;  // armed by the first run(); it re-arms itself from then on
    Completion mailbox_completion_{};
    MpscQueue mailbox_;
    std::atomic<bool> mailbox_notified_{false};
};

}  // namespace authd::core
