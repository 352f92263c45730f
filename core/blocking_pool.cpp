// The blocking pool's bounded MPMC queue and worker threads.
#include "core/blocking_pool.hpp"

#include <unistd.h>

#include <bit>
#include <cassert>

namespace authd::core {

BlockingPool::BlockingPool(unsigned threads, size_t queue_capacity)
    : capacity_(std::bit_ceil(queue_capacity < 2 ? size_t{2} : queue_capacity)),
      mask_(capacity_ - 1),
      slots_(new Slot[capacity_]) {
    for (size_t i = 0; i < capacity_; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) {
        workers_.emplace_back([this] { worker_main(); });
    }
}

BlockingPool::~BlockingPool() {
    stopping_.store(true);
    for (size_t i = 0; i < workers_.size(); ++i) available_.release();
    for (auto& t : workers_) t.join();
}

bool BlockingPool::try_submit(UniqueFunction<void()> job) {
    size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
        Slot& slot = slots_[pos & mask_];
        size_t seq = slot.sequence.load(std::memory_order_acquire);
        auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
        if (diff == 0) {
            if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                slot.job = std::move(job);
                slot.sequence.store(pos + 1, std::memory_order_release);
                queued_.fetch_add(1, std::memory_order_relaxed);
                available_.release();
                return true;
            }
        } else if (diff < 0) {
            return false;  // full
        } else {
            pos = enqueue_pos_.load(std::memory_order_relaxed);
        }
    }
}

bool BlockingPool::pop(UniqueFunction<void()>& job) {
    size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    for (;;) {
        Slot& slot = slots_[pos & mask_];
        size_t seq = slot.sequence.load(std::memory_order_acquire);
        auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
        if (diff == 0) {
            if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                job = std::move(slot.job);
                slot.sequence.store(pos + mask_ + 1, std::memory_order_release);
                queued_.fetch_sub(1, std::memory_order_relaxed);
                return true;
            }
        } else if (diff < 0) {
            return false;  // empty
        } else {
            pos = dequeue_pos_.load(std::memory_order_relaxed);
        }
    }
}

void BlockingPool::worker_main() {
    for (;;) {
        available_.acquire();
        UniqueFunction<void()> job;
        // Each permit stands for a published job, but slots are popped in claim order: the
        // head may still be mid-publish by a preempted submitter. Dropping the permit then
        // would strand a published job until some later submission, so wait for the head.
        // With stopping_ set no submitter is active, so an empty queue is really empty:
        // the permit was a stop signal (jobs are always popped first).
        while (!pop(job)) {
            if (stopping_.load()) return;
            std::this_thread::yield();
        }
        job();
    }
}

}  // namespace authd::core
