// HTTP limits from API.md §1.
#pragma once
#include <cstddef>

namespace authd::http {

inline constexpr size_t max_head_bytes = 16 * 1024;  // request line + headers → 431 beyond
inline constexpr size_t max_body_bytes = 64 * 1024;  // decoded body → 413 beyond
inline constexpr size_t max_headers = 100;           // → 431 beyond

}  // namespace authd::http
