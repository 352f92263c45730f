// Structured logging: one JSON object per line on stderr, written with a single write(2)
// so lines from different threads never interleave. Never pass secrets as fields.
#pragma once
#include <initializer_list>
#include <string_view>
#include <utility>

namespace authd::core {

enum class LogLevel { debug, info, warn, error };

using LogField = std::pair<std::string_view, std::string_view>;

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});

inline void log_info(std::string_view c, std::string_view m,
                     std::initializer_list<LogField> f = {}) {
    log(LogLevel::info, c, m, f);
}
inline void log_warn(std::string_view c, std::string_view m,
                     std::initializer_list<LogField> f = {}) {
    log(LogLevel::warn, c, m, f);
}
inline void log_error(std::string_view c, std::string_view m,
                      std::initializer_list<LogField> f = {}) {
    log(LogLevel::error, c, m, f);
}

}  // namespace authd::core
