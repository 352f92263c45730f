// Handlers of the caller's own account on /api/auth/: register, agent creation, logout,
// password change and the profile. Registration itself lives in auth/registration.cpp.
#include "auth/authenticate.hpp"
#include "auth/field_validators.hpp"
#include "auth/handlers_v2.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password_policy.hpp"
#include "auth/permissions.hpp"
#include "auth/registration.hpp"
#include "auth/services.hpp"
#include "auth/session_revocation.hpp"
#include "auth/token_service.hpp"
#include "auth/user_json.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/field_errors.hpp"
#include "http/json_writer.hpp"

namespace authd::auth {
namespace {

using http::Response;

// SimpleJWT's answer when a valid token names a user that no longer exists.
Response user_not_found() {
    return unauthorized("User not found", "user_not_found");
}

Response profile_response(const store::User& u) {
    Response r = http::json_response(200, profile_json(u));
    r.no_store = true;
    return r;
}

// Another session of the same user named by an optional `refresh` on logout: its sid, or ""
// when absent, invalid, of another user or of the session being closed anyway.
std::string other_session(LoopContext& ctx, const http::BodyFields& body, const Principal& me) {
    const http::Field* f = body.find("refresh");
    if (!f || f->kind != http::FieldKind::string || f->value.empty()) return {};
    ClaimsView claims;
    if (check_token(ctx, f->value, TokenType::refresh, core::wall_seconds(), claims) !=
        TokenCheck::valid)
        return {};
    if (claims.user_id != me.user_id || claims.sid == me.sid) return {};
    return std::string(claims.sid);
}

struct PasswordChange {
    std::string old_password, new_password;
};

// Reads the three fields of a password change; every error is recorded in `errors`.
std::optional<PasswordChange> read_password_change(const http::BodyFields& body,
                                                   const store::User& user,
                                                   http::FieldErrors& errors) {
    http::FieldReader r(body, errors);
    http::StringRule secret{.required = true, .allow_blank = false, .trim = false};
    auto old_pw = r.string("old_password", secret);
    auto new_pw = r.string("new_password", secret);
    auto confirm = r.string("confirm_password", secret);
    if (new_pw) {
        PasswordContext ctx{user.username, user.email, user.first_name, user.last_name};
        errors.add_all("new_password", validate_password(*new_pw, ctx));
    }
    if (new_pw && confirm && *new_pw != *confirm)
        errors.add("confirm_password", "Passwords do not match.");
    if (!old_pw || !new_pw || !confirm) return std::nullopt;
    return PasswordChange{std::move(*old_pw), std::move(*new_pw)};
}

Response password_changed(const TokenPair& pair) {
    Response r;
    http::JsonWriter w(r.body);
    w.begin_object();
    w.field("detail", "Password updated.");
    w.field("token", pair.access);
    w.field("refresh", pair.refresh);
    w.end_object();
    r.no_store = true;
    return r;
}

}  // namespace

core::Task<Response> handle_register(http::Request& req) {
    std::optional<Principal> caller;
    if (has_credentials(req)) {
        // Authentication is optional here, but a token that is present must be good (DRF).
        OrResponse<Principal> who = authenticate(req);
        if (!who) co_return who.take_response();
        caller = std::move(*who);
    }
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) co_return std::move(*err);
    co_return co_await register_user(services(req), body, RegistrationKind::register_v2,
                                     std::move(caller));
}

core::Task<Response> handle_agent_create(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (!me) co_return me.take_response();
    if (!can_create_agent(me->role)) co_return forbidden();
    http::BodyFields body;
    if (auto perr = http::parse_body(req, body)) co_return std::move(*perr);
    co_return co_await register_user(services(req), body, RegistrationKind::create_agent,
                                     std::move(*me));
}

// Revokes the session of the access token; a `refresh` of another session of the same user
// revokes that one too. Any other `refresh` (invalid, expired, someone else's) is ignored:
// logging out must not fail because of a stale token the client still held.
core::Task<Response> handle_logout(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (!me) co_return me.take_response();
    Services& s = services(req);
    http::BodyFields body;
    if (auto perr = http::parse_body(req, body)) co_return std::move(*perr);
    http::FieldErrors errors;
    http::FieldReader(body, errors)
        .string("refresh", {.required = false, .allow_blank = true, .trim = false});
    if (!errors.empty()) co_return errors.to_response();
    std::string other = other_session(loop_context(req), body, *me);
    // The other session first: if the store fails after it, a retry still authenticates.
    bool stored = true;
    if (!other.empty()) stored = co_await revoke_everywhere(s, std::move(other));
    if (stored) stored = co_await revoke_everywhere(s, me->sid);
    if (!stored)
        co_return service_unavailable("The session store is unavailable, try again later.");
    core::log_info("auth", "logout", {{"user_id", std::to_string(me->user_id)}});
    co_return http::detail_response(200, "Successfully logged out.");
}

