// Opening the configured store and finding the signing key (shared by serve and
// createsuperuser).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "store/store.hpp"
#include "tools/config.hpp"

namespace authd::tools {

std::unique_ptr<store::Store> open_configured_store(const Config& config, std::string& error);
// AUTHD_SECRET_KEY, or the key kept in the embedded store's directory.
std::optional<std::string> configured_secret_key(const Config& config, std::string& error);

// Creates a superuser unless one with that username exists. Returns an error message. An
// existing user of that name who is not a superuser is an error when `strict` (the
// createsuperuser command); serve (not strict) leaves that user as it is.
std::optional<std::string> ensure_superuser(store::Store& store, const std::string& username,
                                            const std::string& email,
                                            const std::string& password_hash, bool strict);

}  // namespace authd::tools
