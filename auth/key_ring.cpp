// auth/key_ring.cpp — ring text form, sealing, rotation and PEM reading (see the header).
#include "auth/key_ring.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "auth/base64url.hpp"

namespace authd::auth {
namespace {

constexpr std::string_view kMagic = "authd-keyring 1";
constexpr std::size_t kMaxKeys = 30;  // KeySet::max_verifiers / 2, minus the HS256 entries

struct DerivedKey {
    unsigned char bytes[crypto_secretbox_KEYBYTES];
    ~DerivedKey() { sodium_memzero(bytes, sizeof bytes); }
};

void derive(std::string_view secret, DerivedKey& out) {
    unsigned char master[crypto_kdf_KEYBYTES];
    crypto_generichash(master, sizeof master, reinterpret_cast<const unsigned char*>(secret.data()),
                       secret.size(), nullptr, 0);
    crypto_kdf_derive_from_key(out.bytes, sizeof out.bytes, 1, "authdjwk", master);
    sodium_memzero(master, sizeof master);
}

std::string hex(const uint8_t* p, std::size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}

std::string ring_text(const KeyRing& ring) {
    std::string text = std::string(kMagic) + "\nversion " + std::to_string(ring.version) + "\n";
    for (const Ed25519Key& k : ring.keys) {
        text += "key " + k.kid + " " + hex(k.seed.data(), k.seed.size()) + " " +
                std::to_string(k.created_at) + " " + std::to_string(k.retired_at) + "\n";
    }
    return text;
}

template <class T>
bool parse_num(std::string_view s, T& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    while (!line.empty()) {
        const std::size_t sp = line.find(' ');
        out.push_back(line.substr(0, sp));
        if (sp == std::string_view::npos) break;
        line.remove_prefix(sp + 1);
    }
    return out;
}

bool parse_key(std::string_view line, Ed25519Key& k) {
    const auto w = words(line);
    if (w.size() != 5 || w[0] != "key" || w[2].size() != 64) return false;
    for (std::size_t i = 0; i < 32; ++i) {
        const char* p = w[2].data() + 2 * i;
        const auto r = std::from_chars(p, p + 2, k.seed[i], 16);
        if (r.ec != std::errc() || r.ptr != p + 2) return false;
    }
    if (!parse_num(w[3], k.created_at) || !parse_num(w[4], k.retired_at)) return false;
    k.kid = ed25519_kid(ed25519_public_key(k.seed));
    return k.kid == w[1];  // the kid is the public key's thumbprint: a mismatch is corruption
}

std::optional<KeyRing> parse_ring(std::string_view text) {
    KeyRing ring;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        if (line_no++ == 0) {
            if (line != kMagic) return std::nullopt;
        } else if (line.starts_with("version ")) {
            if (!parse_num(line.substr(8), ring.version)) return std::nullopt;
        } else {
            Ed25519Key k;
            if (!parse_key(line, k) || ring.keys.size() >= kMaxKeys) return std::nullopt;
            ring.keys.push_back(std::move(k));
        }
    }
    if (line_no == 0) return std::nullopt;
    return ring;
}

}  // namespace

Ed25519Key new_ed25519_key(int64_t now) {
    if (sodium_init() < 0) std::abort();
    Ed25519Key k;
    randombytes_buf(k.seed.data(), k.seed.size());
    k.kid = ed25519_kid(ed25519_public_key(k.seed));
    k.created_at = now;
    return k;
}

std::string seal_key_ring(const KeyRing& ring, std::string_view secret) {
    if (sodium_init() < 0) std::abort();
    std::string text = ring_text(ring);
    DerivedKey key;
    derive(secret, key);
    std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + text.size(), '\0');
    auto* out = reinterpret_cast<unsigned char*>(box.data());
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(text.data()), text.size(), out,
                          key.bytes);
    sodium_memzero(text.data(), text.size());
    return "v1." + base64url_encode(box);
}

std::optional<KeyRing> open_key_ring(std::string_view sealed, std::string_view secret,
                                     const std::vector<std::string>& fallbacks,
                                     std::string& error) {
    if (sodium_init() < 0) std::abort();
    std::optional<std::string> box;
    if (sealed.starts_with("v1.")) box = base64url_decode(sealed.substr(3));
    constexpr std::size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (!box || box->size() < overhead) {
        error = "the stored signing keys are not a sealed key ring";
        return std::nullopt;
    }
    const auto* in = reinterpret_cast<const unsigned char*>(box->data());
    std::string text(box->size() - overhead, '\0');
    std::vector<std::string_view> secrets{secret};
    for (const std::string& f : fallbacks) secrets.push_back(f);
    for (std::string_view s : secrets) {
        DerivedKey key;
        derive(s, key);
        if (crypto_secretbox_open_easy(
                reinterpret_cast<unsigned char*>(text.data()), in + crypto_secretbox_NONCEBYTES,
                box->size() - crypto_secretbox_NONCEBYTES, in, key.bytes) != 0) {
            continue;
        }
        std::optional<KeyRing> ring = parse_ring(text);
        sodium_memzero(text.data(), text.size());
        if (!ring) error = "the stored key ring is corrupt";
        return ring;
    }
    error =
        "the stored signing keys were sealed with another AUTHD_SECRET_KEY (list the old one in "
        "AUTHD_SECRET_KEY_FALLBACKS)";
    return std::nullopt;
}

KeyRing rotated_key_ring(const KeyRing& ring, int64_t now, int64_t retired_lifetime) {
    KeyRing next;
    next.version = ring.version + 1;
    for (Ed25519Key k : ring.keys) {
        if (k.retired_at == 0) k.retired_at = now;
        if (k.retired_at + retired_lifetime <= now) continue;  // nothing it signed is still valid
        next.keys.push_back(std::move(k));
    }
    // Bounded: the oldest retired keys go first (their tokens are the closest to expiry).
    while (next.keys.size() >= kMaxKeys) next.keys.erase(next.keys.begin());
    next.keys.push_back(new_ed25519_key(now));
    return next;
}

std::optional<Ed25519Key> read_ed25519_pem(const std::string& path, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (!f) {
        error = "cannot open AUTHD_JWT_PRIVATE_KEY_FILE " + path;
        return std::nullopt;
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
        PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), EVP_PKEY_free);
    std::fclose(f);
    Ed25519Key k;
    std::size_t len = k.seed.size();
    if (!pkey || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_private_key(pkey.get(), k.seed.data(), &len) != 1 || len != 32) {
        error = path + " is not a PEM Ed25519 private key (openssl genpkey -algorithm ed25519)";
        return std::nullopt;
    }
    k.kid = ed25519_kid(ed25519_public_key(k.seed));
    return k;
}

}  // namespace authd::auth
