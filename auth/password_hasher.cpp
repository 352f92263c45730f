// Argon2id hashing and verification through libsodium's crypto_pwhash_str API.
#include "auth/password_hasher.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "auth/django_hashers.hpp"

namespace authd::auth {

namespace {

void ensure_sodium() {
    // sodium_init is idempotent, but a static makes the first call race-free and cheap after.
    static const int rc = sodium_init();
    if (rc < 0) throw std::runtime_error("libsodium initialisation failed");
}

HashParams clamp(HashParams p) {
    p.ops_limit = std::clamp<unsigned long long>(p.ops_limit, crypto_pwhash_argon2id_OPSLIMIT_MIN,
                                                 crypto_pwhash_argon2id_OPSLIMIT_MAX);
    p.mem_limit = std::clamp<std::size_t>(p.mem_limit, crypto_pwhash_argon2id_MEMLIMIT_MIN,
                                          crypto_pwhash_argon2id_MEMLIMIT_MAX);
    return p;
}

// libsodium wants a NUL-terminated string of less than STRBYTES bytes; anything else
// cannot be one of our hashes.
bool to_c_string(std::string_view phc, std::array<char, crypto_pwhash_STRBYTES>& out) {
    if (phc.size() >= out.size() || phc.find('\0') != std::string_view::npos) return false;
    std::copy(phc.begin(), phc.end(), out.begin());
    out[phc.size()] = '\0';
    return true;
}

}  // namespace

PasswordHasher::PasswordHasher(HashParams params) : params_(clamp(params)) {
    ensure_sodium();
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    auto dummy =
        hash(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
    sodium_memzero(random.data(), random.size());
    if (!dummy)
        throw std::runtime_error("Argon2id hashing failed: not enough memory for mem_limit");
    dummy_hash_ = std::move(*dummy);
}

std::optional<std::string> PasswordHasher::hash(std::string_view password) const {
    if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) return std::nullopt;
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), params_.ops_limit,
                              params_.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return std::nullopt;
    }
    return std::string(out.data());
}

bool PasswordHasher::verify(std::string_view phc, std::string_view password) const {
    // authd's own PHC strings ("$argon2id$", older "$argon2i$") go to libsodium; anything
    // else can only be a Django hash of an imported user.
    if (!phc.starts_with("$argon2")) return verify_django_hash(phc, password);
    std::array<char, crypto_pwhash_STRBYTES> str{};
    if (!to_c_string(phc, str) || password.size() > crypto_pwhash_argon2id_PASSWD_MAX) return false;
    return crypto_pwhash_str_verify(str.data(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needs_rehash(std::string_view phc) const {
    std::array<char, crypto_pwhash_STRBYTES> str{};
    if (!to_c_string(phc, str) || !phc.starts_with(crypto_pwhash_argon2id_STRPREFIX)) return true;
    return crypto_pwhash_argon2id_str_needs_rehash(str.data(), params_.ops_limit,
                                                   params_.mem_limit) != 0;
}

PasswordVerdict verify_and_upgrade(const PasswordHasher& hasher, std::string_view stored,
                                   std::string_view password) {
    PasswordVerdict v;
    v.ok = hasher.verify(stored, password);
    if (v.ok && hasher.needs_rehash(stored)) v.new_hash = hasher.hash(password);
    return v;
}

}  // namespace authd::auth
