// The generated JWT/link signing key kept in the embedded store's directory when
// AUTHD_SECRET_KEY is not set (API.md §8).
#pragma once
#include <optional>
#include <string>

namespace authd::store {

// Returns the key in DIR/secret_key (its text without trailing whitespace), creating DIR
// (0700) and the file (0600: 64 random bytes, hex-encoded) when missing. Refuses, with a
// clear `error`, a key file that group or others can access, one owned by another user,
// one that is not a regular file, and an empty or oversized one. Creation is atomic (a
// temp file made with O_CREAT|O_EXCL and mode 0600, fsynced, then linked into place), so
// a crash never leaves a partial key and two starting processes agree on one key.
std::optional<std::string> load_or_create_secret_key(const std::string& dir, std::string& error);

}  // namespace authd::store
