// One base64 decoder for the integration tests (tokens' base64url and mail's MIME base64),
// written apart from authd's own so that a shared bug cannot hide.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authd::test {

// Decodes base64 or base64url (padding and whitespace ignored); nullopt on a bad character.
inline std::optional<std::string> b64_decode(std::string_view in) {
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=' || c == '\r' || c == '\n' || c == ' ')
            continue;
        else
            return std::nullopt;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

}  // namespace authd::test
