// User serialization.
#include "auth/user_json.hpp"

#include <cstdio>
#include <ctime>

#include "auth/roles.hpp"

namespace authd::auth {

std::string rfc3339(int64_t micros) {
    time_t secs = static_cast<time_t>(micros / 1000000);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros % 1000000));
    return buf;
}

void write_profile_fields(http::JsonWriter& w, const store::User& u) {
    w.field("id", u.id);
    w.field("username", u.username);
    w.field("email", u.email);
    w.field("first_name", u.first_name);
    w.field("last_name", u.last_name);
    w.field("phone_number", u.phone_number);
    w.field("address", u.address);
    w.field("role", role_name(u.role));
    w.field("role_display", role_display(u.role));
    w.field("created_at", rfc3339(u.created_at_us));
    w.field("updated_at", rfc3339(u.updated_at_us));
}

std::string profile_json(const store::User& u) {
    std::string out;
    http::JsonWriter w(out);
    w.begin_object();
    write_profile_fields(w, u);
    w.end_object();
    return out;
}

std::string detail_json(const store::User& u) {
    std::string out;
    http::JsonWriter w(out);
    w.begin_object();
    write_profile_fields(w, u);
    w.field("is_active", u.is_active);
    w.field("email_verified", u.email_verified);
    w.key("last_login");
    if (u.last_login_us) {
        w.value(rfc3339(u.last_login_us));
    } else {
        w.null();
    }
    w.end_object();
    return out;
}

void write_list_item(http::JsonWriter& w, const store::User& u) {
    w.begin_object();
    w.field("id", u.id);
    w.field("username", u.username);
    w.field("email", u.email);
    w.field("first_name", u.first_name);
    w.field("last_name", u.last_name);
    w.field("role", role_name(u.role));
    w.field("role_display", role_display(u.role));
    w.field("is_active", u.is_active);
    w.field("created_at", rfc3339(u.created_at_us));
    w.end_object();
}

}  // namespace authd::auth
