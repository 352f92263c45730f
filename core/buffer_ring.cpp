// Receive-buffer set-up and teardown: one page-aligned mmap of buffers, then either a
// registered provided-buffer ring (io_uring) or a free list (epoll).
#include "core/buffer_ring.hpp"

#include <sys/mman.h>

#include <cassert>
#include <cstring>

#include "core/loop.hpp"

namespace authd::core {

bool BufferRing::init(Loop& loop, uint16_t group_id, unsigned count, unsigned buffer_size,
                      std::string& error) {
    assert(count && (count & (count - 1)) == 0 && count <= 32768);
    group_id_ = group_id;
    count_ = count;
    buffer_size_ = buffer_size;
    buffers_bytes_ = static_cast<size_t>(count) * buffer_size;
    void* mem =
        mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        error = std::string("mmap buffers: ") + std::strerror(errno);
        return false;
    }
    buffers_ = static_cast<char*>(mem);
    if (loop.uring()) return init_uring(loop.uring()->ring(), error);
    free_.reserve(count);
    for (unsigned i = count; i > 0; --i) free_.push_back(static_cast<uint16_t>(i - 1));
    return true;
}

bool BufferRing::init_uring(io_uring* ring, std::string& error) {
    ring_ = ring;
    ring_bytes_ = count_ * sizeof(io_uring_buf);
    void* mem =
        mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        error = std::string("mmap buffer ring: ") + std::strerror(errno);
        return false;
    }
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br);
    reg.ring_entries = count_;
    reg.bgid = group_id_;
    int rc = io_uring_register_buf_ring(ring, &reg, 0);
    if (rc < 0) {
        munmap(br, ring_bytes_);
        error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc) +
                " (provided buffer rings need Linux 5.19 or newer)";
        return false;
    }
    br_ = br;
    registered_ = true;
    int mask = io_uring_buf_ring_mask(count_);
    for (unsigned i = 0; i < count_; ++i) {
        io_uring_buf_ring_add(br_, buffer(static_cast<uint16_t>(i)), buffer_size_,
                              static_cast<uint16_t>(i), mask, static_cast<int>(i));
    }
    io_uring_buf_ring_advance(br_, static_cast<int>(count_));
    return true;
}

BufferRing::~BufferRing() {
    if (registered_) io_uring_unregister_buf_ring(ring_, group_id_);
    if (br_) munmap(br_, ring_bytes_);
    if (buffers_) munmap(buffers_, buffers_bytes_);
}

}  // namespace authd::core
