// auth/key_ring.hpp — the stored Ed25519 key ring: its text form, sealed with a key derived from
// AUTHD_SECRET_KEY (libsodium secretbox, key from crypto_kdf), so every instance on one Redis
// shares it and the store never holds a private key in the clear; plus rotation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/token_keys.hpp"

namespace authd::auth {

struct KeyRing {
    uint64_t version = 0;  // +1 on every rotation; loops never go back to a lower one
    std::vector<Ed25519Key> keys;
};

Ed25519Key new_ed25519_key(int64_t now);

// "v1." + base64url(nonce || secretbox(text)), sealed with the key derived from `secret`.
std::string seal_key_ring(const KeyRing& ring, std::string_view secret);
// Opens with `secret` or, after a change of AUTHD_SECRET_KEY, one of `fallbacks`. nullopt with
// `error` set when no secret opens it or the text inside is not a ring.
std::optional<KeyRing> open_key_ring(std::string_view sealed, std::string_view secret,
                                     const std::vector<std::string>& fallbacks, std::string& error);

// The ring after a rotation: the active key retired at `now`, retired keys older than
// `retired_lifetime` dropped, a new active key added, version + 1.
KeyRing rotated_key_ring(const KeyRing& ring, int64_t now, int64_t retired_lifetime);

// An Ed25519 private key from a PEM file (PKCS#8, `openssl genpkey -algorithm ed25519`).
std::optional<Ed25519Key> read_ed25519_pem(const std::string& path, std::string& error);

}  // namespace authd::auth
