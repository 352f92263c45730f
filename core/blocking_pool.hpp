// BlockingPool: a small, bounded set of threads for slow CPU or blocking work (Argon2id,
// SMTP). Loops never wait on it: submission fails at once when the queue is full, and
// results are delivered back to the submitting loop through its mailbox.
#pragma once
#include <atomic>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <semaphore>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/loop.hpp"
#include "core/unique_function.hpp"

namespace authd::core {

class BlockingPool {
  public:
    // Workers run at the loops' priority on purpose. At nice 19 they made validation stall
    // for 300+ ms under a login flood (measured with bench/login_flood.sh): most likely a
    // priority inversion, a descheduled worker holding a kernel lock the loops also need
    // (libsodium maps and unmaps Argon2id's memory on every hash).
    // Hashing is kept from crowding the loops by the number of workers instead (server_app).
    BlockingPool(unsigned threads, size_t queue_capacity);
    ~BlockingPool();  // finishes queued jobs, then joins
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    // Queues a job; false when the queue is full (the caller answers 503, never waits).
    bool try_submit(UniqueFunction<void()> job);

    size_t queued() const { return queued_.load(std::memory_order_relaxed); }
    size_t capacity() const { return capacity_; }
    unsigned threads() const { return static_cast<unsigned>(workers_.size()); }

    // co_await pool.run(fn): runs fn on a worker and resumes on the calling loop with
    // std::optional<result>; nullopt means the queue was full and fn did not run.
    template <class F>
    auto run(F fn) {
        using R = std::invoke_result_t<F&>;
        struct Awaiter {
            BlockingPool* pool;
            F fn;
            std::optional<R> result;
            bool await_ready() { return false; }
            bool await_suspend(std::coroutine_handle<> h) {
                Loop* origin = Loop::current();
                return pool->try_submit([this, h, origin]() mutable {
                    R r = fn();
                    origin->post([this, h, r = std::move(r)]() mutable {
                        result.emplace(std::move(r));
                        h.resume();
                    });
                });
            }
            std::optional<R> await_resume() { return std::move(result); }
        };
        return Awaiter{this, std::move(fn), std::nullopt};
    }

  private:
    struct Slot {
        std::atomic<size_t> sequence;
        UniqueFunction<void()> job;
    };
    bool pop(UniqueFunction<void()>& job);
    void worker_main();

    // Vyukov bounded MPMC queue: lock-free on the loops' side.
    size_t capacity_;
    size_t mask_;
    std::unique_ptr<Slot[]> slots_;
    alignas(64) std::atomic<size_t> enqueue_pos_{0};
    alignas(64) std::atomic<size_t> dequeue_pos_{0};
    std::atomic<size_t> queued_{0};
    std::counting_semaphore<> available_{0};
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> workers_;
};

}  // namespace authd::core
