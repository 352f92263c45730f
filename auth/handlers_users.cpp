// Agent endpoints of /api/auth/users/: listing (with filters and limit/offset pagination),
// the pending list, details, validation/deactivation and rejection, with the audit trail.
#include <charconv>

#include "auth/authenticate.hpp"
#include "auth/client_address.hpp"
#include "auth/handlers_v2.hpp"
#include "auth/permissions.hpp"
#include "auth/roles.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "auth/user_json.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/body_fields.hpp"
#include "http/field_errors.hpp"
#include "http/json_writer.hpp"

namespace authd::auth {
namespace {

using http::Response;

// DRF LimitOffsetPagination's bounds.
constexpr size_t default_limit = 100;
constexpr size_t max_limit = 1000;
constexpr size_t max_reason_length = 500;

Response not_found() {
    return http::detail_response(404, "Not found.");
}

// A non-negative decimal that fits; nullopt for anything else (sign, junk, overflow).
std::optional<size_t> parse_count(std::string_view text) {
    size_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// The <int:id> path parameter; the router only passes digits, but they may overflow.
std::optional<int64_t> path_id(const http::Request& req) {
    std::string_view text = req.param(0);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v <= 0) return std::nullopt;
    return v;
}

// django-filter's boolean spellings; anything else is refused.
std::optional<bool> parse_query_bool(std::string_view v) {
    if (v == "true" || v == "True" || v == "1") return true;
    if (v == "false" || v == "False" || v == "0") return false;
    return std::nullopt;
}

// Query string → UserQuery, or the 400 answer. Empty filter values are ignored, as
// django-filter does. limit/offset follow LimitOffsetPagination: an invalid or non-positive
// limit is the default, one above the maximum is the maximum; an invalid offset is 0.
std::optional<Response> read_user_query(std::string_view query_string, store::UserQuery& q) {
    std::vector<http::Field> params;
    if (!http::parse_urlencoded(query_string, params))
        return http::detail_response(400, "Invalid query string.");
    http::FieldErrors errors;
    for (const http::Field& p : params) {
        if (p.name == "role" && !p.value.empty()) {
            q.role = parse_role(p.value);
            if (!q.role) {
                errors.add("role", "Select a valid choice. " + p.value +
                                       " is not one of the available choices.");
            }
        } else if (p.name == "is_active" && !p.value.empty()) {
            q.is_active = parse_query_bool(p.value);
            if (!q.is_active) errors.add("is_active", std::string(http::msg_not_bool));
        } else if (p.name == "search") {
            q.search = p.value;
        } else if (p.name == "limit") {
            auto n = parse_count(p.value);
            q.limit = !n || *n == 0 ? default_limit : std::min(*n, max_limit);
        } else if (p.name == "offset") {
            q.offset = parse_count(p.value).value_or(0);
        }
    }
    if (!errors.empty()) return errors.to_response();
    return std::nullopt;
}

Response user_list(const store::UserPage& page) {
    Response r;
    http::JsonWriter w(r.body);
    w.begin_array();
    for (const store::User& u : page.items) write_list_item(w, u);
    w.end_array();
    r.header("X-Total-Count", std::to_string(page.total));
    r.no_store = true;
    return r;
}

// The caller when authenticated as an agent; else the 401/403.
OrResponse<Principal> require_agent(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (me && !can_view_users(me->role)) return forbidden();
    return me;
}

core::Task<Response> list_users(http::Request& req, bool pending_only) {
    OrResponse<Principal> me = require_agent(req);
    if (!me) co_return me.take_response();
    store::UserQuery q;
    if (auto bad = read_user_query(req.query(), q)) co_return std::move(*bad);
    if (pending_only) q.is_active = false;
    store::Result<store::UserPage> page = co_await services(req).store->list_users(std::move(q));
    if (!page) co_return service_unavailable();
    co_return user_list(*page);
}

// The target of an action, after the 401/403/404 checks in DRF's order: permission classes,
// then get_object(), then the object permission (the role matrix).
struct Target {
    Principal actor;
    store::User user;
};

core::Task<OrResponse<Target>> manageable_target(http::Request& req) {
    OrResponse<Principal> me = require_agent(req);
    if (!me) co_return me.take_response();
    std::optional<int64_t> id = path_id(req);
    if (!id) co_return not_found();
    store::Result<store::User> user = co_await services(req).store->find_user(*id);
    if (!user) co_return absent_or_unavailable(user.answer(), not_found());
    if (!can_manage_user(me->user_id, me->role, user->id, user->role)) co_return forbidden();
    co_return Target{std::move(*me), std::move(*user)};
}

// Stores the audit record and writes the matching log line. A record the store could not
// keep is still in the log, flagged, so no action goes unrecorded.
core::Task<void> audit(Services& s, const Principal& actor, const store::User& target,
                       std::string action, std::string reason, std::string client) {
    std::string actor_id = std::to_string(actor.user_id);
    std::string target_id = std::to_string(target.id);
    // A named record: GCC 12 destroys an aggregate temporary in a co_await operand twice.
    store::AuditRecord record{core::wall_micros(), actor.user_id, target.id, action, reason};
    bool stored = (co_await s.store->append_audit(std::move(record))).ok();
    core::log(stored ? core::LogLevel::info : core::LogLevel::error, "audit", "user " + action,
              {{"action", action},
               {"actor_id", actor_id},
               {"actor", actor.username},
               {"target_id", target_id},
               {"target", target.username},
               {"reason", reason},
               {"client", client},
               {"stored", stored ? "true" : "false"}});
}

Response validated(std::string_view detail, const store::User& u) {
    Response r;
    http::JsonWriter w(r.body);
    w.begin_object();
    w.field("detail", detail);
    w.key("user");
    w.raw(detail_json(u));
    w.end_object();
    r.no_store = true;
    return r;
}

}  // namespace

core::Task<Response> handle_users_list(http::Request& req) {
    return list_users(req, false);
}
core::Task<Response> handle_users_pending(http::Request& req) {
    return list_users(req, true);
}

// Any agent may read any user's details, superusers included; only actions are restricted.
core::Task<Response> handle_user_detail(http::Request& req) {
    OrResponse<Principal> me = require_agent(req);
    if (!me) co_return me.take_response();
    std::optional<int64_t> id = path_id(req);
    if (!id) co_return not_found();
    store::Result<store::User> user = co_await services(req).store->find_user(*id);
    if (!user) co_return absent_or_unavailable(user.answer(), not_found());
    Response r = http::json_response(200, detail_json(*user));
    r.no_store = true;
    co_return r;
}

// is_active true (default) validates, false deactivates and revokes every token of the user.
core::Task<Response> handle_user_validate(http::Request& req) {
    OrResponse<Target> t = co_await manageable_target(req);
    if (!t) co_return t.take_response();
    Services& s = services(req);
    http::BodyFields body;
    if (auto perr = http::parse_body(req, body)) co_return std::move(*perr);
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    std::optional<bool> active = r.boolean("is_active");
    std::optional<std::string> reason = r.string(
        "reason", {.required = false, .allow_blank = true, .max_length = max_reason_length});
    if (!errors.empty()) co_return errors.to_response();
    bool activate = active.value_or(true);
    store::UserPatch patch;
    patch.is_active = activate;
    patch.bump_token_version = !activate;
    store::Result<store::User> updated =
        co_await s.store->update_user(t->user.id, std::move(patch));
    if (!updated) co_return absent_or_unavailable(updated.answer(), not_found());
    if (!activate) co_await spread_token_version(s, updated->id, updated->token_version);
    co_await audit(s, t->actor, *updated, activate ? "validate" : "deactivate", reason.value_or(""),
                   std::string(client_address(req)));
    co_return validated(activate ? "User validated." : "User deactivated.", *updated);
}

// An optional `reason` (body) goes into the audit record, as for validation.
core::Task<Response> handle_user_reject(http::Request& req) {
    OrResponse<Target> t = co_await manageable_target(req);
    if (!t) co_return t.take_response();
    Services& s = services(req);
    http::BodyFields body;
    if (auto perr = http::parse_body(req, body)) co_return std::move(*perr);
    http::FieldErrors errors;
    std::optional<std::string> reason =
        http::FieldReader(body, errors)
            .string("reason",
                    {.required = false, .allow_blank = true, .max_length = max_reason_length});
    if (!errors.empty()) co_return errors.to_response();
    // "Only if still pending" is checked by the store in the same step as the delete: a user
    // validated meanwhile is not deleted.
    store::Done deleted = co_await s.store->delete_user(t->user.id, store::DeleteIf::pending);
    if (deleted.refused())
        co_return http::detail_response(409, "Only pending users can be rejected.");
    if (!deleted) co_return absent_or_unavailable(deleted.answer(), not_found());
    co_await spread_user_removal(s, t->user.id);
    co_await audit(s, t->actor, t->user, "reject", reason.value_or(""),
                   std::string(client_address(req)));
    Response r;
    r.status = 204;
    r.body_is_empty = true;
    co_return r;
}

}  // namespace authd::auth
