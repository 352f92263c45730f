// Choosing the I/O backend at start-up: AUTHD_IO=auto probes io_uring for what authd needs
// (ring set-up, the opcodes, one real multishot recv into provided buffers) and falls back to
// epoll; io_uring asked for and refused is an error.
#pragma once
#include <string>
#include <string_view>

#include "core/completion.hpp"

namespace authd::core {

struct IoChoice {
    bool ok = false;  // false: the requested backend cannot run; `why` says why
    IoBackend backend = IoBackend::epoll;
    std::string why;  // one line for the log
};

// mode: "auto", "io_uring" or "epoll" (validated by the caller).
IoChoice choose_io_backend(std::string_view mode);

// Empty when io_uring grants everything authd uses; else the reason it cannot be used.
std::string probe_io_uring();

}  // namespace authd::core
