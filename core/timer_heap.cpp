// Loop's embedded timers: a binary min-heap of Timer* with each timer's index stored in the
// timer, so arm/disarm are O(log n) and never touch freed memory (the owner disarms on
// destruction). Later deadlines are applied lazily when the old key comes due.
#include <cassert>

#include "core/loop.hpp"

namespace authd::core {

Timer::~Timer() {
    if (armed()) loop_->disarm(*this);
}

void Loop::heap_place(size_t i, Timer* t) {
    heap_[i] = t;
    t->heap_index_ = i;
}

void Loop::heap_sift_up(size_t i) {
    Timer* t = heap_[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap_[parent]->key_ <= t->key_) break;
        heap_place(i, heap_[parent]);
        i = parent;
    }
    heap_place(i, t);
}

void Loop::heap_sift_down(size_t i) {
    Timer* t = heap_[i];
    size_t n = heap_.size();
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && heap_[child + 1]->key_ < heap_[child]->key_) ++child;
        if (t->key_ <= heap_[child]->key_) break;
        heap_place(i, heap_[child]);
        i = child;
    }
    heap_place(i, t);
}

void Loop::heap_remove(size_t i) {
    Timer* t = heap_[i];
    Timer* last = heap_.back();
    heap_.pop_back();
    t->heap_index_ = Timer::not_armed;
    if (last == t) return;
    heap_place(i, last);
    heap_sift_up(i);
    heap_sift_down(last->heap_index_);
}

void Loop::arm(Timer& t, MonoTime deadline) {
    assert(t.fn);
    t.deadline_ = deadline;
    if (t.armed()) {
        assert(t.loop_ == this);
        if (deadline >= t.key_) return;  // lazily moved when the old key comes due
        t.key_ = deadline;
        heap_sift_up(t.heap_index_);
        return;
    }
    t.loop_ = this;
    t.key_ = deadline;
    heap_.push_back(&t);
    t.heap_index_ = heap_.size() - 1;
    heap_sift_up(t.heap_index_);
}

void Loop::disarm(Timer& t) {
    if (!t.armed()) return;
    assert(t.loop_ == this);
    heap_remove(t.heap_index_);
}

}  // namespace authd::core
