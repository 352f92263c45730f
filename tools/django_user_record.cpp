// The dumpdata user mapping. Wrong JSON types, a missing or non-positive pk, unknown roles
// and unreadable dates make a record malformed (the import stops before writing anything);
// values authd cannot hold (blank or invalid email, invalid username) make it skipped.
#include "tools/django_user_record.hpp"

#include <ctime>

#include "auth/field_validators.hpp"
#include "auth/roles.hpp"

namespace authd::tools {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

bool digits(std::string_view s, size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// Reads an optional string field (null or absent → ""); false when it has another type.
bool text_field(object fields, std::string_view name, std::string& out) {
    element e;
    if (fields[name].get(e)) return true;
    if (e.is_null()) return true;
    std::string_view v;
    if (e.get_string().get(v)) return false;
    out = v;
    return true;
}

bool bool_field(object fields, std::string_view name, bool fallback, bool& out) {
    element e;
    out = fallback;
    if (fields[name].get(e)) return true;
    return !e.get_bool().get(out);
}

bool time_field(object fields, std::string_view name, int64_t& out) {
    element e;
    out = 0;
    if (fields[name].get(e) || e.is_null()) return true;
    std::string_view v;
    if (e.get_string().get(v)) return false;
    auto t = parse_django_datetime(v);
    if (!t) return false;
    out = *t;
    return true;
}

DjangoRecord malformed(DjangoRecord r, std::string why) {
    r.kind = DjangoRecord::Kind::malformed;
    r.reason = std::move(why);
    return r;
}

store::Role role_of(bool superuser, bool staff, const DjangoImportOptions& o) {
    if (superuser) return store::Role::super_user;
    return staff && o.staff_as_agent ? store::Role::agent : store::Role::client;
}

// The fields every user record has; false with `why` set on a wrong type.
bool read_fields(object f, store::User& u, bool& superuser, bool& staff, std::string& why) {
    std::string_view s;
    if (f["username"].get_string().get(s)) return why = "username is not a string", false;
    u.username = s;
    if (f["password"].get_string().get(s)) return why = "password is not a string", false;
    u.password_hash = s;
    for (auto [name, out] : {std::pair<std::string_view, std::string*>{"email", &u.email},
                             {"first_name", &u.first_name},
                             {"last_name", &u.last_name},
                             {"phone_number", &u.phone_number},
                             {"address", &u.address}}) {
        if (!text_field(f, name, *out)) return why = std::string(name) + " is not a string", false;
    }
    bool verified = false;
    if (!bool_field(f, "is_active", true, u.is_active) ||
        !bool_field(f, "is_superuser", false, superuser) ||
        !bool_field(f, "is_staff", false, staff) ||
        !bool_field(f, "email_verified", false, verified)) {
        return why = "is_active, is_superuser, is_staff or email_verified is not a boolean", false;
    }
    u.email_verified = verified || u.is_active;  // imported active users count as verified
    int64_t updated = 0;
    if (!time_field(f, "date_joined", u.created_at_us) ||
        !time_field(f, "last_login", u.last_login_us) || !time_field(f, "updated_at", updated)) {
        return why = "date_joined, last_login or updated_at is not a Django datetime", false;
    }
    u.updated_at_us = updated ? updated : u.created_at_us;
    return true;
}

}  // namespace

std::optional<int64_t> parse_django_datetime(std::string_view t) {
    int y, mo, d, h, mi, sec;
    if (!digits(t, 0, 4, y) || t.size() < 19 || t[4] != '-' || !digits(t, 5, 2, mo) ||
        t[7] != '-' || !digits(t, 8, 2, d) || (t[10] != 'T' && t[10] != ' ') ||
        !digits(t, 11, 2, h) || t[13] != ':' || !digits(t, 14, 2, mi) || t[16] != ':' ||
        !digits(t, 17, 2, sec) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60) {
        return std::nullopt;
    }
    size_t i = 19;
    int64_t micros = 0;
    if (i < t.size() && t[i] == '.') {
        int64_t scale = 100000;
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, scale /= 10) {
            if (scale > 0) micros += (t[i] - '0') * scale;
        }
    }
    int64_t offset_s = 0;
    if (i < t.size() && t[i] == 'Z') {
        ++i;
    } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
        int oh, om;
        if (!digits(t, i + 1, 2, oh) || i + 3 >= t.size() || t[i + 3] != ':' ||
            !digits(t, i + 4, 2, om))
            return std::nullopt;
        offset_s = (t[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        i += 6;
    }
    if (i != t.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (static_cast<int64_t>(timegm(&tm)) - offset_s) * 1000000 + micros;
}

DjangoRecord convert_django_record(simdjson::dom::parser& parser, const std::string& text,
                                   const DjangoImportOptions& options) {
    DjangoRecord r;
    element doc;
    object top, f;
    if (parser.parse(text).get(doc) || doc.get_object().get(top))
        return malformed(std::move(r), "not valid JSON");
    element pk;
    bool has_pk = !top["pk"].get(pk);
    if (has_pk) r.pk = simdjson::minify(pk);
    if (top["fields"].get_object().get(f)) return malformed(std::move(r), "no \"fields\" object");
    element probe;
    if (f["username"].get(probe) || f["password"].get(probe)) return r;  // another model
    int64_t id = 0;
    if (!has_pk || pk.is_null() || pk.get_int64().get(id) || id <= 0)
        return malformed(std::move(r), "pk is not a positive integer");
    store::User& u = r.user;
    u.id = id;
    bool superuser = false, staff = false;
    if (!read_fields(f, u, superuser, staff, r.reason)) return malformed(std::move(r), r.reason);
    u.role = role_of(superuser, staff, options);
    element role;
    if (!f["role"].get(role) && !role.is_null()) {
        std::string_view name;
        auto parsed = role.get_string().get(name) ? std::nullopt : auth::parse_role(name);
        if (!parsed) return malformed(std::move(r), "role is not CLIENT, AGENT or SUPER_USER");
        u.role = *parsed;
    }
    u.token_version = 0;  // legacy SimpleJWT tokens count as version 0 (token_service.cpp)
    r.kind = DjangoRecord::Kind::user;
    if (!auth::validate_username(u.username).empty()) {
        r.kind = DjangoRecord::Kind::skip;
        r.reason = "username not valid for authd";
    } else if (u.email.empty() || !auth::validate_email(u.email).empty()) {
        r.kind = DjangoRecord::Kind::skip;
        r.reason = u.email.empty() ? "no email" : "email not valid for authd";
    } else {
        u.email = auth::normalize_email(u.email);
    }
    return r;
}

}  // namespace authd::tools
