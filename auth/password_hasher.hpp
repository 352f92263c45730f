// Argon2id password hashing (libsodium, PHC string format) with a dummy hash so that a
// login for an unknown user costs the same work as a wrong password; imported Django hashes
// verify too (auth/django_hashers.hpp) and are replaced after the first successful login.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authd::auth {

// Argon2id cost. Defaults are OWASP's minimum (19 MiB, t=2, p=1); values outside
// libsodium's bounds are clamped into them.
struct HashParams {
    unsigned long long ops_limit = 2;
    std::size_t mem_limit = 19 * 1024 * 1024;  // bytes
};

// Every call is blocking CPU/memory work (tens of ms at the defaults): run it on the
// blocking pool, never on an event loop. Const methods are safe to call concurrently.
class PasswordHasher {
  public:
    // Throws std::runtime_error when libsodium cannot start or the dummy hash cannot be
    // computed (memory for mem_limit unavailable): a start-up configuration failure.
    explicit PasswordHasher(HashParams params = {});

    // A "$argon2id$v=19$m=...,t=...,p=1$salt$hash" string with a fresh random salt, or
    // nullopt when the memory for mem_limit could not be had.
    std::optional<std::string> hash(std::string_view password) const;

    // True when `password` matches the PHC string, or the Django-encoded hash of an imported
    // user. Any byte may be in the password (NULs included: the length is passed). A
    // malformed `phc` verifies as false.
    bool verify(std::string_view phc, std::string_view password) const;

    // True when `phc` is not an Argon2id string with exactly this hasher's parameters
    // (rehash it after the next successful login), or is malformed.
    bool needs_rehash(std::string_view phc) const;

    // A hash of random bytes made with this hasher's parameters: verify against it when
    // the user does not exist, so the answer takes as long as for a wrong password.
    const std::string& dummy_hash() const { return dummy_hash_; }

    const HashParams& params() const { return params_; }

  private:
    HashParams params_;
    std::string dummy_hash_;
};

// A login's password check: whether it matched and, when the stored hash is a Django one or
// has other Argon2id costs, the fresh Argon2id hash to store in its place.
struct PasswordVerdict {
    bool ok = false;
    std::optional<std::string> new_hash;
};
PasswordVerdict verify_and_upgrade(const PasswordHasher& hasher, std::string_view stored,
                                   std::string_view password);

}  // namespace authd::auth
