// Loop: one io_uring event loop per thread (shared nothing). Owns the ring, the timers and
// the mailbox through which other threads hand it work. Every I/O operation carries a
// Completion* in user_data; the loop reaps completions in batches and submits once per turn.
#pragma once
#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/mpsc_queue.hpp"
#include "core/unique_function.hpp"

namespace authd::core {

// Embedded in the object that owns an operation; the loop calls fn with the CQE's result.
struct Completion {
    using Fn = void (*)(Completion* self, int32_t res, uint32_t flags);
    Fn fn = nullptr;
    void* owner = nullptr;
};

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
    // Creates the ring. On failure returns nullptr and fills `error` with a human-readable
    // reason (including the likely cause when the kernel refuses io_uring).
    static Loop* create(unsigned entries, int index, std::string& error);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // The loop running on this thread, or nullptr off-loop.
    static Loop* current();
    int index() const { return index_; }
    // Unique per Loop ever created in this process: addresses get reused, serials never do
    // (lets per-thread state notice that the loop it was bound to is gone).
    uint64_t serial() const { return serial_; }
    io_uring* ring() { return &ring_; }

    // A free SQE, submitting pending ones first if the SQ is full. Never returns nullptr.
    io_uring_sqe* sqe();
    // Prepares an SQE whose completion goes to `c`.
    io_uring_sqe* sqe_for(Completion* c) {
        io_uring_sqe* s = sqe();
        io_uring_sqe_set_data(s, c);
        return s;
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
    void heap_place(size_t i, Timer* t);
    void heap_sift_up(size_t i);
    void heap_sift_down(size_t i);
    void heap_remove(size_t i);
    static void on_mailbox(Completion* c, int32_t res, uint32_t flags);

    struct Message : MpscNode {
        UniqueFunction<void()> fn;
    };

    io_uring ring_{};
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
    Completion mailbox_completion_{};
    MpscQueue mailbox_;
    std::atomic<bool> mailbox_notified_{false};
};

}  // namespace authd::core
