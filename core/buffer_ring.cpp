// Provided-buffer ring set-up and teardown (page-aligned mmap, register, fill).
#include "core/buffer_ring.hpp"

#include <sys/mman.h>

#include <cassert>
#include <cstring>

namespace authd::core {

bool BufferRing::init(io_uring* ring, uint16_t group_id, unsigned count, unsigned buffer_size,
                      std::string& error) {
    assert(count && (count & (count - 1)) == 0 && count <= 32768);
    ring_ = ring;
    group_id_ = group_id;
    count_ = count;
    buffer_size_ = buffer_size;
    ring_bytes_ = count * sizeof(io_uring_buf);
    void* mem =
        mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        error = std::string("mmap buffer ring: ") + std::strerror(errno);
        return false;
    }
    br_ = static_cast<io_uring_buf_ring*>(mem);
    buffers_bytes_ = static_cast<size_t>(count) * buffer_size;
    mem = mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        error = std::string("mmap buffers: ") + std::strerror(errno);
        return false;
    }
    buffers_ = static_cast<char*>(mem);
    io_uring_buf_ring_init(br_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br_);
    reg.ring_entries = count;
    reg.bgid = group_id;
    int rc = io_uring_register_buf_ring(ring, &reg, 0);
    if (rc < 0) {
        error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc) +
                " (provided buffer rings need Linux 5.19 or newer)";
        return false;
    }
    registered_ = true;
    int mask = io_uring_buf_ring_mask(count);
    for (unsigned i = 0; i < count; ++i) {
        io_uring_buf_ring_add(br_, buffer(static_cast<uint16_t>(i)), buffer_size,
                              static_cast<uint16_t>(i), mask, static_cast<int>(i));
    }
    io_uring_buf_ring_advance(br_, static_cast<int>(count));
    return true;
}

void BufferRing::recycle(uint16_t id) {
    io_uring_buf_ring_add(br_, buffer(id), buffer_size_, id, io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(br_, 1);
}

BufferRing::~BufferRing() {
    if (registered_) io_uring_unregister_buf_ring(ring_, group_id_);
    if (br_) munmap(br_, ring_bytes_);
    if (buffers_) munmap(buffers_, buffers_bytes_);
}

}  // namespace authd::core
