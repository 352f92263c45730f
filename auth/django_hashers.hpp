// Verifying the password hashes Django makes (imported users), exactly as Django's hashers do,
// with Debian's libraries only: OpenSSL (PBKDF2, scrypt, md5, sha1), libargon2, libxcrypt.
#pragma once

#include <string_view>

namespace authd::auth {

// The Django hasher an encoded password belongs to, as Django's identify_hasher sees it.
enum class DjangoAlgorithm {
    none,      // not a Django hash we know (or authd's own "$argon2id$...")
    unusable,  // "!..." (set_unusable_password) or empty: never verifies
    pbkdf2_sha256,
    pbkdf2_sha1,
    argon2,
    bcrypt_sha256,
    bcrypt,
    scrypt,
    md5,            // "md5$salt$hex"
    sha1,           // "sha1$salt$hex"
    unsalted_md5,   // 32 hex chars, or "md5$$hex"
    unsalted_sha1,  // "sha1$$hex"
};

DjangoAlgorithm identify_django_hash(std::string_view encoded);

// Bounds on the costs a stored hash may ask for (a hash outside them never verifies):
// PBKDF2 iterations, argon2 memory (KiB), time and lanes, scrypt N·r·p memory (OpenSSL's
// default 32 MiB ceiling, as Python's hashlib.scrypt(maxmem=0) that Django calls).
inline constexpr unsigned long kMaxPbkdf2Iterations = 20'000'000;
inline constexpr unsigned long kMaxArgon2MemoryKib = 1u << 20;
inline constexpr unsigned long kMaxArgon2Time = 64;
inline constexpr unsigned long kMaxArgon2Lanes = 64;

// True when `password` matches `encoded` for the Django hasher that made it. Blocking CPU work
// (run it on the hash pool). Unknown or malformed strings and unusable passwords give false.
// Every final comparison is constant-time.
bool verify_django_hash(std::string_view encoded, std::string_view password);

}  // namespace authd::auth
