// A Loop with a deliberately tiny ring (1–8 SQ entries): one turn prepares hundreds of
// operations, so the io_uring backend must submit when the SQ is full and the CQ overflows into
// the kernel's backlog; the epoll backend must queue them all. Every completion arrives once.
#include <gtest/gtest.h>

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

struct TinyParam {
    IoBackend backend;
    unsigned entries;
};

class TinyRing : public ::testing::TestWithParam<TinyParam> {
  protected:
    std::unique_ptr<Loop> make() {
        std::string error;
        std::unique_ptr<Loop> loop(Loop::create(GetParam().backend, GetParam().entries, 0, error));
        EXPECT_TRUE(loop) << error;
        return loop;
    }
};

TEST_P(TinyRing, HundredsOfOperationsInOneTurnAllComplete) {
    std::unique_ptr<Loop> loop = make();
    ASSERT_TRUE(loop);

    constexpr int nops = 600;
    constexpr int ntimeouts = 150;
    std::vector<Op> ops(nops + ntimeouts);
    Tally tally{loop.get(), nops + ntimeouts, 0};
    for (auto& op : ops) op.c = {&on_op, &tally};

    loop->post([&] {
        // All in one turn, from a callback, as connection callbacks do.
        for (int i = 0; i < nops; ++i) loop->nop(&ops[static_cast<size_t>(i)].c);
        for (int i = 0; i < ntimeouts; ++i) {
            Op& op = ops[static_cast<size_t>(nops + i)];
            // 0–4 ms later, a timer prepares the operation: timers and completions interleave.
            loop->add_timer(mono_now() + std::chrono::milliseconds(i % 5),
                            [&loop, &op] { loop->nop(&op.c); });
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
        EXPECT_EQ(ops[static_cast<size_t>(i)].res, 0) << "timeout " << i;
    }
}

TEST_P(TinyRing, RepeatedBurstsAcrossTurns) {
    std::unique_ptr<Loop> loop = make();
    ASSERT_TRUE(loop);
    constexpr int rounds = 50, per_round = 100;
    std::vector<Op> ops(per_round);
    Tally tally{loop.get(), rounds * per_round, 0};
    for (auto& op : ops) op.c = {&on_op, &tally};
    int round = 0;
    // Each round is prepared by a timer, after the previous one has fully completed.
    std::function<void()> next_round = [&] {
        if (round++ == rounds) return;
        for (auto& op : ops) loop->nop(&op.c);
        loop->add_timer(mono_now() + 1ms, [&] { next_round(); });
    };
    loop->add_timer(mono_now(), [&] { next_round(); });
    run_until_tallied(*loop, tally);
    EXPECT_EQ(tally.completed, tally.expected);
    for (const auto& op : ops) EXPECT_EQ(op.calls, rounds);
}

TEST_P(TinyRing, MailboxStillWorksWhileTheRingIsSaturated) {
    // Posted messages share the ring (the eventfd read): they must keep flowing too.
    std::unique_ptr<Loop> loop = make();
    ASSERT_TRUE(loop);
    std::vector<Op> ops(300);
    Tally tally{loop.get(), -1, 0};  // stopped by the poll below, not by count
    for (auto& op : ops) op.c = {&on_op, &tally};
    loop->post([&] {
        for (auto& op : ops) loop->nop(&op.c);
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

INSTANTIATE_TEST_SUITE_P(Entries, TinyRing,
                         ::testing::Values(TinyParam{IoBackend::io_uring, 1},
                                           TinyParam{IoBackend::io_uring, 2},
                                           TinyParam{IoBackend::io_uring, 4},
                                           TinyParam{IoBackend::io_uring, 8},
                                           TinyParam{IoBackend::epoll, 4}),
                         [](const ::testing::TestParamInfo<TinyParam>& info) {
                             return std::string(backend_name(info.param.backend)) + "_" +
                                    std::to_string(info.param.entries);
                         });

}  // namespace
}  // namespace authd::core
