// Login (both surfaces), refresh and token validation. Login verifies the password on the
// hashing pool — against a dummy hash for an unknown user, so both cost the same — and
// is throttled per username and per client address through the store's counters.
#include "auth/authenticate.hpp"
#include "auth/client_address.hpp"
#include "auth/field_validators.hpp"
#include "auth/handlers_v1.hpp"
#include "auth/login_throttle.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "auth/username_text.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/field_errors.hpp"
#include "http/json_writer.hpp"

namespace authd::auth {
namespace {

using http::Response;

Response token_pair_response(const TokenPair& pair, std::string_view access_key) {
    Response r;
    http::JsonWriter w(r.body);
    w.begin_object();
    w.field(access_key, pair.access);
    w.field("refresh", pair.refresh);
    w.end_object();
    r.no_store = true;
    return r;
}

// The user was deleted between the password check and the login: as for an unknown user.
Response login_gone() {
    return http::detail_response(401, "No active account found with the given credentials",
                                 "invalid_credentials");
}

// Sets last_login; a hash made with other Argon2 parameters than the configured ones is
// replaced by one made with them (same password, no token revocation), unless the password
// changed meanwhile. A full hashing pool just postpones the rehash to a later login.
core::Task<store::Result<store::User>> record_login(Services& s, const store::User& user,
                                                    std::string password) {
    store::UserPatch patch;
    patch.last_login_us = core::wall_micros();
    if (s.hasher.needs_rehash(user.password_hash)) {
        auto job = [&s, pw = std::move(password)] { return s.hasher.hash(pw); };
        auto rehashed = co_await s.hash_pool->run(std::move(job));
        if (rehashed && *rehashed) {
            store::UserPatch upgrade = patch;
            upgrade.password_hash = std::move(**rehashed);
            upgrade.if_password_hash = user.password_hash;
            store::Result<store::User> r = co_await s.store->update_user(user.id, upgrade);
            if (!r.refused()) co_return r;
        }
    }
    co_return co_await s.store->update_user(user.id, std::move(patch));
}

// The whole login flow; `access_key` is "access" (/auth/token/) or "token" (/api/auth/login/).
core::Task<Response> login(http::Request& req, std::string_view access_key) {
    Services& s = services(req);
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) co_return std::move(*err);
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    auto username = r.string("username");
    auto password = r.string("password", {.required = true, .allow_blank = false, .trim = false});
    if (!errors.empty()) co_return errors.to_response();

    // Looked up first: the throttle counts attempts under the user the store resolves the
    // name to. A name longer than any username is unknown without asking the store.
    store::Result<store::User> user = store::Answer::not_found;
    if (username->size() <= 4 * kUsernameMaxLength) {
        *username = normalize_username(*username);  // as stored: "ｊｏｈｎ" is "john"
        user = co_await s.store->find_user_by_username(*username);
    }
    if (user.unavailable()) co_return service_unavailable();
    OrResponse<LoginAttempt> attempt =
        co_await reserve_login(s, user, *username, client_address(req));
    if (!attempt) co_return attempt.take_response();
    std::string hash = user ? user->password_hash : s.hasher.dummy_hash();
    // Named, not a temporary in the co_await: GCC 12 destroys such closures twice (double free).
    std::string plain = std::move(*password);  // kept for a rehash after a good login
    auto verify = [&s, hash = std::move(hash), &plain] { return s.hasher.verify(hash, plain); };
    auto ok = co_await s.hash_pool->run(std::move(verify));
    if (!ok) {
        co_await login_undecided(s, *attempt);
        co_return service_unavailable();
    }
    if (!user || !*ok)  // the reservation stays: it is the recorded failure
        co_return http::detail_response(401, "No active account found with the given credentials",
                                        "invalid_credentials");
    if (!user->is_active) {
        co_await login_undecided(s, *attempt);
        co_return http::detail_response(403, "User account is disabled.", "account_inactive");
    }
    co_await login_succeeded(s, *attempt);
    store::Result<store::User> updated = co_await record_login(s, *user, std::move(plain));
    if (updated.unavailable())
        co_return service_unavailable("The user store is unavailable, try again later.");
    if (!updated) co_return login_gone();  // deleted meanwhile
    store::Result<TokenPair> pair = co_await issue_tokens(s, *updated);
    if (!pair) co_return service_unavailable("The user store is unavailable, try again later.");
    co_return token_pair_response(*pair, access_key);
}

// Finds a string "token" member of a JSON body without building fields (no allocation).
// False for anything else; the general path then produces the exact DRF error.
bool find_token_json(LoopContext& ctx, http::Request& req, std::string_view& token) {
    std::string& body = req.body_storage();
    size_t len = body.size();
    body.reserve(len + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element doc;
    if (ctx.json.parse(body.data(), len, false).get(doc)) return false;
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return false;
    bool found = false;
    for (auto [key, value] : obj) {
        if (key != "token") continue;
        found = !value.get_string().get(token);  // the last one wins, as in parse_body
    }
    return found && !token.empty();
}

void answer_validation(LoopContext& ctx, std::string_view token, Response& res) {
    ClaimsView claims;
    TokenCheck check = check_token(ctx, token, TokenType::access, core::wall_seconds(), claims);
    http::JsonWriter w(res.body);
    w.begin_object();
    if (check != TokenCheck::valid) {
        res.status = 401;
        w.field("valid", false);
        w.field("detail", token_check_message(check));
        w.field("code", "token_not_valid");
    } else {
        w.field("valid", true);
        w.field("user_id", claims.user_id);
        w.field("username", claims.username);
        w.field("role", claims.role);
        w.field("exp", claims.exp);
    }
    w.end_object();
}

bool is_json(std::string_view content_type) {
    constexpr std::string_view json = "application/json";
    if (content_type.size() < json.size()) return false;
    for (size_t i = 0; i < json.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(content_type[i])) != json[i]) return false;
    }
    return content_type.size() == json.size() || content_type[json.size()] == ';' ||
           content_type[json.size()] == ' ';
}

}  // namespace

core::Task<Response> handle_token(http::Request& req) {
    return login(req, "access");
}
core::Task<Response> handle_login_v2(http::Request& req) {
    return login(req, "token");
}

core::Task<Response> handle_token_refresh(http::Request& req) {
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) co_return std::move(*err);
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    auto refresh = r.string("refresh");
    if (!errors.empty()) co_return errors.to_response();
    RefreshOutcome out = co_await refresh_tokens(loop_context(req), std::move(*refresh));
    if (out.status == RefreshStatus::store_unavailable) co_return service_unavailable();
    if (out.status != RefreshStatus::ok)
        co_return unauthorized("Token is invalid or expired", "token_not_valid");
    co_return token_pair_response(out.tokens, "access");
}

void handle_validate_token(http::Request& req, Response& res) {
    LoopContext& ctx = loop_context(req);
    res.no_store = true;
    std::string_view token;
    if (is_json(req.header("content-type")) && find_token_json(ctx, req, token)) {
        return answer_validation(ctx, token, res);
    }
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) {
        res = std::move(*err);
        return;
    }
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    auto t = r.string("token");
    if (!errors.empty()) {
        res = errors.to_response();
        return;
    }
    answer_validation(ctx, *t, res);
}

}  // namespace authd::auth
