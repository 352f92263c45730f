// BufferRing: a provided-buffer ring for multishot recv, built by hand because liburing 2.3
// lacks io_uring_setup_buf_ring. The kernel picks a free buffer per completion; the owner
// hands it back with recycle() once the bytes are consumed.
#pragma once
#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace authd::core {

class BufferRing {
  public:
    BufferRing() = default;
    ~BufferRing();
    BufferRing(const BufferRing&) = delete;
    BufferRing& operator=(const BufferRing&) = delete;

    // count must be a power of two. Returns false with `error` on failure.
    bool init(io_uring* ring, uint16_t group_id, unsigned count, unsigned buffer_size,
              std::string& error);

    uint16_t group_id() const { return group_id_; }
    unsigned buffer_size() const { return buffer_size_; }
    char* buffer(uint16_t id) { return buffers_ + static_cast<size_t>(id) * buffer_size_; }

    // Returns a buffer to the kernel. Cheap; publishes at once.
    void recycle(uint16_t id);

  private:
    io_uring* ring_ = nullptr;
    io_uring_buf_ring* br_ = nullptr;
    size_t ring_bytes_ = 0;
    char* buffers_ = nullptr;
    size_t buffers_bytes_ = 0;
    unsigned count_ = 0;
    unsigned buffer_size_ = 0;
    uint16_t group_id_ = 0;
    bool registered_ = false;
};

}  // namespace authd::core
