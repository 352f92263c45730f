// Loop, LoopGroup and run_blocking: timers fire in deadline order and can be cancelled,
// post() from many threads delivers every message exactly once (and promptly), on_all()
// resumes its caller only after every loop ran the function.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/loop.hpp"
#include "core/loop_group.hpp"
#include "core/run_blocking.hpp"
#include "core/task.hpp"

namespace authd::core {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Loop> make_loop(unsigned entries = 64) {
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(entries, 0, error));
    EXPECT_TRUE(loop) << error;
    return loop;
}

// co_await Sleep{d}: resumes on the current loop after d, through a loop timer.
struct Sleep {
    Millis d;
    bool await_ready() { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        Loop* l = Loop::current();
        l->add_timer(mono_now() + d, [h] { h.resume(); });
    }
    void await_resume() {}
};

// A loop running on its own thread, which also creates it (a ring belongs to the thread
// that made it: SINGLE_ISSUER). Stops and joins on destruction.
struct LoopThread {
    std::unique_ptr<Loop> loop;
    std::thread thread;
    std::thread::id id;
    LoopThread() {
        std::atomic<bool> started{false};
        thread = std::thread([&] {
            loop = make_loop();
            id = std::this_thread::get_id();
            Loop* l = loop.get();
            started = true;
            l->run();
        });
        while (!started) std::this_thread::yield();
    }
    ~LoopThread() {
        loop->post([l = loop.get()] { l->stop(); });
        thread.join();
    }
};

TEST(Loop, CreateAndCurrent) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    EXPECT_EQ(Loop::current(), nullptr);  // off-loop
    Loop* seen = nullptr;
    loop->post([&] {
        seen = Loop::current();
        loop->stop();
    });
    loop->run();
    EXPECT_EQ(seen, loop.get());
    EXPECT_EQ(Loop::current(), nullptr);  // reset when run() returns
    EXPECT_GE(loop->turns(), 0u);
}

TEST(Loop, TimersFireInDeadlineOrderAndNotEarly) {
    auto loop = make_loop();
    std::vector<int> order;
    std::vector<bool> early;
    MonoTime t0 = mono_now();
    auto at = [&](int ms, int tag) {
        MonoTime deadline = t0 + Millis(ms);
        loop->add_timer(deadline, [&, deadline, tag] {
            order.push_back(tag);
            early.push_back(mono_now() < deadline);
        });
    };
    at(30, 4);
    at(10, 1);
    at(20, 3);
    at(10, 2);  // same deadline as tag 1: insertion order
    at(-5, 0);  // already due
    loop->add_timer(t0 + 40ms, [&] { loop->stop(); });
    loop->run();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    for (bool e : early) EXPECT_FALSE(e);
    EXPECT_GE(mono_now() - t0, 40ms);
}

TEST(Loop, CancelledTimersDoNotFire) {
    auto loop = make_loop();
    std::vector<int> fired;
    MonoTime t0 = mono_now();
    TimerId b = loop->add_timer(t0 + 20ms, [&] { fired.push_back(2); });
    TimerId d = loop->add_timer(t0 + 25ms, [&] { fired.push_back(4); });
    TimerId e = loop->add_timer(t0 + 26ms, [&] { fired.push_back(5); });
    loop->add_timer(t0 + 10ms, [&] {
        fired.push_back(1);
        loop->cancel_timer(d);  // cancelled from inside another timer
    });
    loop->add_timer(t0 + 10ms, [&] { fired.push_back(11); });  // same deadline as a canceller
    loop->post([&] { loop->cancel_timer(e); });                // cancelled from a message
    loop->add_timer(t0 + 40ms, [&] {
        fired.push_back(9);
        loop->stop();
    });
    loop->cancel_timer(b);
    EXPECT_NE(b, loop->no_timer());
    loop->run();
    EXPECT_EQ(fired, (std::vector<int>{1, 11, 9}));
}

