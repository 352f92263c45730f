// Store opening, secret key and superuser creation.
#include "tools/store_setup.hpp"

#include "auth/field_validators.hpp"
#include "auth/username_text.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/run_blocking.hpp"
#include "store/embedded_store.hpp"
#include "store/redis_store.hpp"
#include "store/secret_key.hpp"

namespace authd::tools {

std::unique_ptr<store::Store> open_configured_store(const Config& config, std::string& error) {
    if (config.store.starts_with("file:"))
        return store::open_embedded_store(config.store.substr(5), error);
    if (config.store.starts_with("redis://")) return store::open_redis_store(config.store, error);
    error = "AUTHD_STORE must be file:DIR or redis://host:port[/db], got '" + config.store + "'";
    return nullptr;
}

std::optional<std::string> configured_secret_key(const Config& config, std::string& error) {
    if (!config.secret_key.empty()) return config.secret_key;
    if (!config.store.starts_with("file:")) {
        error =
            "AUTHD_SECRET_KEY is required with a shared store: every instance must sign with the "
            "same key";
        return std::nullopt;
    }
    auto key = store::load_or_create_secret_key(config.store.substr(5), error);
    if (key) {
        core::log_warn("config",
                       "AUTHD_SECRET_KEY is not set; using the key kept in the store directory",
                       {{"dir", config.store.substr(5)}});
    }
    return key;
}

std::optional<std::string> ensure_superuser(store::Store& store, const std::string& typed_username,
                                            const std::string& email,
                                            const std::string& password_hash, bool strict) {
    const std::string normalized = auth::normalize_username(typed_username);
    const std::string& username = normalized;
    auto name_errors = auth::validate_username(username);
    if (username.empty() || !name_errors.empty())
        return "invalid superuser username '" + typed_username + "'";
    if (!auth::validate_email(email).empty()) return "invalid superuser email '" + email + "'";
    auto work = [&]() -> core::Task<std::optional<std::string>> {
        store::Result<store::User> existing = co_await store.find_user_by_username(username);
        if (existing.unavailable())
            co_return std::optional<std::string>("the store did not answer; nothing was changed");
        if (existing && existing->role == store::Role::super_user)
            co_return std::optional<std::string>{};
        if (existing) {
            if (!strict) co_return std::optional<std::string>{};
            co_return std::optional<std::string>(
                "a user named '" + existing->username +
                "' already exists and is not a superuser; nothing was changed");
        }
        store::User u;
        u.username = username;
        u.email = auth::normalize_email(email);
        u.role = store::Role::super_user;
        u.is_active = true;
        u.email_verified = true;
        u.password_hash = password_hash;
        store::Result<store::CreateUserResult> r =
            co_await store.create_user(std::move(u), nullptr);
        if (r.refused() && r->email_taken)
            co_return std::optional<std::string>("a user with that email already exists");
        if (r.refused())  // created meanwhile by someone else
            co_return std::optional<std::string>("a user with that username already exists");
        if (!r || !r->user)
            co_return std::optional<std::string>("the store could not save the superuser");
        core::log_info("admin", "superuser created",
                       {{"username", username}, {"user_id", std::to_string(r->user->id)}});
        co_return std::optional<std::string>{};
    };
    std::string error;
    auto result = core::run_blocking(work(), error);
    if (!result) return error;
    return *result;
}

}  // namespace authd::tools
