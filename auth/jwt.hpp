// auth/jwt.hpp — HS256 JSON Web Tokens compatible with PyJWT/SimpleJWT: encoding at login/refresh,
// and the allocation-free, lock-free verification every authenticated request runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/base64url.hpp"
#include "auth/hmac_sha256.hpp"
#include "auth/jwt_claims.hpp"

namespace authd::auth {

// Outcome of JwtCodec::verify; `ok` is the only success. Every other value is a 401
// token_not_valid.
enum class JwtError : uint8_t {
    ok,
    malformed,      // empty, over max_token_size, not three dot-separated segments, or payload not
                    // base64url
    bad_header,     // header segment is not exactly the one we issue (other alg incl. "none", other
                    // bytes)
    bad_signature,  // signature segment does not decode to the HMAC-SHA256 of "<header>.<payload>"
    bad_claims,     // payload is not the JSON object of claims described in jwt_claims.hpp
    expired,        // exp <= now
};

std::string_view to_string(JwtError error);

// Per-thread working memory of JwtCodec::verify (about 6 KiB): the decoded payload and decoded
// strings. The ClaimsView that verify fills points into it, so it is valid until the next verify
// with this scratch.
class JwtScratch {
  public:
    static constexpr std::size_t max_token_size = 4096;  // longer tokens are malformed
    static constexpr std::size_t max_payload_size = base64url_decoded_size(max_token_size);

  private:
    friend JwtError read_verified_claims(std::string_view, int64_t, ClaimsView&, JwtScratch&,
                                         ClaimSet);
    char payload_[max_payload_size];
    char
        strings_[max_payload_size];  // parse_claims_json needs as many bytes as the payload at most
};

// The three segments of "<header>.<payload>.<signature>"; views into the token.
struct JwtSegments {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    std::string_view signing_input;  // "<header>.<payload>", what the signature covers
};

// Shape only: non-empty, at most max_token_size, exactly two dots. nullopt: malformed.
std::optional<JwtSegments> split_jwt(std::string_view token);

// After the signature verified: decodes the payload (malformed), parses the claims (bad_claims)
// and checks exp against `now` (expired). `out` views `scratch`.
JwtError read_verified_claims(std::string_view payload_text, int64_t now, ClaimsView& out,
                              JwtScratch& scratch, ClaimSet set = ClaimSet::authd);

class JwtCodec {
  public:
    // base64url of {"alg":"HS256","typ":"JWT"}: the header PyJWT writes (sorted keys, compact
    // separators).
    static constexpr std::string_view encoded_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    static constexpr std::size_t signature_chars = base64url_encoded_size(HmacSha256::digest_size);

    explicit JwtCodec(
        std::string_view secret_key);  // the key's HMAC states are computed here, once

    // "<header>.<payload>.<signature>", byte-identical to jwt.encode(payload_dict, key, "HS256") in
    // PyJWT.
    std::string encode(const Claims& claims) const;

    // Checks, in order: size and shape (malformed), header bytes (bad_header), signature in
    // constant time (bad_signature), payload base64url (malformed) and claims (bad_claims), then
    // exp against `now` in seconds (expired). The token type is not checked: callers compare
    // out.token_type with what they expect. `out` is meaningful only on ok and views `scratch`. No
    // allocation, no lock, no system call.
    JwtError verify(std::string_view token, int64_t now, ClaimsView& out, JwtScratch& scratch,
                    ClaimSet set = ClaimSet::authd) const;

  private:
    HmacSha256 hmac_;
};

// A fresh token id like SimpleJWT's jti (uuid4().hex): 32 lowercase hex chars, 122 bits from the
// CSPRNG.
std::string new_token_id();

}  // namespace authd::auth
