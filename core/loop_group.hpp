// LoopGroup: the set of loops of this process, one thread each. Cross-loop work is an
// explicit message; on_all() runs a function on every loop and resumes the caller once
// all have run it (how a revocation reaches every loop before the request is answered).
#pragma once
#include <coroutine>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/loop.hpp"

namespace authd::core {

class LoopGroup {
  public:
    LoopGroup() = default;
    ~LoopGroup();

    // Starts `count` threads. Each creates its own loop (a ring belongs to the thread that
    // made it: SINGLE_ISSUER) and runs init(loop) there; once every init succeeded, all
    // loops start running. On failure every thread exits and `error` says why.
    using Init = std::function<bool(Loop&, std::string& error)>;
    bool start(unsigned count, unsigned ring_entries, Init init, std::string& error);
    void join();
    size_t size() const { return loops_.size(); }
    Loop& loop(size_t i) { return *loops_[i]; }

    // co_await group.on_all(fn): fn(loop) runs on every loop's thread; resumes on the
    // calling loop after the last one has finished. fn must be copyable.
    template <class F>
    auto on_all(F fn) {
        struct Awaiter {
            LoopGroup* group;
            F fn;
            size_t remaining = 0;
            bool await_ready() { return group->loops_.empty(); }
            void await_suspend(std::coroutine_handle<> h) {
                Loop* origin = Loop::current();
                remaining = group->loops_.size();
                for (auto& l : group->loops_) {
                    Loop* target = l.get();
                    target->post([this, h, origin, target] {
                        fn(*target);
                        origin->post([this, h] {
                            if (--remaining == 0) h.resume();
                        });
                    });
                }
            }
            void await_resume() {}
        };
        return Awaiter{this, std::move(fn)};
    }

    // Fire-and-forget: fn(loop) on every loop.
    template <class F>
    void post_all(F fn) {
        for (auto& l : loops_) {
            Loop* target = l.get();
            target->post([fn, target]() mutable { fn(*target); });
        }
    }

  private:
    std::vector<std::unique_ptr<Loop>> loops_;
    std::vector<std::thread> threads_;
};

}  // namespace authd::core
