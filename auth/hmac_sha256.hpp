// auth/hmac_sha256.hpp — HMAC-SHA256 (RFC 2104) with the keyed inner/outer SHA-256 states computed
// once, so each MAC is two state copies plus the hashing: no allocation, no lock, no per-call key
// schedule.
#pragma once

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace authd::auth {

class HmacSha256 {
  public:
    static constexpr std::size_t digest_size = 32;
    using Digest = std::array<uint8_t, digest_size>;

    // Absorbs one message in pieces; obtained from HmacSha256::begin(), borrows the key object.
    class Stream {
      public:
        void update(std::string_view bytes);
        void update(const void* data, std::size_t size);
        void finish(
            uint8_t* out);  // writes digest_size bytes; the stream must not be used afterwards
        Digest finish();

      private:
        friend class HmacSha256;
        explicit Stream(const HmacSha256& key);
        SHA256_CTX inner_;
        const HmacSha256& key_;
    };

    explicit HmacSha256(std::string_view key);
    ~HmacSha256();
    HmacSha256(const HmacSha256&) = default;
    HmacSha256& operator=(const HmacSha256&) = default;

    Stream begin() const { return Stream(*this); }
    void mac(std::string_view message, uint8_t* out) const;  // writes digest_size bytes
    Digest mac(std::string_view message) const;

  private:
    SHA256_CTX inner_;  // SHA-256 state after absorbing key ^ ipad
    SHA256_CTX outer_;  // SHA-256 state after absorbing key ^ opad
};

}  // namespace authd::auth
