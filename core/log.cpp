// JSON-lines logger to stderr.
#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

#include "core/clock.hpp"
#include "core/json_escape.hpp"

namespace authd::core {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::info)};

const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

void append_timestamp(std::string& out) {
    int64_t us = wall_micros();
    time_t secs = us / 1000000;
    tm t{};
    gmtime_r(&secs, &t);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    out.append(buf, n);
    n = snprintf(buf, sizeof buf, ".%06lldZ", static_cast<long long>(us % 1000000));
    out.append(buf, n);
}

}  // namespace

void set_log_level(LogLevel level) {
    min_level.store(static_cast<int>(level));
}
bool log_enabled(LogLevel level) {
    return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

void log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields) {
    if (!log_enabled(level)) return;
    std::string line;
    line.reserve(160);
    line += "{\"ts\":\"";
    append_timestamp(line);
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"component\":\"";
    append_json_escaped(line, component);
    line += "\",\"msg\":\"";
    append_json_escaped(line, message);
    line += '"';
    for (const auto& [key, value] : fields) {
        line += ",\"";
        append_json_escaped(line, key);
        line += "\":\"";
        append_json_escaped(line, value);
        line += '"';
    }
    line += "}\n";
    [[maybe_unused]] ssize_t w = write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace authd::core
