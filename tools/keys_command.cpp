// `authd keys rotate`: a new active signing key in the configured store (an embedded store
// must be stopped: its lock refuses a second process; running instances on Redis pick the new
// key up within 1 s), plus the key settings `serve` shares.
#include <cstdio>

#include "auth/key_manager.hpp"
#include "core/clock.hpp"
#include "core/run_blocking.hpp"
#include "tools/server_app.hpp"
#include "tools/store_setup.hpp"

namespace authd::tools {

auth::KeySettings key_settings(const Config& config, const std::string& secret) {
    auth::KeySettings k;
    k.set.alg = config.jwt_alg == "EdDSA" ? auth::SigningAlg::eddsa : auth::SigningAlg::hs256;
    k.set.secret = secret;
    k.set.fallbacks = config.secret_key_fallbacks;
    k.set.retired_lifetime = config.refresh_ttl;
    k.private_key_file = config.jwt_private_key_file;
    return k;
}

int run_keys_rotate(const Config& config) {
    std::string error;
    auto secret = configured_secret_key(config, error);
    if (!secret) {
        std::fprintf(stderr, "authd: %s\n", error.c_str());
        return 1;
    }
    std::unique_ptr<store::Store> store = open_configured_store(config, error);
    if (!store) {
        std::fprintf(stderr, "authd: %s; nothing was changed\n", error.c_str());
        return 1;
    }
    const auth::KeySettings settings = key_settings(config, *secret);
    auto result =
        core::run_blocking(auth::rotate_key_ring(*store, settings, core::wall_seconds()), error);
    store->close();
    if (!result || result->status != auth::KeysStatus::ok) {
        std::fprintf(stderr, "authd: %s; nothing was changed\n",
                     result ? result->error.c_str() : error.c_str());
        return 1;
    }
    std::printf("New signing key %s (ring version %llu).\n", result->ring.keys.back().kid.c_str(),
                static_cast<unsigned long long>(result->ring.version));
    return 0;
}

}  // namespace authd::tools
