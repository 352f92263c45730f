// Internals shared by the harness's source files (harness*.cpp), not by tests: deadlines,
// string helpers, spawning children and connecting to loopback ports.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness.hpp"

namespace authd::test::detail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
inline constexpr Millis kPollStep{10};

struct ExecSpec {
    std::vector<std::string> argv;
    std::vector<std::string> envp;  // empty: inherit environ
    std::string log_path;           // stderr (and stdout unless stdout_fd >= 0), appended
    int stdout_fd = -1;             // dup'ed onto stdout when >= 0
};

int remaining_ms(Deadline deadline);
bool iequals(std::string_view a, std::string_view b);
std::string lower(std::string_view s);
std::string_view trim(std::string_view s);
std::string tail(const std::string& text, size_t max_bytes);
pid_t spawn(const ExecSpec& spec);
int connect_loopback(int port, Millis timeout, int* err);

}  // namespace authd::test::detail
