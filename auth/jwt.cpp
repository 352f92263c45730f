// auth/jwt.cpp — HS256 encode/verify. verify compares the header as bytes instead of parsing it, so
// only the exact header we issue (alg HS256) is ever accepted; the payload is decoded only after
// the MAC matched.
#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace authd::auth {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::string_view to_string(JwtError error) {
    switch (error) {
        case JwtError::ok:
            return "ok";
        case JwtError::malformed:
            return "malformed";
        case JwtError::bad_header:
            return "bad_header";
        case JwtError::bad_signature:
            return "bad_signature";
        case JwtError::bad_claims:
            return "bad_claims";
        case JwtError::expired:
            return "expired";
    }
    return "unknown";
}

JwtCodec::JwtCodec(std::string_view secret_key) : hmac_(secret_key) {}

std::string JwtCodec::encode(const Claims& claims) const {
    std::string json;
    json.reserve(256);
    write_claims_json(claims, json);

    std::string token;
    token.reserve(encoded_header.size() + 1 + base64url_encoded_size(json.size()) + 1 +
                  signature_chars);
    token.append(encoded_header).push_back('.');
    const std::size_t payload_at = token.size();
    token.resize(payload_at + base64url_encoded_size(json.size()));
    base64url_encode(json.data(), json.size(), token.data() + payload_at);

    uint8_t mac[HmacSha256::digest_size];
    hmac_.mac(token, mac);
    token.push_back('.');
    const std::size_t signature_at = token.size();
    token.resize(signature_at + signature_chars);
    base64url_encode(mac, sizeof mac, token.data() + signature_at);
    return token;
}

std::optional<JwtSegments> split_jwt(std::string_view token) {
    if (token.empty() || token.size() > JwtScratch::max_token_size) return std::nullopt;
    const std::size_t first_dot = token.find('.');
    if (first_dot == std::string_view::npos) return std::nullopt;
    const std::size_t second_dot = token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return JwtSegments{token.substr(0, first_dot),
                       token.substr(first_dot + 1, second_dot - first_dot - 1),
                       token.substr(second_dot + 1), token.substr(0, second_dot)};
}

JwtError read_verified_claims(std::string_view payload_text, int64_t now, ClaimsView& out,
                              JwtScratch& scratch, ClaimSet set) {
    const auto payload_size =
        base64url_decode(payload_text, scratch.payload_, sizeof scratch.payload_);
    if (!payload_size) return JwtError::malformed;
    const std::string_view payload(scratch.payload_, *payload_size);
    if (!parse_claims_json(payload, scratch.strings_, sizeof scratch.strings_, out, set))
        return JwtError::bad_claims;
    if (out.exp <= now) return JwtError::expired;
    return JwtError::ok;
}

JwtError JwtCodec::verify(std::string_view token, int64_t now, ClaimsView& out, JwtScratch& scratch,
                          ClaimSet set) const {
    const std::optional<JwtSegments> parts = split_jwt(token);
    if (!parts) return JwtError::malformed;
    // The header is public, so an ordinary comparison leaks nothing.
    if (parts->header != encoded_header) return JwtError::bad_header;

    uint8_t presented[HmacSha256::digest_size];
    if (parts->signature.size() != signature_chars ||
        !base64url_decode(parts->signature, presented,
                          sizeof presented)) {  // strict decode: one text per MAC
        return JwtError::bad_signature;
    }
    uint8_t expected[HmacSha256::digest_size];
    hmac_.mac(parts->signing_input, expected);
    if (CRYPTO_memcmp(presented, expected, sizeof expected) != 0) return JwtError::bad_signature;
    return read_verified_claims(parts->payload, now, out, scratch, set);
}

std::string new_token_id() {
    uint8_t bytes[16];
    // Without entropy there is no safe id to hand out; OpenSSL 3 only fails here when the OS RNG is
    // broken.
    if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // UUID version 4
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    std::string id(32, '\0');
    for (std::size_t i = 0; i < sizeof bytes; ++i) {
        id[2 * i] = kHex[bytes[i] >> 4];
        id[2 * i + 1] = kHex[bytes[i] & 15];
    }
    return id;
}

}  // namespace authd::auth
