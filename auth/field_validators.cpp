// Validation of user fields (API.md §2): username, email, names, address and phone, with
// the messages Django and DRF give for the same failures.
#include "auth/field_validators.hpp"

#include <optional>

#include "auth/username_text.hpp"

namespace authd::auth {

namespace {

bool is_ascii_alnum(char32_t cp) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

bool is_username_char(char32_t cp) {
    return is_word_char(cp) || cp == '.' || cp == '@' || cp == '+' || cp == '-';
}

// RFC 5322 atext, as in Django's EmailValidator.user_regex.
bool is_atext(char32_t cp) {
    if (is_ascii_alnum(cp)) return true;
    switch (cp) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '/':
        case '=':
        case '?':
        case '^':
        case '_':
        case '`':
        case '{':
        case '|':
        case '}':
        case '~':
            return true;
        default:
            return false;
    }
}

bool is_local_part(std::u32string_view local) {
    if (local.empty() || local.front() == '.' || local.back() == '.') return false;
    char32_t prev = 0;
    for (char32_t cp : local) {
        if (cp == '.') {
            if (prev == '.') return false;
        } else if (!is_atext(cp)) {
            return false;
        }
        prev = cp;
    }
    return true;
}

bool is_domain_label(std::u32string_view label, bool last) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (last && label.size() < 2) return false;
    for (char32_t cp : label) {
        const bool ok =
            is_ascii_alnum(cp) || cp == '-' || (cp >= 0x80 && is_word_char(cp) && cp != '_');
        if (!ok) return false;
    }
    return true;
}

bool is_domain(std::u32string_view domain) {
    std::size_t labels = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = domain.find(U'.', start);
        const bool last = dot == std::u32string_view::npos;
        const auto label = domain.substr(start, last ? std::u32string_view::npos : dot - start);
        if (!is_domain_label(label, last)) return false;
        ++labels;
        if (last) break;
        start = dot + 1;
    }
    return labels >= 2;
}

bool is_email_format(std::string_view email) {
    if (!is_valid_utf8(email)) return false;
    const std::u32string cps = to_code_points(email);
    for (char32_t cp : cps) {
        if (is_control(cp) || is_space(cp)) return false;
    }
    const std::size_t at = cps.find(U'@');
    if (at == std::u32string::npos || cps.find(U'@', at + 1) != std::u32string::npos) return false;
    const std::u32string_view view(cps);
    return is_local_part(view.substr(0, at)) && is_domain(view.substr(at + 1));
}

bool has_control(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size()) {
        const std::optional<char32_t> cp = decode_utf8(s, pos);
        if (cp && is_control(*cp)) return true;
    }
    return false;
}

// Python's str.strip(): drops leading and trailing whitespace code points.
std::string_view strip_python_space(std::string_view s) {
    std::size_t begin = 0;
    std::size_t end = s.size();
    while (begin < end) {
        std::size_t pos = begin;
        const std::optional<char32_t> cp = decode_utf8(s, pos);
        if (!cp || !is_space(*cp)) break;
        begin = pos;
    }
    while (end > begin) {
        std::size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        std::size_t pos = start;
        const std::optional<char32_t> cp = decode_utf8(s, pos);
        if (!cp || pos != end || !is_space(*cp)) break;
        end = start;
    }
    return s.substr(begin, end - begin);
}

std::string lower_domain(std::string_view domain) {
    if (!is_valid_utf8(domain)) {
        // Unreachable for JSON input; lower ASCII only rather than rewrite the bytes.
        std::string out(domain);
        for (char& c : out) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        }
        return out;
    }
    return to_utf8(to_lower(to_code_points(domain)));
}

}  // namespace

std::string max_length_message(std::size_t max) {
    return "Ensure this field has no more than " + std::to_string(max) + " characters.";
}

std::vector<std::string> validate_username(std::string_view username) {
    std::vector<std::string> errors;
    bool ok = !username.empty() && is_valid_utf8(username);
    std::size_t pos = 0;
    while (ok && pos < username.size()) {
        const std::optional<char32_t> cp = decode_utf8(username, pos);
        ok = cp && is_username_char(*cp) && !is_invisible_in_username(*cp);
    }
    if (!ok) errors.emplace_back(kUsernameInvalidMessage);
    if (utf8_length(username) > kUsernameMaxLength)
        errors.push_back(max_length_message(kUsernameMaxLength));
    return errors;
}

std::vector<std::string> validate_email(std::string_view email) {
    std::vector<std::string> errors;
    if (utf8_length(email) > kEmailMaxLength) errors.push_back(max_length_message(kEmailMaxLength));
    if (!is_email_format(email)) errors.emplace_back(kEmailInvalidMessage);
    return errors;
}

std::string normalize_email(std::string_view email) {
    const std::string_view stripped = strip_python_space(email);
    const std::size_t at = stripped.rfind('@');
    if (at == std::string_view::npos) return std::string(email);
    std::string out(stripped.substr(0, at + 1));
    out += lower_domain(stripped.substr(at + 1));
    return out;
}

std::vector<std::string> validate_name(std::string_view value, std::size_t max) {
    std::vector<std::string> errors;
    if (!is_valid_utf8(value)) {
        errors.emplace_back(kInvalidTextMessage);
    } else if (has_control(value)) {
        errors.emplace_back(kControlCharsMessage);
    }
    if (utf8_length(value) > max) errors.push_back(max_length_message(max));
    return errors;
}

std::vector<std::string> validate_phone(std::string_view phone) {
    if (phone.empty()) return {};
    std::string_view digits = phone;
    if (digits.front() == '+') digits.remove_prefix(1);
    bool ok = digits.size() >= 8 && digits.size() <= 15;
    for (char c : digits) ok = ok && c >= '0' && c <= '9';
    if (ok) return {};
    return {std::string(kPhoneInvalidMessage)};
}

}  // namespace authd::auth
