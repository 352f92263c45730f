// Vyukov's intrusive multi-producer single-consumer queue: push from any thread without
// locks, pop only from the owning loop. Nodes are owned by the caller.
#pragma once
#include <atomic>

namespace authd::core {

struct MpscNode {
    std::atomic<MpscNode*> next{nullptr};
};

class MpscQueue {
  public:
    MpscQueue() : head_(&stub_), tail_(&stub_) {}
    MpscQueue(const MpscQueue&) = delete;
    MpscQueue& operator=(const MpscQueue&) = delete;

    void push(MpscNode* n) {
        n->next.store(nullptr, std::memory_order_relaxed);
        MpscNode* prev = head_.exchange(n, std::memory_order_acq_rel);
        prev->next.store(n, std::memory_order_release);
    }

    // Returns nullptr when empty or when a producer is between its two steps (the
    // consumer is woken again by that producer's notification, so nothing is lost).
    MpscNode* pop() {
        MpscNode* tail = tail_;
        MpscNode* next = tail->next.load(std::memory_order_acquire);
        if (tail == &stub_) {
            if (!next) return nullptr;
            tail_ = next;
            tail = next;
            next = next->next.load(std::memory_order_acquire);
        }
        if (next) {
            tail_ = next;
            return tail;
        }
        if (tail != head_.load(std::memory_order_acquire)) return nullptr;
        push(&stub_);
        next = tail->next.load(std::memory_order_acquire);
        if (next) {
            tail_ = next;
            return tail;
        }
        return nullptr;
    }

  private:
    std::atomic<MpscNode*> head_;
    MpscNode* tail_;
    MpscNode stub_;
};

}  // namespace authd::core
