// Redis hashes <-> User / OutboxMail, the audit encoding and the search text.
#include "store/redis_codec.hpp"

#include <algorithm>
#include <charconv>

#include "store/case_fold.hpp"

namespace authd::store {
namespace {

bool parse_i64(std::string_view s, int64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

int64_t to_i64(std::string_view s) {
    int64_t v = 0;
    return parse_i64(s, v) ? v : 0;
}

// Calls fn(field, value) for each pair of an HGETALL reply; false when it is not one.
template <class F>
bool for_each_pair(const redisReply* r, F&& fn) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0 || r->elements % 2 != 0)
        return false;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        fn(reply_view(r->element[i]), reply_view(r->element[i + 1]));
    return true;
}

}  // namespace

bool reply_int(const redisReply* r, int64_t& out) {
    if (!r) return false;
    if (r->type == REDIS_REPLY_INTEGER) {
        out = r->integer;
        return true;
    }
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return parse_i64(reply_view(r), out);
    return false;
}

int64_t reply_int_or(const redisReply* r, int64_t fallback) {
    int64_t v = 0;
    return reply_int(r, v) ? v : fallback;
}

std::string_view reply_view(const redisReply* r) {
    if (!r || !r->str) return {};
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
        r->type != REDIS_REPLY_ERROR)
        return {};
    return std::string_view(r->str, r->len);
}

const redisReply* reply_element(const redisReply* r, size_t i) {
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements) return nullptr;
    return r->element[i];
}

// ---- users -----------------------------------------------------------------------------------

void append_user_fields(RedisArgs& a, const User& u) {
    a.add("username").add(u.username);
    a.add("email").add(u.email);
    a.add("first_name").add(u.first_name);
    a.add("last_name").add(u.last_name);
    a.add("phone_number").add(u.phone_number);
    a.add("address").add(u.address);
    a.add("role").add(role_digit(u.role));
    a.add("is_active").add(bool_digit(u.is_active));
    a.add("email_verified").add(bool_digit(u.email_verified));
    a.add("password_hash").add(u.password_hash);
    a.add("last_login_us").add(u.last_login_us);
    a.add("token_version").add(static_cast<int64_t>(u.token_version));
}

std::optional<User> decode_user(const redisReply* hash) {
    User u;
    bool ok = for_each_pair(hash, [&](std::string_view f, std::string_view v) {
        if (f == "id")
            u.id = to_i64(v);
        else if (f == "username")
            u.username = v;
        else if (f == "email")
            u.email = v;
        else if (f == "first_name")
            u.first_name = v;
        else if (f == "last_name")
            u.last_name = v;
        else if (f == "phone_number")
            u.phone_number = v;
        else if (f == "address")
            u.address = v;
        else if (f == "role")
            u.role = static_cast<Role>(std::min<int64_t>(std::max<int64_t>(to_i64(v), 0), 2));
        else if (f == "is_active")
            u.is_active = v == "1";
        else if (f == "email_verified")
            u.email_verified = v == "1";
        else if (f == "password_hash")
            u.password_hash = v;
        else if (f == "last_login_us")
            u.last_login_us = to_i64(v);
        else if (f == "created_at_us")
            u.created_at_us = to_i64(v);
        else if (f == "updated_at_us")
            u.updated_at_us = to_i64(v);
        else if (f == "token_version")
            u.token_version = static_cast<uint32_t>(to_i64(v));
    });
    if (!ok || u.id <= 0) return std::nullopt;
    return u;
}

// ---- mail ------------------------------------------------------------------------------------

std::optional<OutboxMail> decode_mail(const redisReply* hash) {
    OutboxMail m;
    bool ok = for_each_pair(hash, [&](std::string_view f, std::string_view v) {
        if (f == "id")
            m.id = to_i64(v);
        else if (f == "to")
            m.to = v;
        else if (f == "subject")
            m.subject = v;
        else if (f == "text_body")
            m.text_body = v;
        else if (f == "html_body")
            m.html_body = v;
        else if (f == "attempts")
            m.attempts = static_cast<uint32_t>(to_i64(v));
        else if (f == "next_attempt_us")
            m.next_attempt_us = to_i64(v);
    });
    if (!ok || m.id <= 0) return std::nullopt;
    return m;
}

// ---- audit -----------------------------------------------------------------------------------

// "<at_us> <actor> <target> <action length> " action reason: numbers first, then the two
// free texts told apart by the action's length (both may hold any byte).
std::string encode_audit(const AuditRecord& r) {
    std::string out = std::to_string(r.at_us) + ' ' + std::to_string(r.actor_id) + ' ' +
                      std::to_string(r.target_id) + ' ' + std::to_string(r.action.size()) + ' ';
    out += r.action;
    out += r.reason;
    return out;
}

std::optional<AuditRecord> decode_audit(std::string_view s) {
    AuditRecord r;
    int64_t* numbers[] = {&r.at_us, &r.actor_id, &r.target_id};
    for (int64_t* n : numbers) {
        size_t sp = s.find(' ');
        if (sp == std::string_view::npos || !parse_i64(s.substr(0, sp), *n)) return std::nullopt;
        s.remove_prefix(sp + 1);
    }
    size_t sp = s.find(' ');
    int64_t action_len = 0;
    if (sp == std::string_view::npos || !parse_i64(s.substr(0, sp), action_len) || action_len < 0)
        return std::nullopt;
    s.remove_prefix(sp + 1);
    if (static_cast<size_t>(action_len) > s.size()) return std::nullopt;
    r.action = s.substr(0, static_cast<size_t>(action_len));
    r.reason = s.substr(static_cast<size_t>(action_len));
    return r;
}

// ---- search text -----------------------------------------------------------------------------

std::string search_field(std::string_view text) {
    std::string out = fold_case(text);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20) c = '\x01';
    }
    return out;
}

std::string search_text(const User& u) {
    std::string out = search_field(u.username);
    out += '\0';
    out += search_field(u.email);
    out += '\0';
    out += search_field(u.first_name);
    out += '\0';
    out += search_field(u.last_name);
    return out;
}

std::optional<std::string> search_needle(std::string_view query) {
    std::string needle = fold_case(query);
    for (char c : needle) {
        if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    }
    return needle;
}

// ---- instances -------------------------------------------------------------------------------

std::vector<std::string> instances_in_client_list(std::string_view list) {
    constexpr std::string_view marker = " name=authd-";
    std::vector<std::string> out;
    for (size_t at = list.find(marker); at != std::string_view::npos;
         at = list.find(marker, at + 1)) {
        size_t begin = at + marker.size();
        size_t end = list.find_first_of(" \n", begin);
        out.emplace_back(list.substr(
            begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    }
    return out;
}

std::optional<Session> decode_session(const redisReply* r) {
    Session s;
    s.user_id = reply_int_or(reply_element(r, 0), 0);
    s.refresh_jti = std::string(reply_view(reply_element(r, 1)));
    s.expires_at = reply_int_or(reply_element(r, 2), 0);
    s.revoked = reply_view(reply_element(r, 3)) == "1";
    if (s.user_id <= 0 || s.refresh_jti.empty()) return std::nullopt;
    return s;
}

}  // namespace authd::store