TEST(Loop, TimersAddedByTimersAndMessagesFire) {
    auto loop = make_loop();
    std::vector<int> fired;
    loop->add_timer(mono_now(), [&] {
        fired.push_back(1);
        loop->add_timer(mono_now(), [&] { fired.push_back(2); });  // due now: same turn or next
        loop->add_timer(mono_now() + 5ms, [&] {
            fired.push_back(3);
            loop->stop();
        });
    });
    loop->run();
    EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(Loop, TimerAddedFromAnotherThreadsMessageWakesTheLoopInTime) {
    // The loop may be asleep for up to a second; a timer added by a message must shorten that.
    LoopThread lt;
    std::atomic<bool> fired{false};
    auto t0 = mono_now();
    lt.loop->post([l = lt.loop.get(), &fired] {
        l->add_timer(mono_now() + 20ms, [&fired] { fired = true; });
    });
    while (!fired && mono_now() - t0 < 5s) std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(fired);
    EXPECT_LT(mono_now() - t0, 500ms);
}

TEST(Loop, MessagesPostedBeforeRunAreDeliveredInOrder) {
    auto loop = make_loop();
    std::vector<int> got;
    for (int i = 0; i < 100; ++i) loop->post([&, i] { got.push_back(i); });
    loop->post([&] { loop->stop(); });
    loop->run();
    ASSERT_EQ(got.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
}

TEST(Loop, LargeCapturesArePosted) {
    // Captures beyond UniqueFunction's inline buffer take the heap path.
    auto loop = make_loop();
    std::array<char, 200> big{};
    big[199] = 'z';
    auto owned = std::make_unique<int>(7);
    char seen = 0;
    int value = 0;
    loop->post([&seen, big] { seen = big[199]; });
    loop->post([&value, p = std::move(owned)] { value = *p; });
    loop->post([&] { loop->stop(); });
    loop->run();
    EXPECT_EQ(seen, 'z');
    EXPECT_EQ(value, 7);
}

TEST(Loop, ManyProducersEveryMessageExactlyOnceInProducerOrder) {
    constexpr int producers = 8;
    constexpr int per_producer = 20000;
    LoopThread lt;
    Loop* loop = lt.loop.get();
    // Touched only on the loop thread.
    std::vector<std::vector<uint8_t>> seen(producers, std::vector<uint8_t>(per_producer, 0));
    std::vector<int> last(producers, -1);
    int total = 0;
    int duplicates = 0, out_of_order = 0, wrong_thread = 0;
    std::atomic<bool> all_done{false};

    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = 0; i < per_producer; ++i) {
                loop->post([&, p, i] {
                    if (Loop::current() != loop || std::this_thread::get_id() != lt.id)
                        ++wrong_thread;
                    if (seen[p][i]++) ++duplicates;
                    if (i != last[p] + 1) ++out_of_order;
                    last[p] = i;
                    if (++total == producers * per_producer) all_done = true;
                });
                if ((i & 1023) == 0) std::this_thread::yield();
            }
        });
    }
    for (auto& t : threads) t.join();
    auto t0 = mono_now();
    // Every message must arrive without any further post to wake the loop.
    while (!all_done && mono_now() - t0 < 10s) std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(all_done) << "delivered " << total << " of " << producers * per_producer;
    std::atomic<bool> checked{false};
    loop->post([&] { checked = true; });
    while (!checked) std::this_thread::yield();
    EXPECT_EQ(duplicates, 0);
    EXPECT_EQ(out_of_order, 0);
    EXPECT_EQ(wrong_thread, 0);
}

TEST(Loop, PingPongNeverLosesAWakeup) {
    // One message in flight at a time: a lost eventfd wake-up would stall this for good.
    LoopThread lt;
    std::atomic<int> acked{0};
    for (int i = 1; i <= 20000; ++i) {
        lt.loop->post([&acked, i] { acked.store(i, std::memory_order_release); });
        auto t0 = mono_now();
        while (acked.load(std::memory_order_acquire) != i) {
            if (mono_now() - t0 > 5s) FAIL() << "message " << i << " never delivered";
        }
    }
}

TEST(Loop, BurstsAreDeliveredWithoutALaterPost) {
    // Producers post bursts while the loop is busy draining; after each round every message
    // must be delivered with nobody posting again.
    LoopThread lt;
    std::atomic<int> delivered{0};
    std::mt19937 rng(7);
    int expected = 0;
    for (int round = 0; round < 300; ++round) {
        int per = 1 + static_cast<int>(rng() % 20);
        std::vector<std::thread> threads;
        for (int p = 0; p < 3; ++p) {
            threads.emplace_back([&] {
                for (int i = 0; i < per; ++i) lt.loop->post([&] { delivered.fetch_add(1); });
            });
        }
        for (auto& t : threads) t.join();
        expected += 3 * per;
        auto t0 = mono_now();
        while (delivered.load() != expected) {
            ASSERT_LT(mono_now() - t0, 5s)
                << "round " << round << ": " << delivered.load() << " of " << expected;
            std::this_thread::yield();
        }
    }
}

// --- LoopGroup ---

struct OnAllProbe {
    LoopGroup* group = nullptr;
    std::vector<std::atomic<int>> ran;
    std::atomic<int> calls_before_resume{-1};
    std::thread::id resumed_on;
    Loop* resumed_loop = nullptr;
    explicit OnAllProbe(size_t n) : ran(n) {}
};

