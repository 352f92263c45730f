// BlockingPool: results come back on the loop that asked, a full queue refuses at once
// (run() yields nullopt and the job never runs), queued jobs finish before destruction,
// and concurrent submitters never leave a job stranded in the queue.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"

namespace authd::core {
namespace {

using namespace std::chrono_literals;

// Creates a loop on a new thread, runs `body` there from the loop's mailbox, and returns
// once something stops the loop.
template <class F>
void run_on_loop_thread(F body) {
    std::thread t([&] {
        std::string error;
        std::unique_ptr<Loop> loop(Loop::create(64, 0, error));
        ASSERT_TRUE(loop) << error;
        loop->post([&] { body(*loop); });
        loop->run();
    });
    t.join();
}

struct Observed {
    std::optional<std::thread::id> worker;
    std::thread::id loop_thread, resumed_thread;
    Loop* resumed_loop = nullptr;
};

Task<void> ask_pool(BlockingPool* pool, Observed* o) {
    o->loop_thread = std::this_thread::get_id();
    o->worker = co_await pool->run([] { return std::this_thread::get_id(); });
    o->resumed_thread = std::this_thread::get_id();
    o->resumed_loop = Loop::current();
    Loop::current()->stop();
}

TEST(BlockingPool, ResultComesBackToTheCallingLoopThread) {
    BlockingPool pool(2, 16);
    EXPECT_EQ(pool.threads(), 2u);
    Observed o;
    Loop* loop_seen = nullptr;
    run_on_loop_thread([&](Loop& loop) {
        loop_seen = &loop;
        spawn(ask_pool(&pool, &o));
    });
    ASSERT_TRUE(o.worker.has_value());
    EXPECT_NE(*o.worker, o.loop_thread);         // the job ran on a worker …
    EXPECT_EQ(o.resumed_thread, o.loop_thread);  // … and the coroutine resumed on its loop
    EXPECT_EQ(o.resumed_loop, loop_seen);
}

Task<void> square(BlockingPool* pool, int i, std::vector<long>* out, int* remaining,
                  std::thread::id loop_id, int* wrong_thread) {
    auto r = co_await pool->run([i] {
        std::this_thread::sleep_for(
            std::chrono::microseconds(50 * (i % 7)));  // finish out of order
        return static_cast<long>(i) * i;
    });
    if (std::this_thread::get_id() != loop_id) ++*wrong_thread;
    (*out)[static_cast<size_t>(i)] = r ? *r : -1;
    if (--*remaining == 0) Loop::current()->stop();
}

TEST(BlockingPool, ManyConcurrentRunsFromOneLoop) {
    constexpr int n = 200;
    BlockingPool pool(4, 256);
    std::vector<long> out(n, -2);
    int remaining = n;
    int wrong_thread = 0;
    run_on_loop_thread([&](Loop&) {
        for (int i = 0; i < n; ++i)
            spawn(square(&pool, i, &out, &remaining, std::this_thread::get_id(), &wrong_thread));
    });
    EXPECT_EQ(wrong_thread, 0);
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(out[static_cast<size_t>(i)], static_cast<long>(i) * i) << i;
}

// Occupies the pool's only worker until release().
struct Blocker {
    std::binary_semaphore gate{0};
    std::atomic<bool> running{false};
    void occupy(BlockingPool& pool) {
        ASSERT_TRUE(pool.try_submit([this] {
            running = true;
            gate.acquire();
        }));
        while (!running) std::this_thread::yield();
    }
    void release() { gate.release(); }
};

Task<void> run_when_full(BlockingPool* pool, bool* got_nullopt, bool* ran) {
    std::optional<int> r = co_await pool->run([ran] {
        *ran = true;
        return 1;
    });
    *got_nullopt = !r.has_value();
    Loop::current()->stop();
}

TEST(BlockingPool, TinyQueueRefusesWhenFull) {
    BlockingPool pool(1, 2);
    ASSERT_EQ(pool.capacity(), 2u);
    Blocker blocker;
    blocker.occupy(pool);
    std::atomic<int> done{0};
    EXPECT_TRUE(pool.try_submit([&] { done.fetch_add(1); }));
    EXPECT_TRUE(pool.try_submit([&] { done.fetch_add(1); }));
    EXPECT_EQ(pool.queued(), 2u);
    EXPECT_FALSE(pool.try_submit([&] { done.fetch_add(100); }));  // full: refused at once
    EXPECT_EQ(pool.queued(), 2u);

    bool got_nullopt = false, ran = false;
    run_on_loop_thread([&](Loop&) { spawn(run_when_full(&pool, &got_nullopt, &ran)); });
    EXPECT_TRUE(got_nullopt);  // the coroutine resumed at once with nullopt …
    EXPECT_FALSE(ran);         // … and the function never ran

    blocker.release();
    auto t0 = std::chrono::steady_clock::now();
    while (done.load() != 2 && std::chrono::steady_clock::now() - t0 < 5s)
        std::this_thread::yield();
    EXPECT_EQ(done.load(), 2);
    EXPECT_EQ(pool.queued(), 0u);
    // Space again: accepted.
    EXPECT_TRUE(pool.try_submit([&] { done.fetch_add(1); }));
}

TEST(BlockingPool, CapacityIsRoundedUpToAPowerOfTwo) {
    EXPECT_EQ(BlockingPool(1, 0).capacity(), 2u);
    EXPECT_EQ(BlockingPool(1, 3).capacity(), 4u);
    EXPECT_EQ(BlockingPool(1, 64).capacity(), 64u);
    EXPECT_EQ(BlockingPool(0, 8).threads(), 1u);  // at least one worker
}

TEST(BlockingPool, QueueWrapsAroundManyTimes) {
    BlockingPool pool(1, 2);
    std::atomic<int> done{0};
    for (int i = 0; i < 10000; ++i) {
        while (!pool.try_submit([&] { done.fetch_add(1); })) std::this_thread::yield();
    }
    auto t0 = std::chrono::steady_clock::now();
    while (done.load() != 10000 && std::chrono::steady_clock::now() - t0 < 5s)
        std::this_thread::yield();
    EXPECT_EQ(done.load(), 10000);
}

TEST(BlockingPool, DestructorFinishesQueuedJobs) {
    std::atomic<int> done{0};
    std::thread opener;
    {
        BlockingPool pool(1, 64);
        Blocker blocker;
        blocker.occupy(pool);
        for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.try_submit([&] { done.fetch_add(1); }));
        // Let the worker go only once the destructor is already waiting.
        opener = std::thread([&] {
            std::this_thread::sleep_for(50ms);
            blocker.release();
        });
    }  // ~BlockingPool: runs the 50 queued jobs, then joins
    opener.join();
    EXPECT_EQ(done.load(), 50);
}

TEST(BlockingPool, ConcurrentSubmittersNeverStrandAJob) {
    // Every job must run while the pool is alive, without waiting for a later submission:
    // a worker that finds the head slot still being published must not drop its wake-up.
    constexpr int producers = 4;
    constexpr int per_producer = 50000;
    BlockingPool pool(2, 1u << 18);
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&] {
            for (int i = 0; i < per_producer; ++i) {
                while (!pool.try_submit([&] { done.fetch_add(1, std::memory_order_relaxed); })) {
                    std::this_thread::yield();
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    auto t0 = std::chrono::steady_clock::now();
    while (done.load() != producers * per_producer && std::chrono::steady_clock::now() - t0 < 5s) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(done.load(), producers * per_producer)
        << "jobs stranded in the queue: " << pool.queued();
}

}  // namespace
}  // namespace authd::core
