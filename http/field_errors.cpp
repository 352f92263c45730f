// DRF-shaped field validation over parsed bodies.
#include "http/field_errors.hpp"

#include <charconv>

#include "core/utf8.hpp"
#include "http/json_writer.hpp"

namespace authd::http {
namespace {

std::string_view trim_whitespace(std::string_view s) {
    auto space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

size_t count_code_points(std::string_view s) {
    size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

}  // namespace

void FieldErrors::add(std::string_view field, std::string message) {
    for (auto& [name, messages] : errors_) {
        if (name == field) {
            messages.push_back(std::move(message));
            return;
        }
    }
    errors_.emplace_back(std::string(field), std::vector<std::string>{std::move(message)});
}

void FieldErrors::add_all(std::string_view field, const std::vector<std::string>& messages) {
    for (const auto& m : messages) add(field, m);
}

bool FieldErrors::has(std::string_view field) const {
    for (const auto& e : errors_) {
        if (e.first == field) return true;
    }
    return false;
}

Response FieldErrors::to_response(int status) const {
    Response r;
    r.status = status;
    JsonWriter w(r.body);
    w.begin_object();
    for (const auto& [name, messages] : errors_) {
        w.key(name);
        w.begin_array();
        for (const auto& m : messages) w.value(m);
        w.end_array();
    }
    w.end_object();
    return r;
}

std::optional<std::string> FieldReader::string(std::string_view name, StringRule rule) {
    const Field* f = fields_.find(name);
    if (!f) {
        if (rule.required) errors_.add(name, std::string(msg_required));
        return std::nullopt;
    }
    // API.md §1: any other JSON type, null included, is "Not a valid string.".
    if (f->kind != FieldKind::string) {
        errors_.add(name, std::string(msg_not_string));
        return std::nullopt;
    }
    if (!core::is_valid_utf8(f->value)) {
        errors_.add(name, std::string(msg_not_string));
        return std::nullopt;
    }
    std::string_view v = rule.trim ? trim_whitespace(f->value) : std::string_view(f->value);
    if (v.empty() && !rule.allow_blank) {
        errors_.add(name, std::string(msg_blank));
        return std::nullopt;
    }
    if (rule.max_length && count_code_points(v) > rule.max_length) {
        errors_.add(name, "Ensure this field has no more than " + std::to_string(rule.max_length) +
                              " characters.");
        return std::nullopt;
    }
    return std::string(v);
}

std::optional<bool> FieldReader::boolean(std::string_view name, bool required) {
    const Field* f = fields_.find(name);
    if (!f) {
        if (required) errors_.add(name, std::string(msg_required));
        return std::nullopt;
    }
    std::string_view v = f->value;
    if (f->kind == FieldKind::number) {
        // DRF compares numbers by value: 1, 1.0 and 1e0 are true; 0, 0.0 and -0 are false.
        double d = 0.5;
        std::from_chars(f->value.data(), f->value.data() + f->value.size(), d);  // locale-free
        if (d == 1.0) return true;
        if (d == 0.0) return false;
    }
    if (f->kind == FieldKind::boolean || f->kind == FieldKind::string) {
        // DRF's BooleanField.TRUE_VALUES / FALSE_VALUES.
        static constexpr std::string_view truthy[] = {
            "true", "True", "TRUE", "1", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "t", "T"};
        static constexpr std::string_view falsy[] = {"false", "False", "FALSE", "0",   "no",
                                                     "No",    "NO",    "off",   "Off", "OFF",
                                                     "n",     "N",     "f",     "F"};
        for (auto t : truthy) {
            if (v == t) return true;
        }
        for (auto t : falsy) {
            if (v == t) return false;
        }
    }
    if (f->kind == FieldKind::null) {
        errors_.add(name, std::string(msg_null));
        return std::nullopt;
    }
    errors_.add(name, std::string(msg_not_bool));
    return std::nullopt;
}

}  // namespace authd::http
