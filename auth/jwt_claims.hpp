// auth/jwt_claims.hpp — the claims authd puts in its JWTs and their JSON form: written in
// SimpleJWT's key order with Python's json.dumps escaping, read back by a strict allocation-free
// RFC 8259 parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace authd::auth {

enum class TokenType : uint8_t { access, refresh };

std::string_view to_string(TokenType type);  // "access" / "refresh", the token_type claim's values

struct Claims {
    TokenType token_type = TokenType::access;
    int64_t exp =
        0;  // seconds since the Unix epoch; the token is expired once now >= exp (PyJWT's rule)
    int64_t iat = 0;
    std::string jti;      // 32 lowercase hex chars from new_token_id()
    int64_t user_id = 0;  // positive
    std::string username;
    std::string role;
    std::string sid;  // login session id
    uint32_t tv = 0;  // the user's token version when the token was issued
    std::string iss;  // issuer (AUTHD_ISSUER); written after tv when set, as SimpleJWT's ISSUER
};

// Claims as views into a caller-owned buffer (the JWT payload or JwtScratch); valid while that
// buffer is.
struct ClaimsView {
    TokenType token_type = TokenType::access;
    int64_t exp = 0;
    int64_t iat = 0;
    std::string_view jti;
    std::string_view username;
    std::string_view role;
    std::string_view sid;
    int64_t user_id = 0;
    uint32_t tv = 0;
};

Claims to_claims(const ClaimsView& view);  // owning copy, e.g. to keep a refresh token's claims

// Appends the payload JSON exactly as PyJWT encodes SimpleJWT's payload dict: keys token_type, exp,
// iat, jti, user_id, username, role, sid, tv; separators "," and ":"; non-ASCII as \uXXXX
// (ensure_ascii). Bytes of the strings that are not valid UTF-8 are written as \ufffd so the output
// is always valid JSON.
void write_claims_json(const Claims& claims, std::string& out);

// Parses one JSON object holding every claim above with its JSON type: token_type "access" or
// "refresh"; exp, iat integers; user_id a positive integer; tv an integer in [0, 2^32); the others
// strings. Other members are skipped (validated, nesting bounded); duplicate claims, invalid UTF-8,
// lone surrogates, and anything after the object are refused. Strings without escapes are viewed in
// place in `json`; escaped ones are decoded into `strings`, which needs `json.size()` bytes at
// most. Returns false on any violation.
// Which claims a token must carry: authd's (all of the above), or SimpleJWT's as Django
// issued them (token_type, exp, iat, jti, user_id; username and role may be there; sid and
// tv must not: a token with them is not one Django made).
enum class ClaimSet : uint8_t { authd, simplejwt };

bool parse_claims_json(std::string_view json, char* strings, std::size_t strings_capacity,
                       ClaimsView& out, ClaimSet set = ClaimSet::authd);

}  // namespace authd::auth
