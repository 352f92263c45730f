// The `serve` and `createsuperuser` commands: open the store, wire the services, run the
// loops until SIGTERM/SIGINT, drain, flush, exit.
#pragma once
#include "auth/key_manager.hpp"
#include "tools/config.hpp"

namespace authd::tools {

int run_server(const Config& config);
int run_createsuperuser(const Config& config);
int run_import_django(const Config& config);  // tools/import_django.cpp
int run_keys_rotate(const Config& config);
// AUTHD_JWT_ALG, the secret and its fallbacks, the key file, the retired-key lifetime.
auth::KeySettings key_settings(const Config& config, const std::string& secret);

}  // namespace authd::tools
