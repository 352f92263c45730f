// auth/hmac_sha256.cpp — HMAC over OpenSSL's low-level SHA-256 (SHA-NI/AVX asm, plain structs that
// copy without allocating); the EVP API would allocate on every context copy in OpenSSL 3.0 and
// measured slower. Those functions are deprecated in OpenSSL 3, still supported, so the warning is
// silenced for this file only.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "auth/hmac_sha256.hpp"

#include <openssl/crypto.h>

#include <cstring>

namespace authd::auth {
namespace {

constexpr std::size_t kBlockSize = 64;

void keyed_state(SHA256_CTX& ctx, const uint8_t (&key_block)[kBlockSize], uint8_t pad) {
    uint8_t block[kBlockSize];
    for (std::size_t i = 0; i < kBlockSize; ++i) block[i] = key_block[i] ^ pad;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, block, kBlockSize);
    OPENSSL_cleanse(block, sizeof block);
}

}  // namespace

HmacSha256::HmacSha256(std::string_view key) {
    uint8_t key_block[kBlockSize] = {};
    if (key.size() > kBlockSize) {
        SHA256(reinterpret_cast<const uint8_t*>(key.data()), key.size(),
               key_block);  // RFC 2104: hash long keys
    } else if (!key.empty()) {
        std::memcpy(key_block, key.data(), key.size());
    }
    keyed_state(inner_, key_block, 0x36);
    keyed_state(outer_, key_block, 0x5c);
    OPENSSL_cleanse(key_block, sizeof key_block);
}

// Only the long-lived keyed states are wiped: per-call copies have absorbed message bytes by the
// time they die, so they no longer stand for the key, and wiping them measured ~10% of a MAC.
HmacSha256::~HmacSha256() {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
}

HmacSha256::Stream::Stream(const HmacSha256& key) : inner_(key.inner_), key_(key) {}

void HmacSha256::Stream::update(const void* data, std::size_t size) {
    SHA256_Update(&inner_, data, size);
}

void HmacSha256::Stream::update(std::string_view bytes) {
    update(bytes.data(), bytes.size());
}

void HmacSha256::Stream::finish(uint8_t* out) {
    uint8_t inner_digest[digest_size];
    SHA256_Final(inner_digest, &inner_);
    SHA256_CTX outer = key_.outer_;
    SHA256_Update(&outer, inner_digest, digest_size);
    SHA256_Final(out, &outer);
}

HmacSha256::Digest HmacSha256::Stream::finish() {
    Digest digest;
    finish(digest.data());
    return digest;
}

void HmacSha256::mac(std::string_view message, uint8_t* out) const {
    Stream stream(*this);
    stream.update(message);
    stream.finish(out);
}

HmacSha256::Digest HmacSha256::mac(std::string_view message) const {
    Digest digest;
    mac(message, digest.data());
    return digest;
}

}  // namespace authd::auth
