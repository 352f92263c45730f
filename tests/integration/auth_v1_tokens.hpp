// base64url, HMAC-SHA256 and JWT crafting for the /auth/ integration tests: tokens are built
// and taken apart here independently of authd's own code, so a shared bug cannot hide.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/integration/base64_decode.hpp"

namespace authd::test::v1 {

inline std::string b64url_encode(std::string_view in) {
    static constexpr char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (i + 1 == in.size()) {
        uint32_t v = uint8_t(in[i]) << 16;
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
    } else if (i + 2 == in.size()) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
    }
    return out;
}

using authd::test::b64_decode;

inline std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    return std::string(reinterpret_cast<char*>(mac), len);
}

struct JwtParts {
    std::string header;   // decoded JSON
    std::string payload;  // decoded JSON
    std::string signature_b64;
};

inline std::optional<JwtParts> split_jwt(std::string_view token) {
    size_t a = token.find('.');
    size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    auto h = b64_decode(token.substr(0, a));
    auto p = b64_decode(token.substr(a + 1, b - a - 1));
    if (!h || !p) return std::nullopt;
    return JwtParts{*h, *p, std::string(token.substr(b + 1))};
}

// header.payload signed with HS256 under `key`; an empty key gives an empty signature.
inline std::string make_jwt(std::string_view header_json, std::string_view payload_json,
                            std::string_view key) {
    std::string input = b64url_encode(header_json) + "." + b64url_encode(payload_json);
    std::string sig = key.empty() ? std::string() : b64url_encode(hmac_sha256(key, input));
    return input + "." + sig;
}

// Replaces the value of a top-level member of a flat JSON object (the claims) by `raw_value`.
inline std::string with_claim(std::string payload, std::string_view name,
                              std::string_view raw_value) {
    std::string key = "\"" + std::string(name) + "\"";
    size_t k = payload.find(key);
    if (k == std::string::npos) return payload;
    size_t colon = payload.find(':', k + key.size());
    size_t v = payload.find_first_not_of(" ", colon + 1);
    size_t end = v;
    if (payload[v] == '"') {
        end = v + 1;
        while (end < payload.size() && payload[end] != '"') end += payload[end] == '\\' ? 2 : 1;
        ++end;
    } else {
        end = payload.find_first_of(",}", v);
    }
    return payload.replace(v, end - v, raw_value);
}

}  // namespace authd::test::v1
