// auth/token_keys.cpp — the verifier table and the active signer (see the header). Headers are
// written exactly as PyJWT writes them (sorted keys, compact), and only those bytes are accepted.
#include "auth/token_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "auth/base64url.hpp"

namespace authd::auth {
namespace {

std::atomic<uint64_t> next_generation{1};

std::string encoded_header(std::string_view alg, std::string_view kid) {
    std::string json = R"({"alg":")" + std::string(alg) + "\"";
    if (!kid.empty()) json += R"(,"kid":")" + std::string(kid) + "\"";
    json += R"(,"typ":"JWT"})";
    return base64url_encode(json);
}

void append_jwk(std::string& out, const Ed25519Key& key) {
    const std::array<uint8_t, 32> pub = ed25519_public_key(key.seed);
    const std::string x =
        base64url_encode(std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size()));
    if (out.back() != '[') out += ',';
    out += R"({"kty":"OKP","crv":"Ed25519","x":")" + x + R"(","kid":")" + key.kid +
           R"(","alg":"EdDSA","use":"sig"})";
}

}  // namespace

std::string hs256_kid(std::string_view secret) {
    const HmacSha256 key(secret);
    const HmacSha256::Digest d = key.mac("authd.jwt.kid");
    return "hs-" + base64url_encode(std::string_view(reinterpret_cast<const char*>(d.data()), 12));
}

std::array<uint8_t, 32> ed25519_public_key(const std::array<uint8_t, 32>& seed) {
    std::array<uint8_t, 32> pub{};
    std::array<uint8_t, 64> sk{};
    crypto_sign_seed_keypair(pub.data(), sk.data(), seed.data());
    sodium_memzero(sk.data(), sk.size());
    return pub;
}

std::string ed25519_kid(const std::array<uint8_t, 32>& public_key) {
    const std::string x = base64url_encode(
        std::string_view(reinterpret_cast<const char*>(public_key.data()), public_key.size()));
    const std::string canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + x + "\"}";
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

KeySet::KeySet(const KeySetConfig& config, const std::vector<Ed25519Key>& ring,
               uint64_t ring_version, int64_t now)
    : alg_(config.alg),
      generation_(next_generation.fetch_add(1, std::memory_order_relaxed)),
      ring_version_(ring_version) {
    if (sodium_init() < 0) std::abort();  // no safe way on without libsodium's RNG and checks
    add_hs256(config.secret, config.alg == SigningAlg::hs256);
    for (const std::string& old : config.fallbacks) add_hs256(old, false);
    std::vector<const Ed25519Key*> keys;
    for (const Ed25519Key& k : ring) {
        const int64_t until = k.retired_at + config.retired_lifetime;
        if (k.retired_at != 0 && until <= now) continue;  // every token it signed has expired
        if (k.retired_at != 0) next_expiry_ = std::min(next_expiry_, until);
        keys.push_back(&k);
    }
    // Active key first in the JWKS, then the newest retired ones.
    std::sort(keys.begin(), keys.end(), [](const Ed25519Key* a, const Ed25519Key* b) {
        if ((a->retired_at == 0) != (b->retired_at == 0)) return a->retired_at == 0;
        return a->created_at > b->created_at;
    });
    jwks_ = R"({"keys":[)";
    bool have_active = false;
    for (const Ed25519Key* k : keys) {
        if (verifiers_.size() + 2 > max_verifiers) break;  // bounded table; oldest dropped
        add_ed25519(*k);
        append_jwk(jwks_, *k);
        if (k->retired_at == 0 && !have_active && alg_ == SigningAlg::eddsa) {
            have_active = true;
            std::array<uint8_t, 32> pub{};
            crypto_sign_seed_keypair(pub.data(), sign_ed_.data(), k->seed.data());
            sign_header_ = encoded_header("EdDSA", k->kid);
            active_kid_ = k->kid;
        }
    }
    jwks_ += "]}";
    if (alg_ == SigningAlg::eddsa && !have_active) valid_ = false;
}

KeySet::~KeySet() {
    sodium_memzero(sign_ed_.data(), sign_ed_.size());
}

void KeySet::add_hs256(std::string_view secret, bool signing) {
    if (secret.empty() || verifiers_.size() + 2 > max_verifiers) return;
    const auto index = static_cast<uint32_t>(hmacs_.size());
    hmacs_.emplace_back(secret);
    const std::string kid = hs256_kid(secret);
    verifiers_.push_back({encoded_header("HS256", kid), SigningAlg::hs256, index});
    // Tokens issued before kids existed (and mailed before an upgrade) keep verifying.
    verifiers_.push_back({std::string(JwtCodec::encoded_header), SigningAlg::hs256, index});
    if (signing) {
        sign_hmac_ = index;
        sign_header_ = encoded_header("HS256", kid);
        active_kid_ = kid;
    }
}

void KeySet::add_ed25519(const Ed25519Key& key) {
    const auto index = static_cast<uint32_t>(ed_public_.size());
    ed_public_.push_back(ed25519_public_key(key.seed));
    verifiers_.push_back({encoded_header("EdDSA", key.kid), SigningAlg::eddsa, index});
    // RFC 9864's fully specified name for the same algorithm.
    verifiers_.push_back({encoded_header("Ed25519", key.kid), SigningAlg::eddsa, index});
}

std::string KeySet::sign(const Claims& claims) const {
    std::string json;
    json.reserve(320);
    write_claims_json(claims, json);
    std::string token = sign_header_;
    token.reserve(token.size() + base64url_encoded_size(json.size()) + 90);
    token.push_back('.');
    const std::size_t payload_at = token.size();
    token.resize(payload_at + base64url_encoded_size(json.size()));
    base64url_encode(json.data(), json.size(), token.data() + payload_at);
    if (alg_ == SigningAlg::hs256) {
        const HmacSha256::Digest mac = hmacs_[sign_hmac_].mac(token);
        token.push_back('.');
        token += base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), 32));
        return token;
    }
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(token.data()),
                         token.size(), sign_ed_.data());
    token.push_back('.');
    token += base64url_encode(std::string_view(reinterpret_cast<const char*>(sig), sizeof sig));
    return token;
}

