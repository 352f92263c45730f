// BufferRing: the loop-provided receive buffers of a multishot recv. On io_uring a provided-
// buffer ring built by hand (liburing 2.3 lacks io_uring_setup_buf_ring) from which the kernel
// picks; on epoll a free list the loop takes from. The owner hands a buffer back with recycle().
#pragma once
#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace authd::core {

class Loop;

class BufferRing {
  public:
    BufferRing() = default;
    ~BufferRing();
    BufferRing(const BufferRing&) = delete;
    BufferRing& operator=(const BufferRing&) = delete;

    // count must be a power of two. Returns false with `error` on failure.
    bool init(Loop& loop, uint16_t group_id, unsigned count, unsigned buffer_size,
              std::string& error);

    uint16_t group_id() const { return group_id_; }
    unsigned buffer_size() const { return buffer_size_; }
    char* buffer(uint16_t id) { return buffers_ + static_cast<size_t>(id) * buffer_size_; }

    // Returns a buffer to the loop. Cheap; publishes at once.
    void recycle(uint16_t id) {
        if (br_) {
            io_uring_buf_ring_add(br_, buffer(id), buffer_size_, id, io_uring_buf_ring_mask(count_),
                                  0);
            io_uring_buf_ring_advance(br_, 1);
        } else {
            free_.push_back(id);  // capacity reserved for all: never allocates
        }
    }
    // epoll backend: a free buffer id, or -1 when every buffer is lent out.
    int take() {
        if (free_.empty()) return -1;
        uint16_t id = free_.back();
        free_.pop_back();
        return id;
    }

  private:
    bool init_uring(io_uring* ring, std::string& error);

    io_uring* ring_ = nullptr;
    io_uring_buf_ring* br_ = nullptr;  // null on epoll
    size_t ring_bytes_ = 0;
    char* buffers_ = nullptr;
    size_t buffers_bytes_ = 0;
    unsigned count_ = 0;
    unsigned buffer_size_ = 0;
    uint16_t group_id_ = 0;
    bool registered_ = false;
    std::vector<uint16_t> free_;  // epoll: ids not lent out
};

}  // namespace authd::core
