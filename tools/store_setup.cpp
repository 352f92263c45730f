// Store opening, secret key and superuser creation.
#include "tools/store_setup.hpp"

#include "auth/field_validators.hpp"
#include "auth/token_service.hpp"
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
        u.token_version = auth::first_token_version;
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

std::unique_ptr<auth::LegacyTokens> load_legacy_tokens(store::Store& store,
                                                       const std::string& django_key,
                                                       std::string& error) {
    auto legacy = std::make_unique<auth::LegacyTokens>(django_key);
    auto work = [&]() -> core::Task<bool> {
        store::UserQuery q;
        q.limit = 5000;
        for (q.offset = 0;; q.offset += q.limit) {
            store::Result<store::UserPage> page = co_await store.list_users(q);
            if (!page) co_return false;
            for (const store::User& u : page->items) {
                if (u.token_version == 0) legacy->add(u.id, {u.username, u.role});
            }
            if (page->items.size() < q.limit) co_return true;
        }
    };
    auto ok = core::run_blocking(work(), error);
    if (!ok || !*ok) {
        if (error.empty()) error = "the store did not answer";
        return nullptr;
    }
    core::log_info("startup", "legacy SimpleJWT tokens accepted for imported users",
                   {{"users", std::to_string(legacy->size())}});
    return legacy;
}

}  // namespace authd::tools
