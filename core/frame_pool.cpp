// Size-classed free lists for coroutine frames, one set per thread, capped so a burst
// does not pin memory forever.
#include "core/frame_pool.hpp"

#include <new>

namespace authd::core {
namespace {

constexpr size_t class_bytes = 128;
constexpr size_t class_count = 16;  // frames up to 2 KiB are pooled
constexpr size_t max_cached_per_class = 256;

struct FreeNode {
    FreeNode* next;
};

struct FramePool {
    FreeNode* heads[class_count] = {};
    size_t counts[class_count] = {};
    ~FramePool() {
        for (auto*& head : heads) {
            while (head) {
                FreeNode* n = head;
                head = n->next;
                ::operator delete(n);
            }
        }
    }
};

thread_local FramePool pool;

size_t class_of(size_t size) {
    return (size + class_bytes - 1) / class_bytes - 1;
}

}  // namespace

void* frame_alloc(size_t size) {
    size_t c = class_of(size);
    if (c >= class_count) return ::operator new(size);
    if (FreeNode* n = pool.heads[c]) {
        pool.heads[c] = n->next;
        --pool.counts[c];
        return n;
    }
    return ::operator new((c + 1) * class_bytes);
}

void frame_free(void* p, size_t size) noexcept {
    size_t c = class_of(size);
    if (c >= class_count || pool.counts[c] >= max_cached_per_class) {
        ::operator delete(p);
        return;
    }
    auto* n = static_cast<FreeNode*>(p);
    n->next = pool.heads[c];
    pool.heads[c] = n;
    ++pool.counts[c];
}

}  // namespace authd::core
