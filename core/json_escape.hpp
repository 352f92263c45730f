// JSON string escaping shared by the logger and the HTTP JSON writer.
#pragma once
#include <string>
#include <string_view>

namespace authd::core {

// Appends `s` to `out` as the inside of a JSON string (no quotes). Control characters are
// escaped, invalid UTF-8 bytes become U+FFFD so the output is always valid JSON.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace authd::core
