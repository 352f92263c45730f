// RedisIdPool: user ids this instance reserved in Redis a block at a time, so that a signup
// knows its id — which its verification mail's link carries — before its one script call.
#pragma once
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "core/loop.hpp"

namespace authd::store {

// Shared by the loops (a lock around a few integers). Holds at most a block plus the ids
// handed back by refused signups in flight. One refill at a time: signups that find the pool
// empty while a refill runs wait for it (resumed on their own loop), so concurrent signups
// leave no gaps. Ids left here when the process exits are never used: gaps, as a database
// sequence with a cache leaves.
class RedisIdPool {
  public:
    static constexpr int64_t block = 64;

    std::optional<int64_t> take() {
        std::lock_guard lock(mutex_);
        if (ids_.empty()) return std::nullopt;
        int64_t id = ids_.back();
        ids_.pop_back();
        return id;
    }
    // A signup refused for its name used nothing: the id is the next one handed out.
    void give_back(int64_t id) {
        std::lock_guard lock(mutex_);
        ids_.push_back(id);
    }
    // An id was found taken (an import wrote above this block's start): start afresh.
    void discard() {
        std::lock_guard lock(mutex_);
        ids_.clear();
    }

    // True when the caller is to refill (and must call end_refill); false when a refill is
    // running already (co_await wait_refill()).
    bool begin_refill() {
        std::lock_guard lock(mutex_);
        if (refilling_) return false;
        refilling_ = true;
        return true;
    }
    // Adds [first, last] (empty when first > last: the refill failed) and wakes the waiters.
    void end_refill(int64_t first, int64_t last) {
        std::vector<std::pair<std::coroutine_handle<>, core::Loop*>> waiting;
        {
            std::lock_guard lock(mutex_);
            for (int64_t id = last; id >= first; --id) ids_.push_back(id);
            refilling_ = false;
            waiting.swap(waiters_);
        }
        for (auto& [h, loop] : waiting) loop->post([h] { h.resume(); });
    }
    struct Wait {
        RedisIdPool* pool;
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> h) {
            std::lock_guard lock(pool->mutex_);
            if (!pool->refilling_) return false;  // it ended meanwhile: go on at once
            pool->waiters_.emplace_back(h, core::Loop::current());
            return true;
        }
        void await_resume() const noexcept {}
    };
    Wait wait_refill() { return Wait{this}; }

  private:
    std::mutex mutex_;
    std::vector<int64_t> ids_;  // a stack: back() is handed out next
    bool refilling_ = false;
    std::vector<std::pair<std::coroutine_handle<>, core::Loop*>> waiters_;
};

}  // namespace authd::store
