// Per-thread recycling of coroutine frames: handlers start a Task per request, and a
// free list per size class keeps that from reaching malloc in steady state.
#pragma once
#include <cstddef>

namespace authd::core {

void* frame_alloc(size_t size);
void frame_free(void* p, size_t size) noexcept;

}  // namespace authd::core
