// Shared by the JWT unit tests (test_jwt.cpp, test_jwt_claims.cpp): the fixture claims PyJWT
// signed, their JSON, and that JSON with one claim replaced.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"

namespace authd::auth::jwt_testing {

inline constexpr std::string_view kUnicodeUsername =
    "Zo\xc3\xab \xf0\x9f\x98\x80 \"q\"\\/\t\x7f\x01\xe4\xb8\xad";

inline Claims fixture_claims() {
    Claims c;
    c.token_type = TokenType::access;
    c.exp = 4102444800;
    c.iat = 1700000000;
    c.jti = "0123456789abcdef0123456789abcdef";
    c.user_id = 42;
    c.username = "alice";
    c.role = "user";
    c.sid = "sess-1";
    c.tv = 3;
    return c;
}

inline std::string fixture_json() {
    std::string json;
    write_claims_json(fixture_claims(), json);
    return json;
}

// The fixture JSON with one claim's value text replaced (or the member removed when value is
// empty).
inline std::string with_claim(std::string_view name, std::string_view value) {
    std::string json = fixture_json();
    const std::string key = "\"" + std::string(name) + "\":";
    const std::size_t at = json.find(key);
    std::size_t end = at + key.size();
    if (json[end] == '"') {
        end = json.find('"', end + 1) + 1;
    } else {
        end = json.find_first_of(",}", end);
    }
    if (value.empty()) {
        const bool last = json[end] == '}';
        json.erase(last ? at - 1 : at, end - at + 1);
        if (last) json += '}';
    } else {
        json.replace(at + key.size(), end - at - key.size(), value);
    }
    return json;
}

}  // namespace authd::auth::jwt_testing
