// core::Timer, the timer embedded in its owner: order of firing, re-arming later (lazy) and
// earlier, disarming before and after firing, destroying an armed timer, re-arming from
// inside its own callback.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "core/loop.hpp"

namespace authd::core {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Loop> make_loop() {
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(64, 0, error));
    EXPECT_TRUE(loop) << error;
    return loop;
}

struct Tagged {
    Timer timer;
    int tag = 0;
    std::vector<int>* fired = nullptr;
    Loop* loop = nullptr;
    int rearm_times = 0;  // re-arms itself this many times from its callback
    Tagged() : timer(&Tagged::on_fire, this) {}
    static void on_fire(Timer* t) {
        auto* self = static_cast<Tagged*>(t->owner);
        self->fired->push_back(self->tag);
        if (self->rearm_times-- > 0) self->loop->arm(self->timer, self->loop->now() + 1ms);
    }
};

TEST(Timer, FiresInDeadlineOrderWithLazyAndEagerRearms) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    std::vector<int> fired;
    std::vector<std::unique_ptr<Tagged>> ts;
    for (int i = 0; i < 6; ++i) {
        ts.push_back(std::make_unique<Tagged>());
        ts.back()->tag = i;
        ts.back()->fired = &fired;
        ts.back()->loop = loop.get();
    }
    MonoTime t0 = mono_now();
    loop->arm(ts[0]->timer, t0 + 30ms);
    loop->arm(ts[1]->timer, t0 + 5ms);
    loop->arm(ts[1]->timer, t0 + 40ms);  // later: applied lazily
    loop->arm(ts[2]->timer, t0 + 50ms);
    loop->arm(ts[2]->timer, t0 + 10ms);  // earlier: moved now
    loop->arm(ts[3]->timer, t0 + 20ms);
    loop->disarm(ts[3]->timer);  // never fires
    loop->arm(ts[4]->timer, t0 + 15ms);
    ts[4].reset();  // destroying an armed timer disarms it
    loop->arm(ts[5]->timer, t0 + 1ms);
    ts[5]->rearm_times = 2;  // fires three times
    EXPECT_TRUE(ts[0]->timer.armed());
    EXPECT_FALSE(ts[3]->timer.armed());
    loop->add_timer(t0 + 80ms, [&] { loop->stop(); });
    loop->run();
    EXPECT_EQ(fired, (std::vector<int>{5, 5, 5, 2, 0, 1}));
    for (auto& t : ts) {
        if (t) EXPECT_FALSE(t->timer.armed());
    }
    loop->disarm(ts[0]->timer);  // after it fired: harmless
}

TEST(Timer, ThousandsOfTimersDisarmedInAnyOrderLeaveTheHeapConsistent) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    std::vector<int> fired;
    std::vector<std::unique_ptr<Tagged>> ts;
    MonoTime t0 = mono_now();
    for (int i = 0; i < 2000; ++i) {
        ts.push_back(std::make_unique<Tagged>());
        ts.back()->tag = i;
        ts.back()->fired = &fired;
        loop->arm(ts.back()->timer, t0 + std::chrono::microseconds((i * 7919) % 20000));
    }
    for (int i = 0; i < 2000; i += 3) loop->disarm(ts[i]->timer);
    loop->add_timer(t0 + 40ms, [&] { loop->stop(); });
    loop->run();
    EXPECT_EQ(fired.size(), 2000u - 667u);
    for (size_t i = 1; i < fired.size(); ++i) {
        EXPECT_LE((fired[i - 1] * 7919) % 20000, (fired[i] * 7919) % 20000) << i;
    }
}

}  // namespace
}  // namespace authd::core
