// Clocks: a monotonic clock for deadlines and a wall clock for timestamps and tokens.
#pragma once
#include <chrono>
#include <cstdint>

namespace authd::core {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;
using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

inline MonoTime mono_now() {
    return MonoClock::now();
}

// Wall-clock time in microseconds and seconds since the Unix epoch.
inline int64_t wall_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
inline int64_t wall_seconds() {
    return wall_micros() / 1000000;
}

}  // namespace authd::core
