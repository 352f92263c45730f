// LoopGroup: per-core loop threads, created and initialised in two phases so that no loop
// runs (and sends cross-loop messages) before every loop exists.
#include "core/loop_group.hpp"

#include <latch>
#include <memory>
#include <mutex>

namespace authd::core {

LoopGroup::~LoopGroup() {
    join();
}

bool LoopGroup::start(unsigned count, unsigned ring_entries, Init init, std::string& error) {
    loops_.resize(count);
    // Shared, not on this stack: threads still read `go` and `failed` after start() returned.
    struct StartState {
        explicit StartState(unsigned n) : ready(n) {}
        std::latch ready;
        std::latch go{1};
        std::mutex error_mutex;  // start-up only: collects the first failure
        bool failed = false;     // written before `ready`, read after `go`
    };
    auto st = std::make_shared<StartState>(count);
    for (unsigned i = 0; i < count; ++i) {
        threads_.emplace_back([this, st, i, ring_entries, &init, &error] {
            std::string why;
            Loop* loop = Loop::create(ring_entries, static_cast<int>(i), why);
            if (loop) {
                loops_[i].reset(loop);
                if (!init(*loop, why)) loop = nullptr;
            }
            if (!loop) {
                std::lock_guard lock(st->error_mutex);
                if (!st->failed) error = why;
                st->failed = true;
            }
            st->ready.count_down();
            st->go.wait();
            if (loop && !st->failed) loop->run();
        });
    }
    st->ready.wait();
    bool failed = st->failed;
    st->go.count_down();
    if (failed) join();
    return !failed;
}

void LoopGroup::join() {
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

}  // namespace authd::core
