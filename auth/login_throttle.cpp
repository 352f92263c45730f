// Login throttling: key naming, reservation before hashing, and giving reservations back.
#include "auth/login_throttle.hpp"

#include "auth/authenticate.hpp"
#include "auth/field_validators.hpp"
#include "core/log.hpp"
#include "store/case_fold.hpp"

namespace authd::auth {
namespace {

size_t code_points(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// Keyed by the user's id when the store knows the name, so every spelling the store folds
// to that user (josé, JOSÉ, JoSé) shares one counter.
std::string subject_key(const store::Result<store::User>& user, std::string_view typed_name) {
    if (user) return "user:" + std::to_string(user->id);
    if (code_points(typed_name) > kUsernameMaxLength) return {};  // no such user can exist
    return "name:" + store::fold_case(typed_name);
}

void log_unreleased(const store::Done& d, std::string_view key) {
    if (!d) core::log_warn("auth", "could not give back a login attempt", {{"key", key}});
}

}  // namespace

core::Task<OrResponse<LoginAttempt>> reserve_login(Services& s,
                                                   const store::Result<store::User>& user,
                                                   std::string_view typed_name,
                                                   std::string_view client_address) {
    LoginAttempt attempt{subject_key(user, typed_name), "ip:" + std::string(client_address)};
    const AuthSettings& cfg = s.settings;
    if (!attempt.subject_key.empty()) {
        store::Result<store::LoginFailures> r = co_await s.store->reserve_login_attempt(
            attempt.subject_key, cfg.login_max_failures, cfg.login_failure_window);
        if (r.unavailable()) co_return service_unavailable();
        if (!r) co_return too_many_attempts(r->retry_after);
    }
    store::Result<store::LoginFailures> ip = co_await s.store->reserve_login_attempt(
        attempt.address_key, cfg.ip_max_failures, cfg.ip_failure_window);
    if (!ip) {
        if (!attempt.subject_key.empty()) {
            store::Done d = co_await s.store->release_login_attempt(attempt.subject_key);
            log_unreleased(d, attempt.subject_key);
        }
        if (ip.unavailable()) co_return service_unavailable();
        co_return too_many_attempts(ip->retry_after);
    }
    co_return attempt;
}

core::Task<OrResponse<LoginAttempt>> reserve_password_check(Services& s, const store::User& user) {
    LoginAttempt attempt{"user:" + std::to_string(user.id), {}};
    store::Result<store::LoginFailures> r = co_await s.store->reserve_login_attempt(
        attempt.subject_key, s.settings.login_max_failures, s.settings.login_failure_window);
    if (r.unavailable()) co_return service_unavailable();
    if (!r) co_return too_many_attempts(r->retry_after);
    co_return attempt;
}

core::Task<void> login_succeeded(Services& s, const LoginAttempt& attempt) {
    if (!attempt.subject_key.empty()) {
        store::Done d = co_await s.store->clear_login_failures(attempt.subject_key);
        log_unreleased(d, attempt.subject_key);
    }
    if (!attempt.address_key.empty()) {
        store::Done d = co_await s.store->release_login_attempt(attempt.address_key);
        log_unreleased(d, attempt.address_key);
    }
}

core::Task<void> login_undecided(Services& s, const LoginAttempt& attempt) {
    for (const std::string* key : {&attempt.subject_key, &attempt.address_key}) {
        if (key->empty()) continue;
        store::Done d = co_await s.store->release_login_attempt(*key);
        log_unreleased(d, *key);
    }
}

}  // namespace authd::auth
