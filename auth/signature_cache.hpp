// auth/signature_cache.hpp — per-loop memory of Ed25519 signatures that verified, so a token
// validated again and again costs one keyed hash instead of one Ed25519 verify (~100× an HMAC).
// It only remembers "these exact bytes verified under key set generation G"; expiry, type,
// revocation and token version are still checked on every call by the caller.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace authd::auth {

class SignatureCache {
  public:
    static constexpr std::size_t slots = 1024;  // direct-mapped; a power of two
    using Digest = std::array<uint8_t, 32>;

    SignatureCache();  // draws this cache's random hash key

    // Keyed BLAKE2b-256 of the whole token (signing input and signature): a forger would need a
    // second preimage under a key that never leaves this process.
    Digest digest(std::string_view token) const;

    // True when `d` was recorded under `generation` (the key set that verified it still is the
    // one in use). No allocation, no lock.
    bool contains(const Digest& d, uint64_t generation) const;
    void insert(const Digest& d, uint64_t generation);

  private:
    struct Slot {
        Digest digest{};
        uint64_t generation = 0;  // 0: empty (key set generations start at 1)
    };
    static std::size_t index(const Digest& d) {
        return (static_cast<std::size_t>(d[0]) | static_cast<std::size_t>(d[1]) << 8) & (slots - 1);
    }
    std::array<uint8_t, crypto_generichash_KEYBYTES> key_{};
    std::array<Slot, slots> slots_{};
};

}  // namespace authd::auth