bool KeySet::verify_signature(const Verifier& v, const JwtSegments& parts, std::string_view token,
                              SignatureCache& cache) const {
    if (v.alg == SigningAlg::hs256) {
        uint8_t presented[HmacSha256::digest_size];
        if (parts.signature.size() != JwtCodec::signature_chars ||
            !base64url_decode(parts.signature, presented, sizeof presented)) {
            return false;
        }
        uint8_t expected[HmacSha256::digest_size];
        hmacs_[v.key].mac(parts.signing_input, expected);
        return CRYPTO_memcmp(presented, expected, sizeof expected) == 0;
    }
    uint8_t sig[crypto_sign_BYTES];
    if (parts.signature.size() != base64url_encoded_size(sizeof sig) ||
        !base64url_decode(parts.signature, sig, sizeof sig)) {
        return false;
    }
    const SignatureCache::Digest d = cache.digest(token);
    if (cache.contains(d, generation_)) return true;
    // libsodium refuses non-canonical signatures and small-order keys (strict RFC 8032).
    if (crypto_sign_verify_detached(
            sig, reinterpret_cast<const unsigned char*>(parts.signing_input.data()),
            parts.signing_input.size(), ed_public_[v.key].data()) != 0) {
        return false;
    }
    cache.insert(d, generation_);
    return true;
}

JwtError KeySet::verify(std::string_view token, int64_t now, ClaimsView& out, JwtScratch& scratch,
                        SignatureCache& cache) const {
    const std::optional<JwtSegments> parts = split_jwt(token);
    if (!parts) return JwtError::malformed;
    bool header_known = false;
    // The header is public, so ordinary comparisons leak nothing. Legacy HS256 headers match
    // several verifiers (the secret and its fallbacks): each is tried, all cheap HMACs.
    for (const Verifier& v : verifiers_) {
        if (v.header != parts->header) continue;
        header_known = true;
        if (verify_signature(v, *parts, token, cache))
            return read_verified_claims(parts->payload, now, out, scratch);
    }
    return header_known ? JwtError::bad_signature : JwtError::bad_header;
}

}  // namespace authd::auth
