// Fuzz target: JWT verify on arbitrary token text (and a re-signed payload, so the claims
// parser behind the signature check is reached too).
#include <cstdint>
#include <string>

#include "auth/base64url.hpp"
#include "auth/hmac_sha256.hpp"
#include "auth/jwt.hpp"

using namespace authd::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const JwtCodec codec("fuzz-secret-key-that-is-at-least-32-chars");
    static JwtScratch scratch;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    ClaimsView out;
    (void)codec.verify(text, 1700000000, out, scratch);
    // The payload bytes as claims JSON behind a valid signature.
    std::string token(JwtCodec::encoded_header);
    token += '.';
    token += base64url_encode(text);
    static const HmacSha256 mac("fuzz-secret-key-that-is-at-least-32-chars");
    uint8_t digest[HmacSha256::digest_size];
    mac.mac(token, digest);
    token += '.';
    token +=
        base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
    (void)codec.verify(token, 1700000000, out, scratch);
    return 0;
}