// Wrong old passwords count as failed logins of the user, so a stolen access token cannot
// be used to guess the password without limit.
core::Task<Response> handle_password_change(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (!me) co_return me.take_response();
    Services& s = services(req);
    http::BodyFields body;
    if (auto perr = http::parse_body(req, body)) co_return std::move(*perr);
    store::Result<store::User> user = co_await s.store->find_user(me->user_id);
    if (!user) co_return absent_or_unavailable(user.answer(), user_not_found());
    http::FieldErrors errors;
    std::optional<PasswordChange> change = read_password_change(body, *user, errors);
    if (change) {
        OrResponse<LoginAttempt> attempt = co_await reserve_password_check(s, *user);
        if (!attempt) co_return attempt.take_response();
        // Named, not a temporary in the co_await: GCC 12 destroys such closures twice.
        auto verify = [&s, hash = user->password_hash, pw = change->old_password] {
            return s.hasher.verify(hash, pw);
        };
        auto ok = co_await s.hash_pool->run(std::move(verify));
        if (!ok || *ok) co_await login_undecided(s, *attempt);  // only a wrong one counts
        if (!ok) co_return service_unavailable();
        if (!*ok) errors.add("old_password", "Old password is incorrect.");
    }
    if (!errors.empty() || !change) co_return errors.to_response();
    auto hash_job = [&s, pw = std::move(change->new_password)] { return s.hasher.hash(pw); };
    auto hash = co_await s.hash_pool->run(std::move(hash_job));
    if (!hash) co_return service_unavailable();
    if (!*hash) co_return http::detail_response(500, "Password hashing failed.");
    store::UserPatch patch;
    patch.password_hash = std::move(**hash);
    patch.bump_token_version = true;
    patch.if_password_hash = user->password_hash;  // two changes at once: the second one fails
    store::Result<store::User> updated = co_await s.store->update_user(user->id, std::move(patch));
    if (updated.unavailable())
        co_return service_unavailable("The user store is unavailable, try again later.");
    if (updated.not_found()) co_return user_not_found();
    if (!updated) {
        errors.add("old_password", "Old password is incorrect.");  // it changed meanwhile
        co_return errors.to_response();
    }
    co_await spread_token_version(s, updated->id, updated->token_version);
    core::log_info("auth", "password changed", {{"user_id", std::to_string(updated->id)}});
    store::Result<TokenPair> pair = co_await issue_tokens(s, *updated);
    if (!pair) co_return service_unavailable("The user store is unavailable, try again later.");
    co_return password_changed(*pair);
}

core::Task<Response> handle_profile_get(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (!me) co_return me.take_response();
    store::Result<store::User> user = co_await services(req).store->find_user(me->user_id);
    if (!user) co_return absent_or_unavailable(user.answer(), user_not_found());
    co_return profile_response(*user);
}

// Partial update of the four editable fields; any other member of the body is ignored,
// as a DRF serializer ignores fields it does not declare.
core::Task<Response> handle_profile_patch(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (!me) co_return me.take_response();
    Services& s = services(req);
    http::BodyFields body;
    if (auto perr = http::parse_body(req, body)) co_return std::move(*perr);
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    http::StringRule optional{.required = false, .allow_blank = true};
    store::UserPatch patch;
    patch.first_name = r.string("first_name", optional);
    if (patch.first_name)
        errors.add_all("first_name", validate_name(*patch.first_name, kNameMaxLength));
    patch.last_name = r.string("last_name", optional);
    if (patch.last_name)
        errors.add_all("last_name", validate_name(*patch.last_name, kNameMaxLength));
    patch.phone_number = r.string("phone_number", optional);
    if (patch.phone_number) errors.add_all("phone_number", validate_phone(*patch.phone_number));
    patch.address = r.string("address", optional);
    if (patch.address) errors.add_all("address", validate_name(*patch.address, kAddressMaxLength));
    if (!errors.empty()) co_return errors.to_response();
    store::Result<store::User> user = co_await s.store->find_user(me->user_id);
    if (!user) co_return absent_or_unavailable(user.answer(), user_not_found());
    if (!patch.first_name && !patch.last_name && !patch.phone_number && !patch.address) {
        co_return profile_response(*user);
    }
    store::Result<store::User> updated = co_await s.store->update_user(user->id, std::move(patch));
    if (updated.unavailable())
        co_return service_unavailable("The user store is unavailable, try again later.");
    if (!updated) co_return user_not_found();  // deleted meanwhile
    co_return profile_response(*updated);
}

}  // namespace authd::auth