Task<void> on_all_then_stop(OnAllProbe* probe, int rounds) {
    for (int r = 0; r < rounds; ++r) {
        co_await probe->group->on_all([probe](Loop& l) {
            probe->ran[static_cast<size_t>(l.index())].fetch_add(1);
            EXPECT_EQ(Loop::current(), &l);  // runs on that loop's own thread
        });
        int sum = 0;
        for (auto& x : probe->ran) sum += x.load();
        probe->calls_before_resume = sum;
        if (sum != (r + 1) * static_cast<int>(probe->ran.size())) break;
    }
    probe->resumed_on = std::this_thread::get_id();
    probe->resumed_loop = Loop::current();
    probe->group->post_all([](Loop& l) { l.stop(); });
}

TEST(LoopGroup, OnAllResumesAfterEveryLoopRan) {
    constexpr unsigned n = 4;
    LoopGroup group;
    std::vector<std::thread::id> ids(n);
    std::string error;
    ASSERT_TRUE(group.start(
        n, 64,
        [&](Loop& l, std::string&) {
            ids[static_cast<size_t>(l.index())] = std::this_thread::get_id();
            return true;
        },
        error))
        << error;
    ASSERT_EQ(group.size(), n);
    OnAllProbe probe(n);
    probe.group = &group;
    constexpr int rounds = 50;
    group.loop(2).post([&] { spawn(on_all_then_stop(&probe, rounds)); });
    group.join();
    EXPECT_EQ(probe.calls_before_resume.load(), rounds * static_cast<int>(n));
    for (auto& x : probe.ran) EXPECT_EQ(x.load(), rounds);
    EXPECT_EQ(probe.resumed_on, ids[2]);  // back on the loop that asked
    EXPECT_EQ(probe.resumed_loop, &group.loop(2));
}

TEST(LoopGroup, ConcurrentOnAllFromEveryLoop) {
    constexpr unsigned n = 3;
    LoopGroup group;
    std::string error;
    ASSERT_TRUE(group.start(
        n, 64, [](Loop&, std::string&) { return true; }, error))
        << error;
    std::atomic<int> finished{0};
    std::atomic<int> runs{0};
    struct Ctx {
        LoopGroup* group;
        std::atomic<int>* finished;
        std::atomic<int>* runs;
    } ctx{&group, &finished, &runs};
    auto task = [](Ctx c, Loop* home) -> Task<void> {
        for (int i = 0; i < 100; ++i) {
            int before = c.runs->load();
            co_await c.group->on_all([c](Loop&) { c.runs->fetch_add(1); });
            EXPECT_GE(c.runs->load(), before + 3);
            EXPECT_EQ(Loop::current(), home);
        }
        if (c.finished->fetch_add(1) + 1 == 3) c.group->post_all([](Loop& l) { l.stop(); });
    };
    for (unsigned i = 0; i < n; ++i) {
        Loop* l = &group.loop(i);
        l->post([=] { spawn(task(ctx, l)); });
    }
    group.join();
    EXPECT_EQ(finished.load(), 3);
    EXPECT_EQ(runs.load(), 3 * 100 * 3);
}

TEST(LoopGroup, FailedInitStopsEveryThreadAndReportsWhy) {
    LoopGroup group;
    std::string error;
    std::atomic<int> inits{0};
    bool ok = group.start(
        3, 64,
        [&](Loop& l, std::string& why) {
            inits.fetch_add(1);
            if (l.index() == 1) {
                why = "loop 1 could not listen";
                return false;
            }
            return true;
        },
        error);
    EXPECT_FALSE(ok);
    EXPECT_EQ(error, "loop 1 could not listen");
    EXPECT_EQ(inits.load(), 3);
    group.join();  // already joined: harmless
}

// --- run_blocking ---

Task<int> child_value(int v) {
    co_await Sleep{1ms};
    co_return v * 2;
}

Task<std::string> blocking_work(Loop** seen) {
    *seen = Loop::current();
    int a = co_await child_value(20);
    co_await Sleep{5ms};
    int b = co_await child_value(1);
    co_return "answer=" + std::to_string(a + b);
}

TEST(RunBlocking, RunsATaskToCompletionOnATemporaryLoop) {
    std::string error;
    Loop* seen = nullptr;
    std::optional<std::string> r = run_blocking(blocking_work(&seen), error);
    ASSERT_TRUE(r) << error;
    EXPECT_EQ(*r, "answer=42");
    EXPECT_NE(seen, nullptr);
    EXPECT_EQ(Loop::current(), nullptr);
}

Task<int> immediate() {
    co_return 5;
}

TEST(RunBlocking, SynchronousTaskAndRepeatedUse) {
    for (int i = 0; i < 20; ++i) {
        std::string error;
        auto r = run_blocking(immediate(), error);
        ASSERT_TRUE(r) << error;
        EXPECT_EQ(*r, 5);
    }
}

}  // namespace
}  // namespace authd::core
