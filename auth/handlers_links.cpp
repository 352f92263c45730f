// Signup and the mailed-link flows of /auth/: email verification, password reset request,
// and the reset form (GET shows it, POST applies it — form or JSON).
#include "auth/authenticate.hpp"
#include "auth/client_address.hpp"
#include "auth/field_validators.hpp"
#include "auth/handlers_v1.hpp"
#include "auth/html_pages.hpp"
#include "auth/link_state.hpp"
#include "auth/mail_outbox.hpp"
#include "auth/mail_templates.hpp"
#include "auth/password_policy.hpp"
#include "auth/registration.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/field_errors.hpp"

namespace authd::auth {
namespace {

using http::Response;

struct LinkUser {
    std::optional<store::User> user;  // set when the link checks out
    bool unavailable = false;         // the store did not answer: say 503, not "invalid link"
};

// The user a link points at, when its uidb64 and token check out for `purpose`.
core::Task<LinkUser> user_for_link(Services& s, http::Request& req, LinkPurpose purpose) {
    LinkUser out;
    auto id = uidb64_decode(req.param(0));
    if (!id) co_return out;
    store::Result<store::User> user = co_await s.store->find_user(*id);
    out.unavailable = user.unavailable();
    if (!user) co_return out;
    std::string state =
        purpose == LinkPurpose::verify_email ? verify_link_state(*user) : reset_link_state(*user);
    if (s.links.check(purpose, user->id, state, req.param(1), core::wall_seconds()))
        out.user = std::move(*user);
    co_return out;
}

Response json_detail_with_link_headers(int status, std::string_view detail) {
    Response r = http::detail_response(status, detail);
    add_link_page_headers(r);
    return r;
}

Response invalid_verification(bool html) {
    return html ? invalid_link_page("verification")
                : json_detail_with_link_headers(400, "Invalid or expired verification link.");
}

}  // namespace

core::Task<Response> handle_signup(http::Request& req) {
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) co_return std::move(*err);
    co_return co_await register_user(services(req), body, RegistrationKind::signup, std::nullopt);
}

core::Task<Response> handle_verify_email(http::Request& req) {
    Services& s = services(req);
    bool html = prefers_html(req);
    LinkUser link = co_await user_for_link(s, req, LinkPurpose::verify_email);
    if (link.unavailable) co_return service_unavailable();
    std::optional<store::User>& user = link.user;
    if (!user) co_return invalid_verification(html);
    store::UserPatch patch;
    patch.email_verified = true;
    if (!s.settings.require_approval) patch.is_active = true;
    // A deactivation between the check above and this write must not be undone.
    patch.if_token_version = user->token_version;
    store::Result<store::User> updated = co_await s.store->update_user(user->id, std::move(patch));
    if (updated.unavailable()) co_return service_unavailable();
    if (!updated) co_return invalid_verification(html);  // deleted or changed meanwhile
    core::log_info("auth", "email verified", {{"user_id", std::to_string(user->id)}});
    co_return html ? verified_page() : json_detail_with_link_headers(200, "Email verified.");
}

core::Task<Response> handle_reset_password(http::Request& req) {
    Services& s = services(req);
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) co_return std::move(*err);
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    auto email = r.string("email");
    if (email) errors.add_all("email", validate_email(*email));
    if (!errors.empty()) co_return errors.to_response();
    store::Result<store::User> user = co_await s.store->find_user_by_email(normalize_email(*email));
    if (user.unavailable()) co_return service_unavailable();
    // At most reset_mails_per_hour mails per account: beyond it the answer is the same 200
    // (nothing revealed), no mail is queued and the log says so.
    bool allowed = false;
    if (user && user->is_active) {
        store::Result<store::LoginFailures> quota = co_await s.store->reserve_login_attempt(
            "reset:" + std::to_string(user->id), s.settings.reset_mails_per_hour, 3600);
        if (quota.unavailable()) co_return service_unavailable();
        allowed = quota.ok();
        if (!allowed)
            core::log_warn("auth", "reset mail limit reached; no mail sent",
                           {{"user_id", std::to_string(user->id)},
                            {"client", std::string(client_address(req))}});
    }
    if (allowed) {
        std::string token = s.links.make(LinkPurpose::reset_password, user->id,
                                         reset_link_state(*user), core::wall_seconds());
        std::string link = s.settings.public_url + "/auth/password_reset_confirm/" +
                           uidb64_encode(user->id) + "/" + token + "/";
        store::OutboxMail mail = reset_mail(user->email, user->username, link);
        store::Result<int64_t> queued = co_await s.store->enqueue_mail(std::move(mail));
        if (!queued) co_return service_unavailable();
        if (s.outbox) s.outbox->nudge();
    }
    Response res = http::detail_response(
        200, "If an account exists for this email, a reset link has been sent.");
    co_return res;
}

core::Task<Response> handle_reset_confirm_get(http::Request& req) {
    LinkUser link = co_await user_for_link(services(req), req, LinkPurpose::reset_password);
    if (link.unavailable) co_return service_unavailable();
    if (!link.user) co_return invalid_link_page("password reset");
    co_return reset_form_page(200, req.path(), {});
}

core::Task<Response> handle_reset_confirm_post(http::Request& req) {
    Services& s = services(req);
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) co_return std::move(*err);
    bool html = body.from_form || prefers_html(req);
    LinkUser link = co_await user_for_link(s, req, LinkPurpose::reset_password);
    if (link.unavailable) co_return service_unavailable();
    std::optional<store::User>& user = link.user;
    if (!user) {
        co_return html
            ? invalid_link_page("password reset")
            : json_detail_with_link_headers(400, "Invalid or expired password reset link.");
    }
    http::FieldErrors errors;
    http::FieldReader r(body, errors);
    http::StringRule secret{.required = true, .allow_blank = false, .trim = false};
    auto password = r.string("new_password", secret);
    auto confirm = r.string("confirm_password", secret);
    if (password) {
        PasswordContext ctx{user->username, user->email, user->first_name, user->last_name};
        errors.add_all("new_password", validate_password(*password, ctx));
    }
    if (password && confirm && *password != *confirm)
        errors.add("confirm_password", "Passwords do not match.");
    if (!errors.empty()) {
        if (!html) co_return errors.to_response();
        co_return reset_form_page(400, req.path(), errors.entries());
    }
    // Named, not a temporary in the co_await: GCC 12 destroys such closures twice (double free).
    auto hash_job = [&s, pw = std::move(*password)] { return s.hasher.hash(pw); };
    auto hash = co_await s.hash_pool->run(std::move(hash_job));
    if (!hash) co_return service_unavailable();
    if (!*hash) co_return http::detail_response(500, "Password hashing failed.");
    store::UserPatch patch;
    patch.password_hash = std::move(**hash);
    patch.bump_token_version = true;
    patch.if_password_hash = user->password_hash;  // the link works once, even used twice at once
    store::Result<store::User> updated = co_await s.store->update_user(user->id, std::move(patch));
    if (updated.unavailable()) co_return service_unavailable();
    if (!updated) {  // the precondition failed (the link was spent meanwhile) or the user is gone
        co_return html
            ? invalid_link_page("password reset")
            : json_detail_with_link_headers(400, "Invalid or expired password reset link.");
    }
    co_await spread_token_version(s, updated->id, updated->token_version);
    core::log_info("auth", "password reset by link", {{"user_id", std::to_string(updated->id)}});
    if (html) co_return reset_done_page();
    co_return json_detail_with_link_headers(200, "Password has been reset.");
}

}  // namespace authd::auth
