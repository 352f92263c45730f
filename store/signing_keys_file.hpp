// The embedded store's DIR/signing_keys file: the sealed JWT key ring, mode 0600, replaced
// atomically (temp file, fsync, rename, fsync of the directory).
#pragma once
#include <optional>
#include <string>

namespace authd::store {

// The file's text; nullopt inside when there is no file. Outer nullopt (error set): unreadable,
// not a regular file, accessible to group or others, or larger than 64 KiB.
std::optional<std::optional<std::string>> read_signing_keys_file(const std::string& dir,
                                                                 std::string& error);
bool write_signing_keys_file(const std::string& dir, const std::string& text, std::string& error);

}  // namespace authd::store
