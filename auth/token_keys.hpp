// auth/token_keys.hpp — the keys tokens are signed and verified with (issue 15): one active
// signing key and a small table of verifiers, each matched by its exact header bytes, so the
// header's "alg" is never decoded and trusted: every verifier carries its key's own alg.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac_sha256.hpp"
#include "auth/jwt.hpp"
#include "auth/signature_cache.hpp"

namespace authd::auth {

enum class SigningAlg : uint8_t { hs256, eddsa };

// One Ed25519 key of the stored ring (auth/key_ring.hpp).
struct Ed25519Key {
    std::string kid;                 // RFC 7638 thumbprint of the public JWK
    std::array<uint8_t, 32> seed{};  // the private key (libsodium seed); never published
    int64_t created_at = 0;          // Unix seconds
    int64_t retired_at = 0;          // 0: the active key; else when it stopped signing
};

struct KeySetConfig {
    SigningAlg alg = SigningAlg::hs256;  // AUTHD_JWT_ALG
    std::string secret;                  // AUTHD_SECRET_KEY: HS256 signing and verifying
    std::vector<std::string> fallbacks;  // AUTHD_SECRET_KEY_FALLBACKS: HS256 verifying only
    int64_t retired_lifetime = 86400;    // refresh TTL: how long a retired key keeps verifying
};

class KeySet {
  public:
    static constexpr std::size_t max_verifiers = 64;

    // `ring` holds the Ed25519 keys (one with retired_at == 0 when alg is eddsa); retired keys
    // older than retired_lifetime are left out. Fails (valid() false) when alg is eddsa and the
    // ring has no active key.
    KeySet(const KeySetConfig& config, const std::vector<Ed25519Key>& ring, uint64_t ring_version,
           int64_t now);
    ~KeySet();
    KeySet(const KeySet&) = delete;
    KeySet& operator=(const KeySet&) = delete;

    bool valid() const { return valid_; }
    // "<header>.<payload>.<signature>" signed with the active key; its header carries the kid.
    std::string sign(const Claims& claims) const;
    // Header bytes matched against the table, then the signature with that verifier's own key
    // (Ed25519 verifies remembered in `cache`), then the claims and exp. No allocation, no lock.
    JwtError verify(std::string_view token, int64_t now, ClaimsView& out, JwtScratch& scratch,
                    SignatureCache& cache) const;

    std::string_view active_kid() const { return active_kid_; }
    const std::string& jwks_json() const { return jwks_; }  // RFC 7517 set of the public keys
    uint64_t generation() const { return generation_; }     // unique per KeySet, from 1
    uint64_t ring_version() const { return ring_version_; }
    // When a retired key stops verifying (rebuild the set then); INT64_MAX when never.
    int64_t next_expiry() const { return next_expiry_; }

  private:
    struct Verifier {
        std::string header;  // the encoded header segment this verifier accepts, exactly
        SigningAlg alg;
        uint32_t key;  // index into hmacs_ or ed_public_
    };
    void add_hs256(std::string_view secret, bool signing);
    void add_ed25519(const Ed25519Key& key);
    bool verify_signature(const Verifier& v, const JwtSegments& parts, std::string_view token,
                          SignatureCache& cache) const;

    std::vector<Verifier> verifiers_;  // built in the constructor, read-only afterwards
    std::vector<HmacSha256> hmacs_;
    std::vector<std::array<uint8_t, 32>> ed_public_;
    SigningAlg alg_;
    std::string sign_header_;            // encoded header of the active key
    uint32_t sign_hmac_ = 0;             // alg hs256: index into hmacs_
    std::array<uint8_t, 64> sign_ed_{};  // alg eddsa: libsodium secret key (seed + public)
    std::string active_kid_;
    std::string jwks_;
    uint64_t generation_;
    uint64_t ring_version_;
    int64_t next_expiry_ = INT64_MAX;
    bool valid_ = true;
};

// The kid of an HS256 secret: derived by HMAC, so it names the secret without revealing it.
std::string hs256_kid(std::string_view secret);
// RFC 7638 JWK thumbprint of an Ed25519 public key: the kid of a ring key.
std::string ed25519_kid(const std::array<uint8_t, 32>& public_key);
std::array<uint8_t, 32> ed25519_public_key(const std::array<uint8_t, 32>& seed);

}  // namespace authd::auth
