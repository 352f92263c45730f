// A Loop with a deliberately tiny ring (4 SQ entries, 16 CQ entries): one turn prepares
// hundreds of operations, so Loop::sqe() must submit when the SQ is full and the CQ
// overflows into the kernel's backlog. Every completion must still arrive exactly once.
#include <gtest/gtest.h>
#include <liburing.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/loop.hpp"

namespace authd::core {
namespace {

using namespace std::chrono_literals;

struct Op {
    Completion c;
    int calls = 0;
    int32_t res = 1;
    __kernel_timespec ts{};  // for timeouts: must outlive the submission
};

struct Tally {
    Loop* loop = nullptr;
    int expected = 0;
    int completed = 0;
};

void on_op(Completion* c, int32_t res, uint32_t) {
    auto* op = reinterpret_cast<Op*>(c);  // c is Op's first member
    ++op->calls;
    op->res = res;
    auto* t = static_cast<Tally*>(c->owner);
    if (++t->completed == t->expected) t->loop->stop();
}

// Runs the loop until the tally is complete (on_op stops it) or 10 s pass; false on the latter.
bool run_until_tallied(Loop& loop, const Tally& tally) {
    bool gave_up = false;
    auto safety = loop.add_timer(mono_now() + 10s, [&] {
        gave_up = true;
        loop.stop();
    });
    loop.run();
    EXPECT_FALSE(gave_up) << "completed " << tally.completed << " of " << tally.expected;
    if (!gave_up) loop.cancel_timer(safety);
    return !gave_up;
}

class TinyRing : public ::testing::TestWithParam<unsigned> {};

TEST_P(TinyRing, HundredsOfOperationsInOneTurnAllComplete) {
    const unsigned entries = GetParam();
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(entries, 0, error));
    ASSERT_TRUE(loop) << error;

    constexpr int nops = 600;
    constexpr int ntimeouts = 150;
    std::vector<Op> ops(nops + ntimeouts);
    Tally tally{loop.get(), nops + ntimeouts, 0};
    for (auto& op : ops) op.c = {&on_op, &tally};

    loop->post([&] {
        // All in one turn, from a callback, as connection callbacks do.
        for (int i = 0; i < nops; ++i)
            io_uring_prep_nop(loop->sqe_for(&ops[static_cast<size_t>(i)].c));
        for (int i = 0; i < ntimeouts; ++i) {
            Op& op = ops[static_cast<size_t>(nops + i)];
            op.ts.tv_nsec = 1000000 * (i % 5);  // 0–4 ms
            io_uring_prep_timeout(loop->sqe_for(&op.c), &op.ts, 0, 0);
        }
    });
    run_until_tallied(*loop, tally);
    EXPECT_EQ(tally.completed, tally.expected);
    for (int i = 0; i < nops; ++i) {
        EXPECT_EQ(ops[static_cast<size_t>(i)].calls, 1) << "nop " << i;
        EXPECT_EQ(ops[static_cast<size_t>(i)].res, 0) << "nop " << i;
    }
    for (int i = nops; i < nops + ntimeouts; ++i) {
        EXPECT_EQ(ops[static_cast<size_t>(i)].calls, 1) << "timeout " << i;
        EXPECT_EQ(ops[static_cast<size_t>(i)].res, -ETIME) << "timeout " << i;
    }
}

TEST_P(TinyRing, RepeatedBurstsAcrossTurns) {
    const unsigned entries = GetParam();
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(entries, 0, error));
    ASSERT_TRUE(loop) << error;
    constexpr int rounds = 50, per_round = 100;
    std::vector<Op> ops(per_round);
    Tally tally{loop.get(), rounds * per_round, 0};
    for (auto& op : ops) op.c = {&on_op, &tally};
    int round = 0;
    // Each round is prepared by a timer, after the previous one has fully completed.
    std::function<void()> next_round = [&] {
        if (round++ == rounds) return;
        for (auto& op : ops) io_uring_prep_nop(loop->sqe_for(&op.c));
        loop->add_timer(mono_now() + 1ms, [&] { next_round(); });
    };
    loop->add_timer(mono_now(), [&] { next_round(); });
    run_until_tallied(*loop, tally);
    EXPECT_EQ(tally.completed, tally.expected);
    for (const auto& op : ops) EXPECT_EQ(op.calls, rounds);
}

TEST_P(TinyRing, MailboxStillWorksWhileTheRingIsSaturated) {
    // Posted messages share the ring (the eventfd read): they must keep flowing too.
    const unsigned entries = GetParam();
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(entries, 0, error));
    ASSERT_TRUE(loop) << error;
    std::vector<Op> ops(300);
    Tally tally{loop.get(), -1, 0};  // stopped by the poll below, not by count
    for (auto& op : ops) op.c = {&on_op, &tally};
    loop->post([&] {
        for (auto& op : ops) io_uring_prep_nop(loop->sqe_for(&op.c));
    });
    int messages = 0;
    bool producer_done = false;
    std::thread producer([&] {
        for (int i = 0; i < 2000; ++i) loop->post([&] { ++messages; });
        loop->post([&] { producer_done = true; });
    });
    auto deadline = mono_now() + 10s;
    std::function<void()> poll = [&] {
        if ((producer_done && tally.completed == 300) || mono_now() > deadline) {
            loop->stop();
            return;
        }
        loop->add_timer(mono_now() + 1ms, [&] { poll(); });
    };
    loop->add_timer(mono_now(), [&] { poll(); });
    loop->run();
    producer.join();
    EXPECT_EQ(messages, 2000);
    EXPECT_EQ(tally.completed, 300);
    for (const auto& op : ops) EXPECT_EQ(op.calls, 1);
}

INSTANTIATE_TEST_SUITE_P(Entries, TinyRing, ::testing::Values(1u, 2u, 4u, 8u));

}  // namespace
}  // namespace authd::core
