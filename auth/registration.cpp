// Registration: validate, check roles, hash, create atomically with the verification mail.
#include "auth/registration.hpp"

#include "auth/field_validators.hpp"
#include "auth/link_state.hpp"
#include "auth/mail_outbox.hpp"
#include "auth/mail_templates.hpp"
#include "auth/password_policy.hpp"
#include "auth/roles.hpp"
#include "auth/token_service.hpp"
#include "auth/user_json.hpp"
#include "auth/username_text.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/field_errors.hpp"

namespace authd::auth {
namespace {

using http::FieldErrors;
using http::FieldReader;
using http::StringRule;

struct Candidate {
    store::User user;
    std::string password;
};

constexpr size_t max_password_length = 1024;

// Reads and validates the fields; the user's role and status are decided by the caller.
std::optional<Candidate> read_candidate(const http::BodyFields& fields, RegistrationKind kind,
                                        FieldErrors& errors) {
    FieldReader r(fields, errors);
    Candidate c;
    c.user.token_version = first_token_version;  // never 0: that is legacy tokens' version
    bool full = kind != RegistrationKind::signup;
    auto username = r.string("username");
    if (username) *username = normalize_username(*username);  // Django's normalize_username
    if (username) errors.add_all("username", validate_username(*username));
    auto email = r.string("email");
    if (email) errors.add_all("email", validate_email(*email));
    StringRule optional{.required = false, .allow_blank = true};
    std::optional<std::string> first, last, phone, address;
    if (full) {
        first = r.string("first_name", optional);
        if (first) errors.add_all("first_name", validate_name(*first, kNameMaxLength));
        last = r.string("last_name", optional);
        if (last) errors.add_all("last_name", validate_name(*last, kNameMaxLength));
    }
    StringRule secret{.required = true, .allow_blank = false, .trim = false};
    auto password = r.string("password", secret);
    std::optional<std::string> confirm;
    if (full) {
        confirm = r.string("confirm_password", secret);
        phone = r.string("phone_number", optional);
        if (phone) errors.add_all("phone_number", validate_phone(*phone));
        address = r.string("address", optional);
        if (address) errors.add_all("address", validate_name(*address, kAddressMaxLength));
    }
    if (password && password->size() > max_password_length * 4) {
        errors.add("password", max_length_message(max_password_length));
        password.reset();
    }
    if (password && username && email && !errors.has("first_name") && !errors.has("last_name")) {
        std::string first_text = first.value_or(""),
                    last_text = last.value_or("");  // ctx views them
        PasswordContext ctx{*username, *email, first_text, last_text};
        errors.add_all("password", validate_password(*password, ctx));
    }
    if (full && password && confirm && *password != *confirm) {
        errors.add("confirm_password", "Passwords do not match.");
    }
    if (!errors.empty()) return std::nullopt;
    c.user.username = *username;
    c.user.email = normalize_email(*email);
    c.user.first_name = first.value_or("");
    c.user.last_name = last.value_or("");
    c.user.phone_number = phone.value_or("");
    c.user.address = address.value_or("");
    c.password = std::move(*password);
    return c;
}

// The role rules of /api/auth/register/. Returns the role or records an error.
std::optional<Role> decide_role(const http::BodyFields& fields, RegistrationKind kind,
                                const std::optional<Principal>& caller, FieldErrors& errors) {
    bool by_superuser = caller && caller->role == Role::super_user;
    if (kind == RegistrationKind::signup) return Role::client;
    if (kind == RegistrationKind::create_agent) return Role::agent;
    FieldReader r(fields, errors);
    auto text = r.string("role", StringRule{.required = false, .allow_blank = true});
    if (errors.has("role")) return std::nullopt;
    if (!text || text->empty()) return Role::client;
    auto role = parse_role(*text);
    if (!role) {
        errors.add("role", "\"" + *text + "\" is not a valid choice.");
        return std::nullopt;
    }
    if (*role == Role::super_user) {
        errors.add("role", "Registering as a superuser is not allowed.");
        return std::nullopt;
    }
    if (*role == Role::agent && !by_superuser) {
        errors.add("role", "Only a superuser can create an agent.");
        return std::nullopt;
    }
    return role;
}

store::MailComposer verification_composer(Services& s) {
    return [&s](const store::User& u) -> std::optional<store::OutboxMail> {
        if (u.is_active && u.email_verified) return std::nullopt;
        std::string token = s.links.make(LinkPurpose::verify_email, u.id, verify_link_state(u),
                                         core::wall_seconds());
        std::string link =
            s.settings.public_url + "/auth/verify-email/" + uidb64_encode(u.id) + "/" + token + "/";
        return verification_mail(u.email, u.username, link);
    };
}

}  // namespace

core::Task<http::Response> register_user(Services& s, const http::BodyFields& fields,
                                         RegistrationKind kind, std::optional<Principal> caller) {
    FieldErrors errors;
    std::optional<Candidate> candidate = read_candidate(fields, kind, errors);
    std::optional<Role> role = decide_role(fields, kind, caller, errors);
    if (candidate && !errors.empty()) {
        // Report uniqueness with the other field errors, like DRF's validators do. Without
        // other errors the create below checks both names in the same atomic step and reports
        // both (one store round trip per signup instead of three).
        store::Result<store::User> by_name =
            co_await s.store->find_user_by_username(candidate->user.username);
        if (by_name.unavailable()) co_return service_unavailable();
        if (by_name) errors.add("username", "A user with that username already exists.");
        store::Result<store::User> by_email =
            co_await s.store->find_user_by_email(candidate->user.email);
        if (by_email.unavailable()) co_return service_unavailable();
        if (by_email) errors.add("email", "A user with that email already exists.");
    }
    if (!errors.empty() || !candidate || !role) co_return errors.to_response();

    Candidate c = std::move(*candidate);
    // Named, not a temporary in the co_await: GCC 12 destroys such closures twice (double free).
    auto hash_job = [&s, password = std::move(c.password)] { return s.hasher.hash(password); };
    auto hash = co_await s.hash_pool->run(std::move(hash_job));
    if (!hash) co_return service_unavailable();
    if (!*hash) co_return http::detail_response(500, "Password hashing failed.");
    c.user.password_hash = std::move(**hash);
    c.user.role = *role;
    bool active_at_once = kind == RegistrationKind::create_agent || (role == Role::agent);
    c.user.is_active = active_at_once;
    c.user.email_verified = false;

    store::MailComposer compose = active_at_once ? nullptr : verification_composer(s);
    store::Result<store::CreateUserResult> created =
        co_await s.store->create_user(std::move(c.user), std::move(compose));
    if (created.refused()) {  // lost a race for the name or the address
        if (created->username_taken)
            errors.add("username", "A user with that username already exists.");
        if (created->email_taken) errors.add("email", "A user with that email already exists.");
        co_return errors.to_response();
    }
    if (!created || !created->user)
        co_return service_unavailable("The user store is unavailable, try again later.");
    const store::User& u = *created->user;
    if (s.outbox && !active_at_once) s.outbox->nudge();
    if (kind != RegistrationKind::signup && u.role == Role::agent && caller) {
        store::AuditRecord record{core::wall_micros(), caller->user_id, u.id, "create_agent",
                                  ""};  // named: GCC 12
        store::Done stored = co_await s.store->append_audit(std::move(record));
        core::log(stored ? core::LogLevel::info : core::LogLevel::error, "audit", "agent created",
                  {{"actor_id", std::to_string(caller->user_id)},
                   {"target_id", std::to_string(u.id)},
                   {"stored", stored ? "true" : "false"}});
    }
    http::Response res = http::json_response(201, detail_json(u));
    res.no_store = true;
    co_return res;
}

}  // namespace authd::auth
