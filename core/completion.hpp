// Completion: the one seam between core's I/O backends and their users. An operation's owner
// embeds a Completion; whichever backend runs the loop calls fn(self, res, flags) once per result.
#pragma once
#include <cstdint>

namespace authd::core {

// Embedded in the object that owns an operation; the loop calls fn with the result.
// res: bytes, a new fd, or -errno. flags: the op_* bits below.
struct Completion {
    using Fn = void (*)(Completion* self, int32_t res, uint32_t flags);
    Fn fn = nullptr;
    void* owner = nullptr;
};

// The flag layout is io_uring's CQE layout (checked by static_assert in uring_io.cpp), so the
// io_uring backend passes CQE flags through untouched; the epoll backend builds the same bits.
inline constexpr uint32_t op_has_buffer = 1u << 0;  // a recv result: the buffer id is in flags
inline constexpr uint32_t op_more = 1u << 1;        // a multishot op stays armed after this
inline constexpr unsigned op_buffer_shift = 16;

inline bool completion_more(uint32_t flags) {
    return flags & op_more;
}
inline uint16_t completion_buffer(uint32_t flags) {
    return static_cast<uint16_t>(flags >> op_buffer_shift);
}

// Which kernel interface a loop drives.
enum class IoBackend { io_uring, epoll };

inline const char* backend_name(IoBackend b) {
    return b == IoBackend::io_uring ? "io_uring" : "epoll";
}

}  // namespace authd::core
